/**
 * `gatewatch demo` on the realistic world, as a new user first sees Gatewatch: days of history
 * stored, the last hours scored with a round of attacks in their last hour, then live minutes.
 * The feed must look like a real one: every attack of the round is one incident naming it, and
 * hardly anything else (judged as strictly as the detection evaluation). The present is fixed,
 * so the world is the same every run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { startDetectRole } from '../../services/detect/detect-role.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createIncidentStore } from '../../services/storage/incident-store.js';
import { ROUND_MIN, realisticRound, runDemo, type DemoTarget } from '../../services/demo/demo-command.js';
import { makeWorld, placeOf } from '../../services/demo/sim-world.js';
import { evaluate } from '../eval/evaluate.js';
import { silentLog, testConfig } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// a Wednesday afternoon (UTC): Europe at work, the Americas waking up
const NOW = Date.UTC(2026, 10, 18, 15, 0);
const HISTORY_DAYS = 3;
const BACKFILL_HOURS = 2;

let rt: Runtime;
beforeAll(async () => {
  rt = await openRuntime(testConfig({ clickhouse: { retentionDays: 3650 } }), { role: 'test', log: silentLog });
});
afterAll(async () => {
  await rt?.close();
});

describe('gatewatch demo (realistic world)', () => {
  it('fills the feed with one incident per attack of its round, each named, and next to nothing else', async () => {
    const ingest = await startIngestRole(rt, { runWorker: false });
    const { runner } = startDetectRole(rt, { schedule: false });
    const target: DemoTarget = {
      describe: 'the test store',
      async submit(records) {
        const r = await ingest.gateway.submit(records, 'kong', { source: 'demo' });
        return r.stored + r.queued;
      },
      async score(from, to) {
        return (await runner.scoreRange({ from, to })).opened.length;
      },
    };
    const lines: string[] = [];
    const result = await runDemo(target, { world: 'realistic', historyDays: HISTORY_DAYS, backfillHours: BACKFILL_HOURS, minutes: 3, now: NOW, out: (l) => lines.push(l) });
    // ~100,000 requests a day from 600 users, monitors, a crawler, batch jobs
    expect(result.records).toBeGreaterThan(HISTORY_DAYS * 80_000);
    expect(lines.join('\n')).toMatch(/alert\(s\) opened from a round of attacks/);
    expect(ROUND_MIN).toBeLessThanOrEqual(BACKFILL_HOURS * 60);

    const alertStore = createClickHouseAlertStore(rt.store);
    const alerts = await alertStore.list({ limit: 10_000 });
    const incidents = await createIncidentStore(rt.store, alertStore).list({ limit: 10_000 });
    const from = NOW - BACKFILL_HOURS * HOUR - HISTORY_DAYS * DAY;
    // the world as the simulator built it (from the first day of history to the last live minute)
    const firstDay = Math.floor(from / DAY) * DAY;
    const users = makeWorld(600, 42, firstDay, Math.max(1, Math.ceil((NOW + 3 * MIN - firstDay) / DAY))).users;
    const ipsOf = (name: string, a: number, b: number) => {
      const u = users.find((x) => x.name === name);
      const ips = new Set<string>();
      for (let m = Math.floor(a / MIN) * MIN; u && m <= b; m += MIN) {
        const p = placeOf(u, m);
        if (p) ips.add(p.ip);
      }
      return [...ips];
    };
    const round = realisticRound(NOW - ROUND_MIN * MIN, 0);
    const e = evaluate(alerts, round, users, { from: NOW - BACKFILL_HOURS * HOUR, to: NOW }, ipsOf, incidents);
    const describeAll = () =>
      JSON.stringify(
        {
          attacks: e.attacks.map((r) => [r.attack.kind, r.attack.entity.value, r.incidents, r.alerts.map((a) => `${a.detector} ${a.entity.type}:${a.entity.value} ${a.first_seen} → ${e.incidentOf.get(a.id)}`)]),
          incidents: incidents.map((i) => [i.id, i.severity, i.title]),
          false: e.falseAlerts.map((a) => a.summary),
        },
        null,
        1,
      );
    if (process.env.DEMO_TEST_DUMP) console.log(describeAll());
    // every attack detected, and each its own single incident
    for (const r of e.attacks) {
      expect(r.detected, `${r.attack.kind} not detected\n${describeAll()}`).toBeDefined();
      expect(r.incidents, `${r.attack.kind} is not exactly one incident\n${describeAll()}`).toHaveLength(1);
    }
    expect(new Set(e.attacks.map((r) => r.incidents[0])).size).toBe(round.length);
    // what is not explained by an attack: at most one incident in the scored hours
    expect(e.falseIncidents.length, describeAll()).toBeLessThanOrEqual(1);
    // severity means something: not every incident critical
    expect(incidents.filter((i) => i.severity === 'critical').length).toBeLessThanOrEqual(Math.ceil(incidents.length / 2));
    // the live minutes went on with the same world (the next round starts two minutes in)
    expect(lines.some((l) => l.startsWith('demo: brute_force starts now against ip 45.83.65.10'))).toBe(true);
  });
});
