/**
 * Detection against the real ClickHouse engine: simulated traffic with scripted attacks goes
 * through the real ingest pipeline and the rollup views, then the detectors score it. Every
 * attack must raise an alert naming its entity within two event-time minutes of its start;
 * the benign traffic around it (daily rhythm, an office NAT, a plausible flight, mistyped
 * passwords) must raise none. The live path is checked too: watermark, resume, late events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import type { HttpIngestGateway } from '../../services/ingest/ingest-gateway.js';
import { startDetectRole } from '../../services/detect/detect-role.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { simulate, type Attack } from '../../services/demo/traffic-simulator.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { silentLog, testConfig } from './helpers.js';

const MIN = 60_000;
let rt: Runtime;
let gateway: HttpIngestGateway;

beforeAll(async () => {
  rt = await openRuntime(testConfig({ clickhouse: { retentionDays: 3650 } }), { role: 'test', log: silentLog });
  gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
});
afterAll(async () => rt?.close());

async function ingest(records: Iterable<string>): Promise<number> {
  let stored = 0;
  let chunk: string[] = [];
  for (const r of records) {
    chunk.push(r);
    if (chunk.length === 5000) {
      stored += (await gateway.submit(chunk, 'kong', { source: 'test' })).stored;
      chunk = [];
    }
  }
  if (chunk.length) stored += (await gateway.submit(chunk, 'kong', { source: 'test' })).stored;
  return stored;
}

function matching(alerts: Alert[], a: Attack): Alert | undefined {
  return alerts.find((x) => x.detector === a.kind && x.entity.type === a.entity.type && x.entity.value === a.entity.value);
}

describe('detection over a replayed range', () => {
  const T0 = Date.UTC(2026, 9, 12, 6, 0); // a Monday morning, three hours of traffic
  const attacks: Attack[] = [
    { kind: 'brute_force', start: T0 + 60 * MIN, entity: { type: 'ip', value: '45.83.64.10' } },
    { kind: 'credential_stuffing', start: T0 + 80 * MIN, entity: { type: 'ip', value: '45.83.64.20' } },
    { kind: 'distributed_brute_force', start: T0 + 100 * MIN, entity: { type: 'principal', value: 'user0021' } },
    { kind: 'impossible_travel', start: T0 + 120 * MIN, entity: { type: 'principal', value: 'user0105' } },
    { kind: 'enumeration', start: T0 + 140 * MIN, entity: { type: 'principal', value: 'user0107' } },
    { kind: 'volume', start: T0 + 150 * MIN, entity: { type: 'route', value: '/v1/products/{id}' } },
    { kind: 'error_burst', start: T0 + 160 * MIN, entity: { type: 'route', value: '/v1/orders' } },
    { kind: 'data_exposure', start: T0 + 170 * MIN, entity: { type: 'route', value: '/v1/search' } },
  ];
  let alerts: Alert[];
  let stored: number;

  beforeAll(async () => {
    stored = await ingest(simulate(T0, T0 + 180 * MIN, { attacks }));
    const { runner } = startDetectRole(rt, { schedule: false });
    const result = await runner.scoreRange({ from: T0, to: T0 + 181 * MIN });
    expect(result.failed).toEqual([]);
    alerts = await createClickHouseAlertStore(rt.store).list({ limit: 1000 });
  });

  it('stored the traffic and kept the rollups in step with it', async () => {
    expect(stored).toBeGreaterThan(4000);
    const [r] = (await (await rt.store.client.query({ query: `SELECT (SELECT count() FROM events) AS events, (SELECT sum(requests) FROM rollup_route_1m) AS rolled`, format: 'JSONEachRow' })).json()) as Array<{ events: string; rolled: string }>;
    expect(Number(r!.rolled)).toBe(Number(r!.events));
  });

  it.each(attacks.map((a) => [a.kind, a] as const))('raises %s naming the entity within two event-time minutes', (_kind, attack) => {
    const alert = matching(alerts, attack);
    expect(alert, `no ${attack.kind} alert for ${attack.entity.value}; got ${JSON.stringify(alerts.map((a) => [a.detector, a.entity.value]))}`).toBeDefined();
    // detectable (the end of the first window that fired) at most two event-time minutes in
    const delay = Date.parse(alert!.first_seen) - attack.start;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(2 * MIN);
    expect(alert!.evidence.sql).toMatch(/^SELECT /);
    expect(alert!.evidence.rows.length).toBeGreaterThan(0);
    expect(alert!.status).toBe('open');
  });

  it('raises nothing for the benign traffic: peaks, the office NAT, the traveller, mistyped passwords', () => {
    // An alert is false when it names no attacker and fired outside every attack: a route
    // flooded by the stuffing attack, or the attacker's address flagged by a second detector,
    // are consequences of an attack, not noise.
    const attackers = new Set(attacks.map((a) => a.entity.value));
    const duringAttack = (alert: Alert) => attacks.some((a) => Date.parse(alert.window.start) < a.start + 15 * MIN && Date.parse(alert.window.end) > a.start);
    const falseAlerts = alerts.filter((a) => !attackers.has(a.entity.value) && !duringAttack(a));
    expect(falseAlerts.map((a) => a.summary)).toEqual([]);
  });

  it('one alert per attack: repeated firing extends it', () => {
    for (const a of attacks) {
      const all = alerts.filter((x) => x.detector === a.kind && x.entity.value === a.entity.value);
      expect(all).toHaveLength(1);
    }
    const bf = matching(alerts, attacks[0]!)!;
    expect(bf.windows).toBeGreaterThan(1);
  });

  it('scoring the same range again changes nothing (same ids, no duplicates)', async () => {
    const { runner } = startDetectRole(rt, { schedule: false });
    const again = await runner.scoreRange({ from: T0, to: T0 + 181 * MIN });
    expect(again.opened).toEqual([]);
    const after = await createClickHouseAlertStore(rt.store).list({ limit: 1000 });
    expect(after.map((a) => a.id).sort()).toEqual(alerts.map((a) => a.id).sort());
  });
});

describe('a failing detector', () => {
  it('is logged and skipped; the others still run and store their alerts', async () => {
    const { createDetectionRunner } = await import('../../services/detect/detection-runner.js');
    const { bruteForceDetector } = await import('../../detectors/auth/brute-force-detector.js');
    const broken = { ...bruteForceDetector, name: 'credential_stuffing' as const, sql: () => 'SELECT no_such_column FROM no_such_table' };
    const T1 = Date.UTC(2026, 9, 14, 6, 0);
    await ingest(simulate(T1, T1 + 20 * MIN, { seed: 3, attacks: [{ kind: 'brute_force', start: T1 + 5 * MIN, entity: { type: 'ip', value: '45.83.64.77' } }] }));
    const runner = createDetectionRunner({ config: rt.config, store: rt.store, alerts: createClickHouseAlertStore(rt.store), metrics: rt.metrics, log: silentLog, now: Date.now, detectors: [broken as never, bruteForceDetector as never] });
    const r = await runner.scoreRange({ from: T1, to: T1 + 20 * MIN });
    expect(r.failed).toEqual(['credential_stuffing']);
    expect(r.opened.map((a) => a.entity.value)).toContain('45.83.64.77');
    expect(await rt.metrics.registry.getSingleMetricAsString('gatewatch_detector_failures_total')).toMatch(/detector="credential_stuffing"\} [1-9]/);
  });
});

describe('live detection', () => {
  it('scores up to the watermark, resumes where it stopped, and counts late events', async () => {
    const now = Date.now();
    const from = Math.floor((now - 40 * MIN) / MIN) * MIN;
    const attack: Attack = { kind: 'brute_force', start: from + 15 * MIN, entity: { type: 'ip', value: '45.83.64.99' } };
    await ingest(simulate(from, now, { seed: 99, attacks: [attack] }));
    const { runner } = startDetectRole(rt, { schedule: false });
    const first = await runner.cycle();
    expect(first.failed).toEqual([]);
    expect(first.watermark).toBeGreaterThan(now - 3 * MIN);
    expect(first.opened.map((a) => [a.detector, a.entity.value])).toContainEqual(['brute_force', '45.83.64.99']);

    // nothing new: the next cycle has nothing to score and opens nothing
    const second = await runner.cycle();
    expect(second.opened).toEqual([]);

    // events for minutes already scored are counted, not merged into closed windows
    await ingest(simulate(from + 5 * MIN, from + 6 * MIN, { seed: 5 }));
    await runner.cycle();
    const [late] = (await (await rt.store.client.query({ query: "SELECT sum(late_events) AS n FROM detector_runs WHERE detector = 'late_events'", format: 'JSONEachRow' })).json()) as Array<{ n: string }>;
    expect(Number(late!.n)).toBeGreaterThan(0);
    expect(await rt.metrics.registry.getSingleMetricAsString('gatewatch_late_events_total')).toMatch(/gatewatch_late_events_total [1-9]/);
  });
});

describe('auto-resolve', () => {
  it('resolves an alert whose condition has been clear for autoResolveMin, and says so in its trail', async () => {
    const alerts = createClickHouseAlertStore(rt.store);
    const old = new Date(Date.now() - 3 * 3_600_000).toISOString();
    await alerts.save([{ id: 'stale-1', detector: 'volume', severity: 'medium', entity: { type: 'route', value: '/v1/old' }, window: { start: old, end: old }, observed: 1, expected: 0, score: 1, summary: 's', owasp: 'API4', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'acknowledged', windows: 1, first_seen: old, last_seen: old }]);
    const now = Date.now();
    await ingest(simulate(now - 3 * MIN, now, { seed: 11 }));
    await startDetectRole(rt, { schedule: false }).runner.cycle();
    const [a] = await alerts.byIds(['stale-1']);
    expect(a!.status).toBe('resolved');
    expect((await alerts.events('stale-1')).map((e) => [e.action, e.actor, e.from_status])).toEqual([['auto_resolve', 'system', 'acknowledged']]);
  });
});
