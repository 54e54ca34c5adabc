/**
 * Incidents in ClickHouse. Two tables with one writer each, so that detection and people
 * never overwrite each other: `incidents` (ReplacingMergeTree by version) is written by
 * grouping only — which alerts, entities, detectors, title, severity, times — and
 * `incident_events` is the lifecycle trail: every acknowledgement, resolution, reopening and
 * silence with who, when and why. An incident's status is its newest event's (open when it
 * has none). The one event a machine writes is `auto_resolve`, when every alert of the
 * incident has been resolved since the last event (the condition is clear): it is a new event
 * after the people's, never a change to one, and an incident a person reopened stays open
 * until one of its alerts fires and clears again. Nothing is held in process memory: every
 * process reads the same state.
 */
import type { Alert } from '../../schemas/alert-schema.js';
import type { Store } from './clickhouse.js';
import type { AlertStore } from './clickhouse-alert-store.js';
import { groupAlerts, incidentFor, type Incident } from '../detect/incident-grouping.js';
import { chToIso as toIso, isoToCh as toCh, msToCh } from './time.js';

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';
/** what a person may do to an incident */
export type IncidentAction = 'ack' | 'resolve' | 'reopen' | 'silence' | 'unsilence';

export interface IncidentView extends Incident {
  status: IncidentStatus;
  alerts_count: number;
  /** notifications about it are held back until then (ISO); '' when not silenced */
  silenced_until: string;
}

export interface IncidentEvent {
  at: string;
  actor: string;
  action: IncidentAction | 'auto_resolve';
  from_status: IncidentStatus;
  to_status: IncidentStatus;
  comment: string;
  /** for a silence: until when (ISO); '' otherwise */
  until: string;
}

/** An event of the trail with the stream's position (version) and the incident it is about. */
export interface IncidentChange extends IncidentEvent {
  incident_id: string;
  version: number;
}

export interface IncidentFilter {
  status?: IncidentStatus;
  severity?: string;
  /** last_seen at or after / before (ISO) */
  from?: string;
  to?: string;
  limit: number;
}

export type TransitionOutcome = { ok: true; incident: IncidentView; alertsChanged: number } | { ok: false; reason: 'not_found' | 'invalid'; message: string };

export interface IncidentStore {
  /** groups new or extended alerts into incidents and stores what changed */
  place(alerts: Alert[], windowMin: number): Promise<Map<string, string>>;
  list(f: IncidentFilter): Promise<IncidentView[]>;
  /** the current state of these incidents (unknown ids are left out) */
  byIds(ids: string[]): Promise<IncidentView[]>;
  get(id: string): Promise<(IncidentView & { alerts: Alert[]; events: IncidentEvent[] }) | undefined>;
  /**
   * A person acts on an incident; the trail records it. Acknowledging or resolving an incident
   * does the same to each of its alerts that can take it (with the same actor and comment), so
   * the alert feed agrees. A silence holds the incident's notifications back until `untilMs`.
   */
  transition(id: string, action: IncidentAction, actor: string, comment: string, opts?: { untilMs?: number }): Promise<TransitionOutcome>;
  /** Incidents whose every alert is resolved since their last event: resolved by the system. Returns their ids. */
  resolveClear(): Promise<string[]>;
  /** events of the trail written after `version`, oldest first */
  changesSince(version: number, limit: number): Promise<IncidentChange[]>;
  /** the newest version in the trail (0 when empty) */
  lastChange(): Promise<number>;
}

const TRANSITIONS: Record<IncidentAction | 'auto_resolve', { from: IncidentStatus[]; to?: IncidentStatus }> = {
  ack: { from: ['open'], to: 'acknowledged' },
  resolve: { from: ['open', 'acknowledged'], to: 'resolved' },
  auto_resolve: { from: ['open', 'acknowledged'], to: 'resolved' },
  reopen: { from: ['resolved'], to: 'open' },
  // a silence leaves the status as it is
  silence: { from: ['open', 'acknowledged'] },
  unsilence: { from: ['open', 'acknowledged', 'resolved'] },
};

