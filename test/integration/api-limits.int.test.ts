/**
 * Limits on every query a caller can trigger, not only POST /v1/query: the series, top lists
 * and an entity's events carry the analyst limits in their own statements, and scoring a range
 * on demand runs one at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { ApiKeyStore } from '../../services/storage/api-keys.js';
import { createAuditLog } from '../../services/storage/audit-log.js';
import { buildApp, type App } from '../../services/api/app.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createSilenceStore } from '../../services/storage/silence-store.js';
import { createDetectionRunner } from '../../services/detect/detection-runner.js';
import { startDetectRole } from '../../services/detect/detect-role.js';
import { silentLog, testConfig } from './helpers.js';

let rt: Runtime;
let app: App;
let viewer: string;
let analyst: string;

beforeAll(async () => {
  // a tiny row budget, so that an ordinary range goes over it
  const config = testConfig({ api: { queryMaxRowsToRead: 100 } });
  rt = await openRuntime(config, { role: 'test', log: silentLog });
  const gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
  const keys = new ApiKeyStore(rt.store);
  viewer = (await keys.create('viewer', 'viewer')).key;
  analyst = (await keys.create('analyst', 'analyst')).key;
  const alerts = createClickHouseAlertStore(rt.store);
  const runner = createDetectionRunner({ config, store: rt.store, alerts, metrics: rt.metrics, log: silentLog, now: Date.now });
  app = await buildApp({ config, store: rt.store, keys, audit: createAuditLog(rt.store), ingest: gateway, metrics: rt.metrics, log: silentLog, readiness: [], alerts, silences: createSilenceStore(rt.store), runner });
  const now = Date.now();
  const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ time: new Date(now - 3_600_000 + i * 15_000).toISOString(), method: 'GET', path: `/v1/items/${i}`, status: 200, latency_ms: i, client_ip: `198.51.100.${i % 250}` }));
  const res = await app.inject({ method: 'POST', url: '/v1/ingest', headers: { authorization: `Bearer ${(await keys.create('gw', 'ingest')).key}` }, payload: lines.join('\n') });
  expect(res.json()).toMatchObject({ stored: 200 });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await rt?.close();
});

const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${viewer}` } });

describe('limits on the API\'s own queries', () => {
  it.each([
    ['a latency series over the events', '/v1/series?metric=latency_p95&entity_type=all'],
    ['an IP\'s recent requests', '/v1/events?entity_type=ip&entity=198.51.100.7'],
  ])('stops %s at the row limit with a clear 400, not a 500', async (_n, url) => {
    const res = await get(url);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'query_limit' });
    expect(res.json().error).toMatch(/narrow it/);
  });

  it('keeps answering within the limit, and the service connection stays writable (the clause lasts one statement)', async () => {
    const top = await get('/v1/top?dimension=route&limit=5');
    // the route rollup holds a row a minute: within 100
    expect(top.statusCode, top.body).toBe(200);
    const [row] = (await (await rt.store.client.query({ query: "SELECT getSetting('readonly') AS r, getSetting('max_rows_to_read') AS m", format: 'JSONEachRow' })).json()) as Array<{ r: unknown; m: unknown }>;
    expect(Number(row!.r)).toBe(0);
    expect(Number(row!.m)).toBe(0);
  });
});

describe('POST /v1/detect/score', () => {
  it('scores one range at a time and answers a second caller 429 with Retry-After', async () => {
    const body = { from: new Date(Date.now() - 6 * 3_600_000).toISOString(), to: new Date().toISOString() };
    const post = () => app.inject({ method: 'POST', url: '/v1/detect/score', headers: { authorization: `Bearer ${analyst}` }, payload: body });
    const [a, b] = await Promise.all([post(), post()]);
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses).toEqual([200, 429]);
    const busy = a.statusCode === 429 ? a : b;
    expect(busy.headers['retry-after']).toBe('30');
    expect(busy.json()).toMatchObject({ code: 'detect_busy' });
    // and once it is done the next one runs
    expect((await post()).statusCode).toBe(200);
  }, 120_000);
});

describe('POST /v1/detect/score beside another detect process', () => {
  it('scores in the process holding the detect lease, and a standby says where detection runs (409) instead of scoring beside it', async () => {
    // two detect roles on one store, as two processes would be (cycles an hour apart: they do not run here)
    const config = { ...rt.config, detect: { ...rt.config.detect, cycleSec: 3600 } };
    const holder = startDetectRole({ ...rt, config });
    const standby = startDetectRole({ ...rt, config });
    const range = { from: Date.now() - 2 * 3_600_000, to: Date.now() - 3_600_000 };
    await expect(holder.runner.scoreRange(range)).resolves.toMatchObject({ failed: [] });
    await expect(standby.runner.scoreRange(range)).rejects.toThrow(/detection runs in another process/);
    const keys = new ApiKeyStore(rt.store);
    const key = (await keys.create('standby analyst', 'analyst')).key;
    const gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
    const standbyApp = await buildApp({ config, store: rt.store, keys, audit: createAuditLog(rt.store), ingest: gateway, metrics: rt.metrics, log: silentLog, readiness: [], alerts: createClickHouseAlertStore(rt.store), silences: createSilenceStore(rt.store), runner: standby.runner });
    try {
      const res = await standbyApp.inject({ method: 'POST', url: '/v1/detect/score', headers: { authorization: `Bearer ${key}` }, payload: { from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() } });
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json()).toMatchObject({ code: 'detect_standby' });
    } finally {
      await standbyApp.close();
    }
  }, 120_000);
});
