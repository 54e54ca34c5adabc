/**
 * People's decisions survive detection when the API and detection are separate processes on
 * one store (the server path: the engine behind ClickHouse's HTTP interface). An analyst
 * acknowledges an alert through `gatewatch api` while `gatewatch detect` keeps extending it,
 * window after window: the acknowledgement stands through every extension and the trail holds
 * it once. A resolution stands too: the condition coming back opens a new alert, never the
 * resolved one again. (Before the lifecycle moved to its own table, detection extended alerts
 * from its in-memory copy and wrote them back `open`.) And detection runs in one process at a
 * time: a second `gatewatch detect` stands by and takes the lease over when the first is killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import http from 'node:http';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { join } from 'node:path';
import { openStore, type Store } from '../../services/storage/clickhouse.js';
import { migrate } from '../../services/storage/migrate.js';
import { ApiKeyStore } from '../../services/storage/api-keys.js';
import { createClickHouseEventSink, encodeEvents } from '../../services/storage/clickhouse-event-sink.js';
import type { NormalizedEvent } from '../../schemas/event-schema.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { startChdbHttpServer, type ChdbHttpServer } from '../clickhouse-http/chdb-http-server.js';
import { silentLog, testConfig, tmpDir, waitFor } from '../integration/helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gatewatch.js');
const MIN = 60_000;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let server: ChdbHttpServer;
let store: Store;
const children: ChildProcess[] = [];
const output: string[] = [];
let api = '';
let key = '';
let env: NodeJS.ProcessEnv = {};
let receiver: http.Server;
/** webhook deliveries received: the channel's path, the alert id and the delivery id */
const received: Array<{ path: string; alert: string; delivery: string }> = [];

beforeAll(async () => {
  const dir = tmpDir('gw-lifecycle-');
  server = await startChdbHttpServer({ path: join(dir, 'engine'), users: { gatewatch: { password: 'service-pw' }, gatewatch_query: { password: 'query-pw', readonly: true } } });
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; alert?: { id: string }; alerts?: Array<{ id: string }> };
      for (const a of body.alert ? [body.alert] : (body.alerts ?? [])) received.push({ path: req.url ?? '', alert: a.id, delivery: String(req.headers['x-gatewatch-delivery']) });
      // a slow receiver: the answer comes 2 s after the request (a notifier killed meanwhile never hears it)
      if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('ok'), 2000);
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  const settings = {
    notify: { pollMs: 200, groupIntervalSec: 0, leaseSec: 5, channels: [
      { type: 'webhook', name: 'hook', url: hook, secret: 'whsec-lifecycle-0123456789', allowPrivate: true },
      { type: 'webhook', name: 'slow', url: hook.replace('/hook', '/slow'), secret: 'whsec-lifecycle-0123456789', allowPrivate: true, timeoutMs: 10_000, detectors: ['slow_channel_test'] },
    ] },
    clickhouse: { url: server.url, username: 'gatewatch', password: 'service-pw', queryUsername: 'gatewatch_query', queryPassword: 'query-pw', retentionDays: 3650 },
    // a cycle a second, every closed minute scored at once
    detect: { cycleSec: 1, allowedLatenessSec: 0, startLookbackMin: 120, leaseSec: 5 },
  };
  store = await openStore(testConfig(settings));
  await migrate(store, 3650, silentLog);
  key = (await new ApiKeyStore(store).create('lifecycle test', 'analyst')).key;
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ ...settings, fingerprintKey: 'lifecycle-fingerprint-key-0123456789' }));
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  env = { ...process.env, GATEWATCH_CONFIG: configFile, GATEWATCH_DATA_DIR: join(dir, 'data'), GATEWATCH_LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1' };
  for (const role of ['api', 'detect']) {
    const child = spawn(process.execPath, [BIN, role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => output.push(`${role}: ${c.toString()}`));
    child.stderr!.on('data', (c: Buffer) => output.push(`${role}: ${c.toString()}`));
    children.push(child);
  }
  await waitFor(async () => (await fetch(`${api}/healthz`).catch(() => undefined))?.status, (s) => s === 200, { what: `the api process (${output.join('')})`, timeoutMs: 60_000 });
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await store?.close();
  await server?.close();
  await new Promise((r) => receiver?.close(r));
});

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const bruteForceAlerts = (attacker: string) => async (): Promise<Alert[]> => ((await call('GET', `/v1/alerts?detector=brute_force&entity_type=ip&entity_value=${attacker}&limit=10`)).body.alerts as Alert[]) ?? [];

