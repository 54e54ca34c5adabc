/**
 * Incidents: the alerts of one attack, together. Several detectors see one attack from
 * different sides (a brute force is a `brute_force` alert on the address, a `failure_rate`
 * and a `volume` alert on the login route that the same address drove), so an alert joins an
 * incident when it shares an entity with it — its own, or one it names: the address or
 * principal that drove a route alert (a fifth or more of it), the account a brute force
 * targeted, the address a session was seen at — and their times are within `windowMin` of
 * each other. An alert linked to two incidents merges them into the older.
 *
 * Pure: incidents and alerts in, incidents out. The store (incident-store.ts) keeps them.
 * Grouping never decides an incident's status: that is a human's (incident_events).
 */
import { createHash } from 'node:crypto';
import type { Alert, Severity } from '../../schemas/alert-schema.js';
import { SEVERITIES } from '../../schemas/alert-schema.js';

export interface Incident {
  id: string;
  title: string;
  severity: Severity;
  /** `type:value` of every entity its alerts are about or name */
  keys: string[];
  detectors: string[];
  owasp: string[];
  alert_ids: string[];
  first_seen: string;
  last_seen: string;
  /** the incident this one was merged into ('' while it stands on its own) */
  merged_into: string;
}

/** a contributor holding at least this share of a route alert links it */
const CONTRIBUTOR_SHARE = 0.2;

/** The entities an alert is about or names, as `type:value`. */
export function linkKeys(a: Pick<Alert, 'entity' | 'detail' | 'detector'>): string[] {
  const keys = new Set([`${a.entity.type}:${a.entity.value}`]);
  const d = a.detail ?? {};
  for (const x of (d.top_ips as Array<{ ip: string; share: number }> | undefined) ?? []) if (x.share >= CONTRIBUTOR_SHARE) keys.add(`ip:${x.ip}`);
  for (const x of (d.top_principals as Array<{ principal: string; share: number }> | undefined) ?? []) if (x.share >= CONTRIBUTOR_SHARE) keys.add(`principal:${x.principal}`);
  if (a.detector === 'brute_force' && typeof d.target === 'string') keys.add(`${d.target_kind === 'route' ? 'route' : 'principal'}:${d.target}`);
  if (typeof d.ip === 'string' && d.ip) keys.add(`ip:${d.ip}`);
  const to = d.to as { ip?: string } | undefined;
  if (to?.ip) keys.add(`ip:${to.ip}`);
  if ((a.detector === 'enumeration' || a.detector === 'sensitive_access') && typeof d.route === 'string') keys.add(`route:${d.route}`);
  return [...keys];
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);
const t = (iso: string) => Date.parse(iso);

const idFrom = (s: string) => `inc-${createHash('sha256').update(s).digest('hex').slice(0, 16)}`;

/**
 * The incident an alert opens on its own: its id follows from the alert's (replays give the
 * same), or, when that id is taken (the alert came back after its incident was resolved),
 * from the alert and when it came back.
 */
export function incidentFor(a: Alert, taken: ReadonlySet<string> = new Set()): Incident {
  let id = idFrom(a.id);
  if (taken.has(id)) id = idFrom(`${a.id}:${a.last_seen}`);
  return {
    id,
    title: a.summary,
    severity: a.severity,
    keys: linkKeys(a),
    detectors: [a.detector],
    owasp: [a.owasp],
    alert_ids: [a.id],
    first_seen: a.first_seen,
    last_seen: a.last_seen,
    merged_into: '',
  };
}

/** Two time spans within `gapMs` of each other. */
const near = (a: { first_seen: string; last_seen: string }, b: { first_seen: string; last_seen: string }, gapMs: number) =>
  t(a.first_seen) <= t(b.last_seen) + gapMs && t(b.first_seen) <= t(a.last_seen) + gapMs;

export interface GroupResult {
  /** incidents created or changed (merged ones included, with merged_into set) */
  changed: Incident[];
  /** alert id → incident id */
  placed: Map<string, string>;
}

/**
 * Places alerts (new or extended) into incidents. `open` are the incidents that may still
 * take alerts (not resolved by a human, not merged), `known` the alerts they already hold (for
 * the title and severity), `taken` the ids of incidents that exist but may not take alerts
 * (resolved or merged): a new incident never reuses one.
 */
export function groupAlerts(open: Incident[], alerts: Alert[], opts: { windowMin: number; known: Map<string, Alert>; taken?: ReadonlySet<string> }): GroupResult {
  const gap = opts.windowMin * 60_000;
  const live = new Map(open.map((i) => [i.id, { ...i }]));
  const changed = new Set<string>();
  const placed = new Map<string, string>();
  const holder = new Map<string, string>();
  for (const i of live.values()) for (const id of i.alert_ids) holder.set(id, i.id);
  const all = new Map(opts.known);
  for (const a of [...alerts].sort((x, y) => t(x.first_seen) - t(y.first_seen) || x.id.localeCompare(y.id))) {
    all.set(a.id, a);
    const keys = linkKeys(a);
    const linked = [...live.values()].filter((i) => !i.merged_into && (holder.get(a.id) === i.id || (near(i, a, gap) && i.keys.some((k) => keys.includes(k)))));
    let target: Incident;
    if (linked.length === 0) {
      target = incidentFor(a, opts.taken);
      live.set(target.id, target);
    } else {
      linked.sort((x, y) => t(x.first_seen) - t(y.first_seen) || x.id.localeCompare(y.id));
      target = linked[0]!;
      for (const other of linked.slice(1)) {
        // one alert ties two incidents: they were one attack
        target.keys = [...new Set([...target.keys, ...other.keys])];
        target.alert_ids = [...new Set([...target.alert_ids, ...other.alert_ids])];
        target.detectors = [...new Set([...target.detectors, ...other.detectors])];
        target.owasp = [...new Set([...target.owasp, ...other.owasp])];
        if (t(other.first_seen) < t(target.first_seen)) target.first_seen = other.first_seen;
        if (t(other.last_seen) > t(target.last_seen)) target.last_seen = other.last_seen;
        other.merged_into = target.id;
        for (const id of other.alert_ids) holder.set(id, target.id);
        changed.add(other.id);
      }
      target.keys = [...new Set([...target.keys, ...keys])];
      if (!target.alert_ids.includes(a.id)) target.alert_ids = [...target.alert_ids, a.id];
      if (!target.detectors.includes(a.detector)) target.detectors = [...target.detectors, a.detector];
      if (!target.owasp.includes(a.owasp)) target.owasp = [...target.owasp, a.owasp];
      if (t(a.first_seen) < t(target.first_seen)) target.first_seen = a.first_seen;
      if (t(a.last_seen) > t(target.last_seen)) target.last_seen = a.last_seen;
    }
    // the lead alert (most severe, then strongest, then first) gives the title and severity
    const members = target.alert_ids.map((id) => all.get(id)).filter((x): x is Alert => x !== undefined);
    const lead = members.sort((x, y) => rank(y.severity) - rank(x.severity) || y.score - x.score || t(x.first_seen) - t(y.first_seen))[0] ?? a;
    target.severity = lead.severity;
    const others = target.alert_ids.length - 1;
    target.title = others > 0 ? `${lead.summary} (+${others} related alert${others > 1 ? 's' : ''}: ${target.detectors.filter((d) => d !== lead.detector).join(', ') || lead.detector})` : lead.summary;
    holder.set(a.id, target.id);
    placed.set(a.id, target.id);
    changed.add(target.id);
  }
  return { changed: [...changed].map((id) => live.get(id)!), placed };
}
