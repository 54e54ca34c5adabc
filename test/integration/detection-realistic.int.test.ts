/**
 * Detection on realistic traffic (docs/detection.md): four days of learnt history, then three
 * scored days of the realistic world (600 users on several networks each, GeoIP noise, CGNAT,
 * office NAT, VPN users, travellers, monitors, a crawler, nightly exports, a marketing burst, a
 * deploy) with an attack of every detector family, judged strictly: an alert that names no
 * entity of a labelled attack within its window is false.
 *
 * Asserted: every attack named by its own detector in time; at most three false alerts a day
 * in total, and none from impossible travel (which raised about 1,800 a day on this traffic
 * before it learnt each principal's places); every alert backed by evidence rows; each attack
 * exactly one incident of its own, at most one false incident a day, at most a fifth of the
 * incidents critical.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DAYS, HISTORY_DAYS, HOUR, MIN } from '../eval/scenario.js';
import { formatReport } from '../eval/evaluate.js';
import { runEvaluation, type EvalRun } from '../eval/run-eval.js';
import { validateConfig } from '../../services/shared/config.js';
import type { Attack } from '../../services/demo/traffic-simulator.js';

const config = validateConfig({}).detect;
function allowedDelay(a: Attack): number {
  if (a.kind === 'gateway_silence') return (config.detectors.gateway_silence.silentMin + 1) * MIN;
  if (a.kind === 'route_drop') return (config.detectors.route_drop.windowMin + 1) * MIN;
  if (a.kind === 'slow_ramp') return (config.detectors.slow_ramp.hours + 1) * HOUR;
  return 2 * MIN;
}

describe('detection on realistic traffic, judged strictly', () => {
  let run: EvalRun;
  beforeAll(async () => {
    run = await runEvaluation({ world: 'realistic', historyDays: HISTORY_DAYS });
    console.log(formatReport(run.evaluation, { falseSamples: 20 }));
  }, 900_000);

  it('stored a week of realistic traffic and scored three days without a failed detector', () => {
    expect(run.records / (DAYS + HISTORY_DAYS)).toBeGreaterThan(100_000);
    expect(run.failed).toEqual([]);
  });

  it('names every attack with its own detector, in time', () => {
    const missed = run.evaluation.attacks.filter((r) => !r.detected || r.latencyMs! > allowedDelay(r.attack)).map((r) => `${r.attack.kind} (${r.latencyMs ?? 'never'})`);
    expect(missed).toEqual([]);
  });

  it('backs every alert with evidence rows, and names who drove each route alert', () => {
    const empty = run.alerts.filter((a) => a.evidence.rows.length === 0).map((a) => `${a.detector} ${a.entity.value}`);
    expect(empty).toEqual([]);
    const routeAlerts = run.alerts.filter((a) => a.entity.type === 'route' && !['route_drop', 'gateway_silence'].includes(a.detector));
    expect(routeAlerts.length).toBeGreaterThan(3);
    for (const a of routeAlerts) expect((a.detail.top_ips as unknown[] | undefined)?.length, `${a.detector} ${a.entity.value}`).toBeGreaterThan(0);
    // the bulk export says who downloaded the data
    const exposure = run.alerts.find((a) => a.detector === 'data_exposure')!;
    expect(exposure.summary).toMatch(/mostly .*user0150/);
  });

  it('raises at most three false alerts a day, none of them impossible travel', () => {
    const { falsePerDay, falseByDetector } = run.evaluation;
    expect(falseByDetector.impossible_travel ?? 0).toBe(0);
    for (const n of falsePerDay) expect(n).toBeLessThanOrEqual(3);
  });

  it('makes each attack exactly one incident, at most one false incident a day, and at most a fifth of incidents critical', () => {
    const { attacks, falseIncidentsPerDay, incidentsBySeverity, incidents } = run.evaluation;
    expect(attacks.filter((r) => r.incidents.length !== 1).map((r) => `${r.attack.kind}: ${r.incidents.length}`)).toEqual([]);
    // two attacks never share an incident
    const owners = new Map<string, string>();
    for (const r of attacks) for (const i of r.incidents) {
      expect(owners.get(i), `${r.attack.kind} shares ${i} with ${owners.get(i)}`).toBeUndefined();
      owners.set(i, r.attack.kind);
    }
    for (const n of falseIncidentsPerDay) expect(n).toBeLessThanOrEqual(1);
    expect(incidentsBySeverity.critical ?? 0).toBeLessThanOrEqual(incidents / 5);
  });
});