/** Minute k of a brute force (30 failed logins from one address against one account), and a benign request just after it so the minute closes. */
async function minute(base: number, k: number, attacker: string): Promise<void> {
  const event = (t: number, i: number, ip: string, status: number, principal: string): NormalizedEvent => ({
    event_time: new Date(t).toISOString(), gateway: 'gw', source_format: 'kong', request_id: `lc-${attacker}-${k}-${i}-${ip}`, method: 'POST', host: 'api.example.com', path: '/v1/login', route: '/v1/login', query: '',
    status, latency_ms: 3, bytes_in: 10, bytes_out: 20, client_ip: ip, principal: { type: 'basic', id: principal }, auth_outcome: status === 401 ? 'failure' : 'success',
    user_agent: 'ua', headers: {}, country: 'FR', city: 'Paris', lat: 48.85, lon: 2.35, asn: 3215, as_org: 'Orange', redacted_fields: 0,
  });
  const start = base + k * MIN;
  const rows = [...Array.from({ length: 30 }, (_, i) => event(start + i * 1000, i, attacker, 401, 'victim')), event(start + MIN + 500, 99, '198.51.100.20', 200, 'bystander')];
  await createClickHouseEventSink(store).insertRows(encodeEvents(rows), `lifecycle-${attacker}-${k}`);
}

