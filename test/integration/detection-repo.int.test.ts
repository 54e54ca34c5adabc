/**
 * Detection's repository alone against the real engine: how far each detector scored (the
 * newest write wins), the run log, the watermark's input (the slowest active gateway), late
 * events, a route's top contributors with their shares, a guessing address's successes, and
 * baseline series from the rollups and learnt baselines written back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { createDetectionRepo } from '../../services/storage/detection-repo.js';
import { createClickHouseEventSink, encodeEvents } from '../../services/storage/clickhouse-event-sink.js';
import { BASELINE_METRICS } from '../../detectors/baseline-metrics.js';
import type { NormalizedEvent } from '../../schemas/event-schema.js';
import { silentLog, testConfig } from './helpers.js';

let rt: Runtime;
const MIN = 60_000;
/** a whole minute some hours ago, so that the events are in the past and in the rollups */
const T = Math.floor((Date.now() - 3 * 3_600_000) / MIN) * MIN;

const event = (t: number, over: Partial<NormalizedEvent>): NormalizedEvent => ({
  event_time: new Date(t).toISOString(), gateway: 'gw-a', source_format: 'kong', request_id: `dr-${t}-${Math.random()}`, method: 'GET', host: 'api.example.com', path: '/v1/items/1', route: '/v1/items/{id}', query: '',
  status: 200, latency_ms: 5, bytes_in: 10, bytes_out: 100, client_ip: '198.51.100.1', principal: { type: 'basic', id: 'alice' }, auth_outcome: 'success',
  user_agent: 'ua', headers: {}, country: 'FR', city: 'Paris', lat: 48.85, lon: 2.35, asn: 3215, as_org: 'Orange', redacted_fields: 0, ...over,
});

beforeAll(async () => {
  rt = await openRuntime(testConfig(), { role: 'test', log: silentLog });
  const rows: NormalizedEvent[] = [];
  // /v1/export: 6 requests from .7 (bob, 600 bytes each), 2 from .8 (carol), 2 from .9 (no principal)
  for (let i = 0; i < 6; i++) rows.push(event(T + i * 1000, { route: '/v1/export', client_ip: '198.51.100.7', principal: { type: 'basic', id: 'bob' }, bytes_out: 600 }));
  for (let i = 0; i < 2; i++) rows.push(event(T + 10_000 + i * 1000, { route: '/v1/export', client_ip: '198.51.100.8', principal: { type: 'basic', id: 'carol' }, bytes_out: 100 }));
  for (let i = 0; i < 2; i++) rows.push(event(T + 20_000 + i * 1000, { route: '/v1/export', client_ip: '198.51.100.9', principal: { type: 'anonymous', id: '' }, bytes_out: 50 }));
  // a guessing address: 5 failures and 1 success on /v1/login
  for (let i = 0; i < 6; i++) rows.push(event(T + i * 2000, { route: '/v1/login', path: '/v1/login', method: 'POST', client_ip: '203.0.113.50', status: i < 5 ? 401 : 200, auth_outcome: i < 5 ? 'failure' : 'success' }));
  // two gateways: gw-a up to T + 50 s, gw-b up to T + 20 s (the slowest)
  rows.push(event(T + 50_000, { gateway: 'gw-a' }), event(T + 20_000, { gateway: 'gw-b' }));
  await createClickHouseEventSink(rt.store).insertRows(encodeEvents(rows), 'detection-repo-test');
}, 120_000);
afterAll(async () => {
  await rt?.close();
});

describe('the detection repository', () => {
  it('keeps how far each detector scored, the newest write winning, and logs runs', async () => {
    const repo = createDetectionRepo(rt.store);
    await repo.setScoredUntil(['brute_force', 'volume'], T, Date.now() - 1000);
    await repo.setScoredUntil(['volume'], T + MIN, Date.now());
    const done = await repo.scoredUntil();
    expect(done.get('brute_force')).toBe(T);
    expect(done.get('volume')).toBe(T + MIN);
    await repo.recordRun({ detector: 'volume', range: { from: T, to: T + MIN }, ms: 12.5, alerts: 2, error: '' });
    const [run] = (await (await rt.store.client.query({ query: `SELECT detector, toString(window_start) AS s, alerts, late_events FROM gatewatch.detector_runs WHERE detector = 'volume' ORDER BY window_start DESC LIMIT 1`, format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>;
    expect(run).toMatchObject({ detector: 'volume', alerts: 2, late_events: 0 });
    expect(String(run!.s).slice(0, 19)).toBe(new Date(T).toISOString().slice(0, 19).replace('T', ' '));
  });

  it("finds the slowest active gateway's newest event, and counts what was stored late", async () => {
    const repo = createDetectionRepo(rt.store);
    expect(await repo.slowestGatewayTime(3600, 24 * 60)).toBe(T + 20_000);
    // stored since a minute ago, for event times in [T, T + 1 min): all 18 of this test's events
    expect(await repo.lateEvents(T, T + MIN, Date.now() - MIN)).toBe(18);
    expect(await repo.lateEvents(T, T + 30_000, Date.now() - MIN)).toBe(17);
    expect(await repo.lateEvents(T, T + MIN, Date.now() + MIN)).toBe(0);
  });

  it("names a route's top contributors with their shares, and counts a guessing address's successes", async () => {
    const repo = createDetectionRepo(rt.store);
    const window = { start: T, end: T + MIN };
    const ips = await repo.topContributors('/v1/export', window, 'client_ip', 'sum(bytes_out)');
    expect(ips.map((r) => [r.who.replace(/^::ffff:/, ''), r.value, r.share])).toEqual([['198.51.100.7', 3600, 0.923], ['198.51.100.8', 200, 0.051], ['198.51.100.9', 100, 0.026]]);
    const principals = await repo.topContributors('/v1/export', window, 'principal_id', 'count()');
    expect(principals.map((r) => [r.who, r.value, r.share])).toEqual([['bob', 6, 0.6], ['carol', 2, 0.2]]);
    // a route name is bound as a value, never spliced as SQL
    expect(await repo.topContributors("x' OR 1=1 --", window, 'client_ip', 'count()')).toEqual([]);
    expect(await repo.successesFrom('203.0.113.50', window)).toBe(1);
    expect(await repo.successesFrom('203.0.113.51', window)).toBe(0);
  });

  it('reads baseline series from the rollups and writes learnt baselines', async () => {
    const repo = createDetectionRepo(rt.store);
    const metric = BASELINE_METRICS.find((m) => m.name === 'route_requests')!;
    const series = await repo.baselineSeries(metric, T - 3_600_000, T + 3_600_000);
    const exportSeries = series.find((s) => s.entity === '/v1/export');
    expect(exportSeries?.points).toEqual([{ t: Math.floor(T / 300_000) * 300_000, v: 10 }]);
    await repo.saveBaselines([{ metric: 'route_requests', entity: '/v1/export', bucket: 7, median: 10, mad: 1, p95: 12, ewma: 9.5, samples: 20, computedAt: T, version: 1 }]);
    const [b] = (await (await rt.store.client.query({ query: `SELECT bucket, median, samples, toString(computed_at) AS at FROM gatewatch.baselines WHERE entity = '/v1/export'`, format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>;
    expect(b).toMatchObject({ bucket: 7, median: 10, samples: 20 });
    expect(String(b!.at).slice(0, 19)).toBe(new Date(T).toISOString().slice(0, 19).replace('T', ' '));
  });
});
