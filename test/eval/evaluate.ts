/**
 * The strict evaluation of detection: an alert is true only when it names an entity of a
 * labelled attack (attacker address, an account it used or targeted, a route it hit) and
 * fires between the attack's start and ten minutes after its traffic ends. Every other alert
 * is false, however close in time it is to an attack. Pure: alerts and labels in, figures out.
 */
import type { Alert } from '../../schemas/alert-schema.js';
import { attackLabels, type Attack, type AttackEntity } from '../../services/demo/traffic-simulator.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** an alert may come this long after the attack's traffic ended (its window closes, scoring runs) */
export const GRACE_MS = 10 * MIN;

export interface AttackResult {
  attack: Attack;
  /** the first alert naming the attack's own entity with the attack's own detector */
  detected?: Alert;
  /** event-time delay of that alert's first_seen (its first window) after the attack's start */
  latencyMs?: number;
  /** every alert explained by this attack */
  alerts: Alert[];
  /** the incidents of the alerts this attack alone explains */
  incidents: string[];
}

/** An incident as the evaluation needs it. */
export interface EvalIncident {
  id: string;
  severity: string;
  alert_ids: string[];
  first_seen: string;
  title: string;
}

export interface Evaluation {
  attacks: AttackResult[];
  falseAlerts: Alert[];
  falsePerDay: number[];
  falseByDetector: Record<string, number>;
  bySeverity: Record<string, number>;
  total: number;
  incidents: number;
  /** incidents holding no alert that an attack explains */
  falseIncidents: EvalIncident[];
  falseIncidentsPerDay: number[];
  incidentsBySeverity: Record<string, number>;
  /** alert id → incident id */
  incidentOf: Map<string, string>;
}

export function matches(entity: AttackEntity, alert: Alert): boolean {
  if (entity.type !== alert.entity.type) return false;
  return 'prefix' in entity ? alert.entity.value.startsWith(entity.prefix) : entity.value === alert.entity.value;
}

export function evaluate(
  alerts: Alert[],
  attacks: Attack[],
  users: Array<{ name: string }>,
  range: { from: number; to: number },
  ipsOf?: (user: string, from: number, to: number) => string[],
  incidents: EvalIncident[] = [],
): Evaluation {
  const labelled = attacks.map((attack) => ({ attack, ...attackLabels(attack, users, ipsOf) }));
  const results: AttackResult[] = labelled.map(({ attack }) => ({ attack, alerts: [], incidents: [] }));
  const incidentOf = new Map<string, string>();
  for (const i of incidents) for (const id of i.alert_ids) incidentOf.set(id, i.id);
  const falseAlerts: Alert[] = [];
  for (const a of alerts) {
    const start = Date.parse(a.window.start);
    const first = Date.parse(a.first_seen);
    let explained = false;
    labelled.forEach((l, i) => {
      // the alert's first window must fall inside the attack (plus grace), and name one of its entities
      const inTime = Math.max(start, first) >= l.attack.start - MIN && Math.min(start, first) <= l.end + GRACE_MS;
      if (inTime && l.entities.some((e) => matches(e, a))) {
        explained = true;
        results[i]!.alerts.push(a);
      }
    });
    if (!explained) falseAlerts.push(a);
  }
  // an alert that two attacks explain (a slow ramp on a login route both drove) may sit in
  // either's incident: an attack's incidents are those of the alerts it alone explains
  const explainers = new Map<string, number>();
  for (const r of results) for (const a of r.alerts) explainers.set(a.id, (explainers.get(a.id) ?? 0) + 1);
  for (const r of results) {
    const alone = r.alerts.filter((a) => explainers.get(a.id) === 1);
    r.incidents = [...new Set((alone.length ? alone : r.alerts).map((a) => incidentOf.get(a.id) ?? `(none: ${a.id})`))];
    const own = r.alerts
      .filter((a) => a.detector === r.attack.kind && a.entity.type === r.attack.entity.type && a.entity.value === r.attack.entity.value)
      .sort((x, y) => Date.parse(x.first_seen) - Date.parse(y.first_seen))[0];
    if (own) {
      r.detected = own;
      r.latencyMs = Date.parse(own.first_seen) - r.attack.start;
    }
  }
  const days = Math.max(1, Math.ceil((range.to - range.from) / DAY));
  const falsePerDay = Array.from({ length: days }, () => 0);
  const falseByDetector: Record<string, number> = {};
  for (const a of falseAlerts) {
    const d = Math.min(days - 1, Math.max(0, Math.floor((Date.parse(a.window.start) - range.from) / DAY)));
    falsePerDay[d]!++;
    falseByDetector[a.detector] = (falseByDetector[a.detector] ?? 0) + 1;
  }
  const bySeverity: Record<string, number> = {};
  for (const a of alerts) bySeverity[a.severity] = (bySeverity[a.severity] ?? 0) + 1;
  const explained = new Set(results.flatMap((r) => r.alerts.map((a) => a.id)));
  const falseIncidents = incidents.filter((i) => !i.alert_ids.some((id) => explained.has(id)));
  const falseIncidentsPerDay = Array.from({ length: days }, () => 0);
  for (const i of falseIncidents) falseIncidentsPerDay[Math.min(days - 1, Math.max(0, Math.floor((Date.parse(i.first_seen) - range.from) / DAY)))]!++;
  const incidentsBySeverity: Record<string, number> = {};
  for (const i of incidents) incidentsBySeverity[i.severity] = (incidentsBySeverity[i.severity] ?? 0) + 1;
  return { attacks: results, falseAlerts, falsePerDay, falseByDetector, bySeverity, total: alerts.length, incidents: incidents.length, falseIncidents, falseIncidentsPerDay, incidentsBySeverity, incidentOf };
}