/** the alert action an incident action carries to its alerts */
const ALERT_ACTION: Partial<Record<IncidentAction, 'ack' | 'resolve'>> = { ack: 'ack', resolve: 'resolve' };

interface Row {
  id: string;
  title: string;
  severity: Alert['severity'];
  keys: string[];
  detectors: string[];
  owasp: string[];
  alert_ids: string[];
  first_seen: string;
  last_seen: string;
  merged_into: string;
  status: string;
  silenced_until: string;
  last_event_ms: number | string;
}

const EPOCH = '1970-01-01 00:00:00.000';

function view(r: Row): IncidentView {
  return {
    id: r.id,
    title: r.title,
    severity: r.severity,
    keys: r.keys,
    detectors: r.detectors,
    owasp: r.owasp,
    alert_ids: r.alert_ids,
    first_seen: toIso(r.first_seen),
    last_seen: toIso(r.last_seen),
    merged_into: r.merged_into,
    status: (r.status || 'open') as IncidentStatus,
    alerts_count: r.alert_ids.length,
    silenced_until: r.silenced_until && r.silenced_until !== EPOCH ? toIso(r.silenced_until) : '',
  };
}

export function createIncidentStore(store: Store, alerts: Pick<AlertStore, 'byIds' | 'transition'>, now: () => number = Date.now): IncidentStore {
  const { client, db } = store;
  const rows = async <T>(query: string, query_params: Record<string, unknown> = {}) => (await client.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
  // each incident's newest status, its silence (if still in force) and when its trail last moved
  // (a silence says nothing about the status: only the other events decide it, and when the
  // status last moved; a silence written just after a resolution must not undo it)
  const STATUS = `(SELECT incident_id, argMaxIf(to_status, (at, version), action NOT IN ('silence', 'unsilence')) AS status,
      argMaxIf(until, (at, version), action IN ('silence', 'unsilence')) AS until_raw,
      toUnixTimestamp64Milli(maxIf(at, action NOT IN ('silence', 'unsilence'))) AS last_event_ms
    FROM ${db}.incident_events GROUP BY incident_id)`;
  const SELECT = `SELECT i.id AS id, i.title AS title, i.severity AS severity, i.keys AS keys, i.detectors AS detectors, i.owasp AS owasp, i.alert_ids AS alert_ids,
      toString(i.first_seen) AS first_seen, toString(i.last_seen) AS last_seen, i.merged_into AS merged_into, ifNull(s.status, '') AS status,
      if(ifNull(s.until_raw, toDateTime64(0, 3, 'UTC')) > {now:DateTime64(3, 'UTC')}, toString(s.until_raw), '') AS silenced_until, ifNull(s.last_event_ms, 0) AS last_event_ms
    FROM (SELECT * FROM ${db}.incidents FINAL) AS i LEFT JOIN ${STATUS} AS s ON s.incident_id = i.id`;
  const nowCh = () => msToCh(now());
  let version = 0;
  const nextVersion = () => (version = Math.max(version + 1, now() * 1000));

  async function save(incidents: Incident[]): Promise<void> {
    if (!incidents.length) return;
    version = Math.max(version + 1, now() * 1000);
    const at = nowCh();
    await client.insert({
      table: `${db}.incidents`,
      format: 'JSONEachRow',
      values: incidents.map((i, k) => ({ ...i, first_seen: toCh(i.first_seen), last_seen: toCh(i.last_seen), updated_at: at, version: version + k })),
    });
    version += incidents.length;
  }

  async function record(events: Array<Omit<IncidentChange, 'version' | 'at'>>): Promise<void> {
    if (!events.length) return;
    const at = nowCh();
    await client.insert({
      table: `${db}.incident_events`,
      format: 'JSONEachRow',
      values: events.map((e) => ({ ...e, at, until: e.until ? toCh(e.until) : EPOCH, comment: e.comment.slice(0, 2000), version: nextVersion() })),
    });
  }

  const eventOf = (e: IncidentEvent & { until: string }) => ({ ...e, at: toIso(e.at), until: e.until && e.until !== EPOCH ? toIso(e.until) : '' });

  async function get(id: string) {
    const [r] = await rows<Row>(`${SELECT} WHERE i.id = {id:String}`, { id, now: nowCh() });
    if (!r) return undefined;
    const incident = view(r);
    const events = (await rows<IncidentEvent>(`SELECT toString(at) AS at, actor, action, from_status, to_status, comment, toString(until) AS until FROM ${db}.incident_events WHERE incident_id = {id:String} ORDER BY at, version`, { id })).map(eventOf);
    return { ...incident, alerts: await alerts.byIds(incident.alert_ids), events };
  }

  return {
    async place(changed, windowMin) {
      if (!changed.length) return new Map();
      const earliest = Math.min(...changed.map((a) => Date.parse(a.first_seen))) - windowMin * 60_000;
      const latest = Math.max(...changed.map((a) => Date.parse(a.last_seen))) + windowMin * 60_000;
      // incidents that may take these alerts: near them in time, or holding one of them; not merged, not resolved
      const open = (
        await rows<Row>(
          `${SELECT} WHERE i.merged_into = '' AND ifNull(s.status, '') != 'resolved'
             AND ((i.last_seen >= {earliest:DateTime64(3, 'UTC')} AND i.first_seen <= {latest:DateTime64(3, 'UTC')}) OR hasAny(i.alert_ids, {ids:Array(String)}))`,
          { earliest: msToCh(earliest), latest: msToCh(latest), ids: changed.map((a) => a.id), now: nowCh() },
        )
      ).map(view);
      const memberIds = [...new Set(open.flatMap((i) => i.alert_ids))];
      const known = new Map((await alerts.byIds(memberIds)).map((a) => [a.id, a]));
      // the ids these alerts would give new incidents, where such an incident exists already (resolved, merged)
      const candidates = changed.map((a) => incidentFor(a).id);
      const taken = new Set((await rows<{ id: string }>(`SELECT DISTINCT id FROM ${db}.incidents WHERE id IN {ids:Array(String)}`, { ids: candidates })).map((r) => r.id).filter((id) => !open.some((i) => i.id === id)));
      const { changed: incidents, placed } = groupAlerts(open, changed, { windowMin, known, taken });
      await save(incidents.map(({ id, title, severity, keys, detectors, owasp, alert_ids, first_seen, last_seen, merged_into }) => ({ id, title, severity, keys, detectors, owasp, alert_ids, first_seen, last_seen, merged_into })));
      return placed;
    },

    async list(f) {
      const where = ["i.merged_into = ''"];
      const params: Record<string, unknown> = { limit: f.limit, now: nowCh() };
      if (f.status) {
        where.push(`if(ifNull(s.status, '') = '', 'open', s.status) = {status:String}`);
        params.status = f.status;
      }
      if (f.severity) {
        where.push('i.severity = {severity:String}');
        params.severity = f.severity;
      }
      if (f.from) {
        where.push(`i.last_seen >= {from:DateTime64(3, 'UTC')}`);
        params.from = toCh(f.from);
      }
      if (f.to) {
        where.push(`i.last_seen < {to:DateTime64(3, 'UTC')}`);
        params.to = toCh(f.to);
      }
      return (await rows<Row>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY i.last_seen DESC, i.id LIMIT {limit:UInt32}`, params)).map(view);
    },

    get,

    async byIds(ids) {
      if (!ids.length) return [];
      return (await rows<Row>(`${SELECT} WHERE i.id IN {ids:Array(String)}`, { ids, now: nowCh() })).map(view);
    },

    async transition(id, action, actor, comment, opts = {}) {
      const current = await get(id);
      if (!current) return { ok: false, reason: 'not_found', message: `no incident ${id}` };
      if (current.merged_into) return { ok: false, reason: 'invalid', message: `incident ${id} was merged into ${current.merged_into}: act on that one` };
      const rule = TRANSITIONS[action];
      if (!rule.from.includes(current.status)) return { ok: false, reason: 'invalid', message: `cannot ${action} an incident that is ${current.status}` };
      let until = '';
      if (action === 'silence') {
        if (!opts.untilMs || opts.untilMs <= now()) return { ok: false, reason: 'invalid', message: 'a silence needs an end in the future' };
        until = new Date(opts.untilMs).toISOString();
      }
      if (action === 'unsilence' && !current.silenced_until) return { ok: false, reason: 'invalid', message: `incident ${id} is not silenced` };
      const to = rule.to ?? current.status;
      await record([{ incident_id: id, actor, action, from_status: current.status, to_status: to, comment, until }]);
      // the incident's alerts follow an acknowledgement or a resolution (those already there are left alone)
      let alertsChanged = 0;
      const alertAction = ALERT_ACTION[action];
      if (alertAction) {
        for (const a of current.alerts) {
          if (a.status === 'resolved' || (alertAction === 'ack' && a.status !== 'open')) continue;
          const r = await alerts.transition(a.id, alertAction, actor, comment ? `${comment} (incident ${id})` : `with incident ${id}`);
          if (r.ok) alertsChanged++;
        }
      }
      const { alerts: _a, events: _e, ...incident } = current;
      return { ok: true, incident: { ...incident, status: to, silenced_until: action === 'silence' ? until : action === 'unsilence' ? '' : incident.silenced_until }, alertsChanged };
    },

    async resolveClear() {
      const active = (await rows<Row>(`${SELECT} WHERE i.merged_into = '' AND ifNull(s.status, '') != 'resolved'`, { now: nowCh() }));
      if (!active.length) return [];
      const ids = [...new Set(active.flatMap((r) => r.alert_ids))];
      const states = new Map<string, { status: string; updated: number }>();
      for (let k = 0; k < ids.length; k += 10_000) {
        // each alert's status, and when its trail last moved (its resolution, for a resolved one)
        const part = await rows<{ id: string; status: string; updated: number | string }>(
          `SELECT a.id AS id, a.status AS status, if(e.at = 0, toUnixTimestamp64Milli(a.updated_at), e.at) AS updated
             FROM (SELECT id, status, updated_at FROM ${db}.alerts_current WHERE id IN {ids:Array(String)}) AS a
             LEFT JOIN (SELECT alert_id, toUnixTimestamp64Milli(max(at)) AS at FROM ${db}.alert_events WHERE alert_id IN {ids:Array(String)} GROUP BY alert_id) AS e ON e.alert_id = a.id`,
          { ids: ids.slice(k, k + 10_000) },
        );
        for (const p of part) states.set(p.id, { status: p.status, updated: Number(p.updated) });
      }
      const clear = active.filter((r) => {
        const members = r.alert_ids.map((id) => states.get(id));
        if (!members.length || members.some((m) => !m || m.status !== 'resolved')) return false;
        // resolved since the trail last moved: a reopening by a person is not undone
        return Math.max(...members.map((m) => m!.updated)) > Number(r.last_event_ms);
      });
      await record(clear.map((r) => ({ incident_id: r.id, actor: 'system', action: 'auto_resolve' as const, from_status: (r.status || 'open') as IncidentStatus, to_status: 'resolved' as const, comment: `every alert resolved (${r.alert_ids.length}): the condition is clear`, until: '' })));
      return clear.map((r) => r.id);
    },

    async changesSince(after, limit) {
      const list = await rows<IncidentEvent & { incident_id: string; version: string | number }>(
        `SELECT incident_id, toString(at) AS at, actor, action, from_status, to_status, comment, toString(until) AS until, version FROM ${db}.incident_events WHERE version > {after:UInt64} ORDER BY version LIMIT {limit:UInt32}`,
        { after, limit },
      );
      return list.map((e) => ({ ...eventOf(e), incident_id: e.incident_id, version: Number(e.version) }));
    },

    async lastChange() {
      return Number((await rows<{ v: string | number }>(`SELECT max(version) AS v FROM ${db}.incident_events`))[0]?.v ?? 0);
    },
  };
}