describe('api and detect as separate processes on one store', () => {
  it('keep an acknowledgement through 10 extensions', { timeout: 240_000 }, async () => {
    const attacker = '203.0.113.66';
    const alerts = bruteForceAlerts(attacker);
    const base = Math.floor(Date.now() / MIN) * MIN - 40 * MIN;
    await minute(base, 0, attacker);
    const [first] = await waitFor(alerts, (a) => a.length === 1, { what: `the brute force alert (${output.join('')})`, timeoutMs: 60_000 });
    const id = first!.id;
    const acked = await call('POST', `/v1/alerts/${id}/ack`, { comment: 'blocking it at the edge' });
    expect(acked.status, JSON.stringify(acked.body)).toBe(200);

    // detection goes on extending it, one closed minute at a time
    let windows = first!.windows;
    for (let k = 1; k <= 10; k++) {
      await minute(base, k, attacker);
      const [a] = await waitFor(alerts, (list) => (list[0]?.windows ?? 0) > windows, { what: `extension ${k}`, timeoutMs: 60_000 });
      expect(a!.id).toBe(id);
      expect(a!.status, `after extension ${k}`).toBe('acknowledged');
      windows = a!.windows;
    }
    expect(windows).toBeGreaterThanOrEqual(first!.windows + 10);
    const trail = (await call('GET', `/v1/alerts/${id}`)).body as { alert: Alert; events: Array<{ action: string; comment: string }> };
    expect(trail.alert.status).toBe('acknowledged');
    expect(trail.events.map((e) => e.action)).toEqual(['ack']);
    expect(trail.events[0]!.comment).toBe('blocking it at the edge');
  });

  it('keep a resolution: the condition coming back opens a new alert, never the resolved one again', { timeout: 240_000 }, async () => {
    const attacker = '203.0.113.77';
    const alerts = bruteForceAlerts(attacker);
    // after the minutes the test above had scored (earlier ones would arrive late, counted and not scored)
    const base = Math.floor(Date.now() / MIN) * MIN - 20 * MIN;
    await minute(base, 0, attacker);
    const [first] = await waitFor(alerts, (a) => a.length === 1, { what: 'the brute force alert', timeoutMs: 60_000 });
    await minute(base, 1, attacker);
    const [extended] = await waitFor(alerts, (list) => (list[0]?.windows ?? 0) > first!.windows, { what: 'an extension', timeoutMs: 60_000 });
    const id = first!.id;
    expect((await call('POST', `/v1/alerts/${id}/resolve`, { comment: 'blocked' })).status).toBe(200);
    await minute(base, 2, attacker);
    await minute(base, 3, attacker);
    const after = await waitFor(alerts, (list) => list.length === 2, { what: 'a new alert after the resolution', timeoutMs: 60_000 });
    const old = after.find((a) => a.id === id)!;
    const fresh = after.find((a) => a.id !== id)!;
    expect(old.status).toBe('resolved');
    expect(old.windows).toBe(extended!.windows);
    expect(fresh.status).toBe('open');
    expect(Date.parse(fresh.first_seen)).toBeGreaterThanOrEqual(base + 2 * MIN);
    const trail = (await call('GET', `/v1/alerts/${id}`)).body as { events: Array<{ action: string }> };
    expect(trail.events.map((e) => e.action)).toEqual(['resolve']);
  });

  it('run detection in one process at a time: a second detect stands by, and takes over when the first is killed', { timeout: 240_000 }, async () => {
    const q = async <T>(sql: string) => (await (await store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];
    const holders = () => q<{ holder: string }>("SELECT DISTINCT holder FROM gatewatch.leases WHERE name = 'detect'");
    const [first] = await waitFor(holders, (h) => h.length === 1, { what: 'the detect lease' });
    const standby = spawn(process.execPath, [BIN, 'detect'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    standby.stdout!.on('data', (c: Buffer) => output.push(`standby: ${c.toString()}`));
    standby.stderr!.on('data', (c: Buffer) => output.push(`standby: ${c.toString()}`));
    children.push(standby);
    const attacker = '203.0.113.88';
    const alerts = bruteForceAlerts(attacker);
    const base = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
    await minute(base, 0, attacker);
    let [a] = await waitFor(alerts, (list) => list.length === 1, { what: 'the brute force alert', timeoutMs: 60_000 });
    for (let k = 1; k <= 3; k++) {
      await minute(base, k, attacker);
      const w = a!.windows;
      [a] = await waitFor(alerts, (list) => (list[0]?.windows ?? 0) > w, { what: `extension ${k}`, timeoutMs: 60_000 });
    }
    // the standby is running and has never written itself into the lease
    expect(standby.exitCode).toBeNull();
    expect(await holders()).toEqual([first]);

    // the holder dies: the standby takes over once the lease expires, and detection goes on
    const holder = children.find((c) => c !== standby && c.spawnargs.includes('detect'))!;
    holder.kill('SIGKILL');
    const killedAt = Date.now();
    await minute(base, 4, attacker);
    const w = a!.windows;
    [a] = await waitFor(alerts, (list) => (list[0]?.windows ?? 0) > w, { what: `the standby's first extension (${output.join('')})`, timeoutMs: 60_000 });
    const takeoverSec = (Date.now() - killedAt) / 1000;
    // (rows of the lease table may be merged away: the holder now is what counts)
    const [now] = await q<{ holder: string }>("SELECT holder FROM gatewatch.leases FINAL WHERE name = 'detect'");
    expect(now!.holder).not.toBe(first!.holder);
    // (the lease lasts 5 s here, a cycle runs every second: the figure is printed, not asserted)
    console.log(`detect lease: standby took over ${takeoverSec.toFixed(1)} s after the holder was killed (lease 5 s)`);
  });

  it('deliver each alert once with two notifiers of one instance, before and after the one holding it is killed', { timeout: 240_000 }, async () => {
    const q = async <T>(sql: string) => (await (await store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];
    const holders = () => q<{ holder: string }>("SELECT DISTINCT holder FROM gatewatch.leases WHERE name = 'notify:0/1'");
    const start = (name: string) => {
      const child = spawn(process.execPath, [BIN, 'notify'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (c: Buffer) => output.push(`${name}: ${c.toString()}`));
      child.stderr!.on('data', (c: Buffer) => output.push(`${name}: ${c.toString()}`));
      children.push(child);
      return child;
    };
    const first = start('notify-1');
    const [holder] = await waitFor(holders, (h) => h.length === 1, { what: `the notify lease (${output.join('')})`, timeoutMs: 60_000 });
    const second = start('notify-2');
    const alerts = createClickHouseAlertStore(store);
    const alert = (id: string): Alert => {
      const t = new Date().toISOString();
      return { id, detector: 'entity_volume', severity: 'high', entity: { type: 'ip', value: `192.0.2.${id.length + Number(id.slice(-1))}` }, window: { start: t, end: t }, observed: 900, expected: 2, score: 9, summary: `lease test ${id}`, owasp: 'API4', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open', windows: 1, first_seen: t, last_seen: t };
    };
    const batch1 = ['nl-a1', 'nl-a2', 'nl-a3', 'nl-a4', 'nl-a5'];
    await alerts.save(batch1.map(alert));
    const got = (ids: string[]) => received.filter((r) => r.path === '/hook' && ids.includes(r.alert));
    await waitFor(async () => new Set(got(batch1).map((r) => r.alert)).size, (n) => n === batch1.length, { what: 'the first alerts delivered', timeoutMs: 60_000 });
    // killed between rounds (what was answered is recorded `sent`); a kill mid-delivery is the
    // third part below
    await waitFor(
      async () => q<{ n: string }>(`SELECT count() AS n FROM gatewatch.notifications FINAL WHERE channel = 'hook' AND status = 'sent' AND alert_id IN ('${batch1.join("','")}')`),
      (r) => Number(r[0]?.n) === batch1.length,
      { what: 'the first deliveries recorded as sent', timeoutMs: 60_000 },
    );
    expect(await holders()).toEqual([holder]);

    first.kill('SIGKILL');
    const killedAt = Date.now();
    const batch2 = ['nl-b1', 'nl-b2', 'nl-b3', 'nl-b4', 'nl-b5'];
    await alerts.save(batch2.map(alert));
    await waitFor(async () => new Set(got(batch2).map((r) => r.alert)).size, (n) => n === batch2.length, { what: `the alerts after the kill delivered (${output.join('')})`, timeoutMs: 60_000 });
    console.log(`notify lease: standby delivered ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the holder was killed (lease 5 s)`);
    expect(second.exitCode).toBeNull();
    const [now] = await q<{ holder: string }>("SELECT holder FROM gatewatch.leases FINAL WHERE name = 'notify:0/1'");
    expect(now!.holder).not.toBe(holder!.holder);
    // exactly one delivery per alert and channel: none lost, none repeated by the standby
    await new Promise((r) => setTimeout(r, 1500));
    const all = got([...batch1, ...batch2]);
    expect(all.map((r) => r.alert).sort()).toEqual([...batch1, ...batch2].sort());
    expect(new Set(all.map((r) => r.delivery)).size).toBe(all.length);

    // killed mid-delivery: a third process takes over and sends what was in flight again, under
    // the same delivery id (the one window: the receiver answered, or was about to, and the
    // holder died before writing `sent`), so a receiver that drops repeats gets each alert once
    const third = start('notify-3');
    const slow = (id: string): Alert => ({ ...alert(id), detector: 'slow_channel_test' });
    const batch3 = ['nl-c1', 'nl-c2', 'nl-c3'];
    await alerts.save(batch3.map(slow));
    const onSlow = () => received.filter((r) => r.path === '/slow' && batch3.includes(r.alert));
    await waitFor(async () => onSlow().length, (n) => n >= 1, { what: 'a delivery in flight on the slow channel', timeoutMs: 60_000 });
    second.kill('SIGKILL');
    await waitFor(async () => new Set(onSlow().map((r) => r.alert)).size, (n) => n === batch3.length, { what: `the slow channel's alerts after the kill (${output.join('')})`, timeoutMs: 60_000 });
    await waitFor(
      async () => q<{ n: string }>(`SELECT count() AS n FROM gatewatch.notifications FINAL WHERE channel = 'slow' AND status = 'sent' AND alert_id IN ('nl-c1', 'nl-c2', 'nl-c3')`),
      (r) => Number(r[0]?.n) === batch3.length,
      { what: 'the slow deliveries recorded as sent', timeoutMs: 60_000 },
    );
    expect(third.exitCode).toBeNull();
    const perAlert = new Map<string, Set<string>>();
    for (const r of onSlow()) perAlert.set(r.alert, new Set([...(perAlert.get(r.alert) ?? []), r.delivery]));
    expect([...perAlert.values()].map((ids) => ids.size)).toEqual(batch3.map(() => 1));
    console.log(`notify killed mid-delivery: ${onSlow().length} requests for ${batch3.length} alerts, ${onSlow().length - batch3.length} repeated under the same delivery id`);
  });
});