const fmtMin = (ms: number) => `${(ms / MIN).toFixed(1)} min`;

export function formatReport(e: Evaluation, opts: { falseSamples?: number } = {}): string {
  const lines: string[] = [];
  lines.push('attack                    entity                         detected  latency   incidents  alerts');
  for (const r of e.attacks) {
    lines.push(
      `${r.attack.kind.padEnd(25)} ${r.attack.entity.value.slice(0, 30).padEnd(30)} ${(r.detected ? 'yes' : 'NO').padEnd(9)} ${(r.latencyMs !== undefined ? fmtMin(r.latencyMs) : '-').padEnd(9)} ${String(r.incidents.length).padEnd(10)} ${r.alerts.length} (${[...new Set(r.alerts.map((a) => a.detector))].join(', ')})`,
    );
  }
  // an attack split over several incidents: which alerts went where
  for (const r of e.attacks.filter((x) => x.incidents.length > 1)) {
    lines.push(`  ${r.attack.kind} ${r.attack.entity.value} split:`);
    for (const a of r.alerts) lines.push(`    ${e.incidentOf.get(a.id) ?? '-'}  ${a.detector} ${a.entity.type}=${a.entity.value} ${a.first_seen} → ${a.last_seen} keys ${JSON.stringify(a.detail.top_ips ?? a.detail.target ?? '')}`);
  }
  const detected = e.attacks.filter((r) => r.detected).length;
  lines.push('');
  lines.push(`attacks detected: ${detected}/${e.attacks.length}`);
  lines.push(`alerts: ${e.total}; false: ${e.falseAlerts.length} (per day: ${e.falsePerDay.join(' / ')})`);
  lines.push(`false by detector: ${Object.entries(e.falseByDetector).sort((a, b) => b[1] - a[1]).map(([d, n]) => `${d} ${n}`).join(', ') || 'none'}`);
  lines.push(`severity of alerts: ${['critical', 'high', 'medium', 'low'].map((s) => `${s} ${e.bySeverity[s] ?? 0}`).join(' / ')}`);
  if (e.incidents) {
    const one = e.attacks.filter((r) => r.incidents.length === 1).length;
    lines.push(`incidents: ${e.incidents}; attacks that are exactly one incident: ${one}/${e.attacks.length}; false incidents: ${e.falseIncidents.length} (per day: ${e.falseIncidentsPerDay.join(' / ')})`);
    lines.push(`severity of incidents: ${['critical', 'high', 'medium', 'low'].map((s) => `${s} ${e.incidentsBySeverity[s] ?? 0}`).join(' / ')}`);
  }
  const n = opts.falseSamples ?? 15;
  if (e.falseAlerts.length && n > 0) {
    lines.push(`first ${Math.min(n, e.falseAlerts.length)} false alerts:`);
    for (const a of e.falseAlerts.slice(0, n)) lines.push(`  ${a.window.start} ${a.detector} ${a.severity} ${a.entity.type}=${a.entity.value}: ${a.summary}`);
  }
  return lines.join('\n');
}
