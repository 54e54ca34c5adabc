/**
 * The API under attack by callers who do not hold a key: a sweep of 1,000 made-up keys, key
 * ids presented with a wrong secret, floods of failures from one address or from many, and a
 * key opening stream after stream. Against the real embedded engine; addresses are set per
 * request (and through a trusted proxy's X-Forwarded-For).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { ApiKeyStore } from '../../services/storage/api-keys.js';
import { createAuditLog } from '../../services/storage/audit-log.js';
import { buildApp, type App } from '../../services/api/app.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createSilenceStore } from '../../services/storage/silence-store.js';
import type { HttpIngestGateway } from '../../services/ingest/ingest-gateway.js';
import type { Config } from '../../schemas/config-schema.js';
import { silentLog, testConfig } from './helpers.js';

let rt: Runtime;
let gateway: HttpIngestGateway;
let keys: ApiKeyStore;
const key = { viewer: '', analyst: '' };
const keyId = { viewer: '', analyst: '' };
const opened: App[] = [];

async function app(api: Partial<Config['api']>): Promise<App> {
  const a = await buildApp({ config: { ...rt.config, api: { ...rt.config.api, ...api } }, store: rt.store, keys, audit: createAuditLog(rt.store), ingest: gateway, metrics: rt.metrics, log: silentLog, readiness: [], alerts: createClickHouseAlertStore(rt.store), silences: createSilenceStore(rt.store) });
  opened.push(a);
  return a;
}

const bogus = () => `gw_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
const get = (a: App, remoteAddress: string, authorization?: string, headers: Record<string, string> = {}) =>
  a.inject({ method: 'GET', url: '/v1/alerts?limit=1', remoteAddress, headers: { ...(authorization ? { authorization: `Bearer ${authorization}` } : {}), ...headers } });

async function auditRows(): Promise<Array<{ key_id: string; role: string; target: string; detail: string; outcome: string }>> {
  return (await (await rt.store.client.query({ query: "SELECT key_id, role, target, detail, outcome FROM audit_log WHERE action = 'auth.failure' ORDER BY target", format: 'JSONEachRow' })).json()) as never;
}

beforeAll(async () => {
  rt = await openRuntime(testConfig({ api: { trustedProxies: ['10.9.0.1'] } }), { role: 'test', log: silentLog });
  gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
  keys = new ApiKeyStore(rt.store);
  for (const role of ['viewer', 'analyst'] as const) {
    const k = await keys.create(`sweep ${role}`, role);
    key[role] = k.key;
    keyId[role] = k.id;
  }
});

afterAll(async () => {
  for (const a of opened) await a.close();
  await rt?.close();
});

describe('failed authentications', () => {
  it('throttle the address after the limit (429 with Retry-After, its key not checked), never another address, and let it back when the window ends', async () => {
    const a = await app({ authFailureLimit: 20, authFailureWindowSec: 2 });
    const attacker = '198.51.100.7';
    const statuses: number[] = [];
    for (let i = 0; i < 1000; i++) statuses.push((await get(a, attacker, bogus())).statusCode);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    const blocked = await get(a, attacker, key.viewer);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ code: 'auth_throttled' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(2);
    // the same key from another address, and the viewer's own address, are untouched
    expect((await get(a, '203.0.113.9', key.viewer)).statusCode).toBe(200);
    // an IPv6 attacker counts as its /64: rotating the low bits does not buy more guesses
    const v6 = Array.from({ length: 25 }, (_, i) => `2001:db8:1:2::${(i + 1).toString(16)}`);
    const v6Statuses = [];
    for (const ip of v6) v6Statuses.push((await get(a, ip, bogus())).statusCode);
    expect(v6Statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(v6Statuses.slice(20).every((s) => s === 429)).toBe(true);
    expect((await get(a, '2001:db8:1:3::1', key.viewer)).statusCode).toBe(200);
    // no key at all counts as a failure too; the window ends and the address may try again
    await new Promise((r) => setTimeout(r, 2100));
    expect((await get(a, attacker, key.viewer)).statusCode).toBe(200);
    const metrics = await rt.metrics.registry.getSingleMetricAsString('gatewatch_api_auth_throttled_total');
    expect(Number(/gatewatch_api_auth_throttled_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(985);
  });

  it('reads the client from X-Forwarded-For only when a trusted proxy sent it', async () => {
    const a = await app({ authFailureLimit: 3, authFailureWindowSec: 60 });
    // spoofed header from an untrusted address: the address itself is the client
    for (let i = 0; i < 3; i++) expect((await get(a, '198.51.100.20', bogus(), { 'x-forwarded-for': `192.0.2.${i}` })).statusCode).toBe(401);
    expect((await get(a, '198.51.100.20', bogus(), { 'x-forwarded-for': '192.0.2.200' })).statusCode).toBe(429);
    // through the trusted proxy, each forwarded client has its own count
    for (let i = 0; i < 3; i++) expect((await get(a, '10.9.0.1', bogus(), { 'x-forwarded-for': '192.0.2.50' })).statusCode).toBe(401);
    expect((await get(a, '10.9.0.1', bogus(), { 'x-forwarded-for': '192.0.2.50' })).statusCode).toBe(429);
    expect((await get(a, '10.9.0.1', key.viewer, { 'x-forwarded-for': '192.0.2.51' })).statusCode).toBe(200);
  });

  it("do not spend a real key's rate budget: a key id with a wrong secret is a failed authentication, not a request of that key", async () => {
    const a = await app({ rateLimitPerMin: 5, authFailureLimit: 1_000_000 });
    const wrong = `gw_${keyId.analyst}_${randomBytes(32).toString('base64url')}`;
    for (let i = 0; i < 50; i++) expect((await get(a, '198.51.100.30', wrong)).statusCode).toBe(401);
    const ok = await get(a, '198.51.100.31', key.analyst);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['ratelimit-remaining']).toBe('4');
  });

  it('reach the audit log as bounded summaries per address and reason, with key ids and never a secret', async () => {
    await rt.store.client.command({ query: "DELETE FROM audit_log WHERE action = 'auth.failure'", clickhouse_settings: { mutations_sync: '2' } }).catch(() => undefined);
    const a = await app({ authFailureLimit: 1_000_000 });
    // a viewer poking at an admin route, a caller without a key, then a sweep of 1,000 made-up
    // keys from 1,000 addresses behind the trusted proxy
    for (let i = 0; i < 5; i++) expect((await a.inject({ method: 'GET', url: '/v1/keys', remoteAddress: '198.51.100.40', headers: { authorization: `Bearer ${key.viewer}` } })).statusCode).toBe(403);
    expect((await get(a, '198.51.100.41')).statusCode).toBe(401);
    const presented: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const k = bogus();
      presented.push(k);
      expect((await get(a, '10.9.0.1', k, { 'x-forwarded-for': `100.64.${i >> 8}.${i & 255}` })).statusCode).toBe(401);
    }
    await a.close(); // flushes the summaries
    const rows = await auditRows();
    // at most 1,000 groups a period (the default); the last two addresses went to one overflow row
    expect(rows).toHaveLength(1001);
    expect(JSON.parse(rows.find((r) => r.outcome === 'overflow')!.detail)).toMatchObject({ count: 2, clients: 2 });
    const total = rows.reduce((n, r) => n + (JSON.parse(r.detail) as { count: number }).count, 0);
    expect(total).toBe(1006);
    const forbidden = rows.find((r) => r.outcome === 'forbidden_role')!;
    expect(forbidden).toMatchObject({ target: '198.51.100.40', key_id: keyId.viewer, role: 'viewer' });
    expect(JSON.parse(forbidden.detail)).toMatchObject({ count: 5, routes: ['GET /v1/keys'] });
    expect(rows.find((r) => r.target === '198.51.100.41')).toMatchObject({ outcome: 'missing' });
    expect(rows.filter((r) => r.outcome === 'unknown' || r.outcome === 'overflow').length).toBeGreaterThan(0);
    const text = JSON.stringify(rows);
    for (const k of presented.slice(0, 50)) expect(text).not.toContain(k.slice(16));
    const m = await rt.metrics.registry.getSingleMetricAsString('gatewatch_api_auth_failures_total');
    expect(m).toMatch(/reason="unknown"\} \d+/);
    expect(m).toMatch(/reason="forbidden_role"\} \d+/);
  });
});

describe('alert streams', () => {
  it('cap the open streams per key (429 too_many_streams), free a slot when one closes, and leave other keys alone', async () => {
    const a = await app({ streamsPerKey: 2 });
    await a.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(a.server.address() as { port: number }).port}/v1/alerts/stream`;
    const open = async (k: string) => {
      const ctl = new AbortController();
      const res = await fetch(url, { headers: { authorization: `Bearer ${k}` }, signal: ctl.signal });
      return { res, ctl };
    };
    const s1 = await open(key.viewer);
    const s2 = await open(key.viewer);
    expect([s1.res.status, s2.res.status]).toEqual([200, 200]);
    const s3 = await open(key.viewer);
    expect(s3.res.status).toBe(429);
    expect(await s3.res.json()).toMatchObject({ code: 'too_many_streams' });
    const other = await open(key.analyst);
    expect(other.res.status).toBe(200);
    s1.ctl.abort();
    // the server sees the close and frees the slot
    let again = await open(key.viewer);
    for (let i = 0; i < 50 && again.res.status === 429; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await open(key.viewer);
    }
    expect(again.res.status).toBe(200);
    for (const s of [s2, other, again]) s.ctl.abort();
  });
});
