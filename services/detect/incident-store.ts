/**
 * Incidents in ClickHouse. Two tables with one writer each, so that detection and people
 * never overwrite each other: `incidents` (ReplacingMergeTree by version) is written by
 * grouping only — which alerts, entities, detectors, title, severity, times — and
 * `incident_events` by the API only: every acknowledgement, resolution and reopening with who,
 * when and why. An incident's status is its newest event's (open when it has none). Nothing
 * is held in process memory: every process reads the same state.
 */
import type { Alert } from '../../schemas/alert-schema.js';
import type { Store } from '../shared/clickhouse.js';
import type { AlertStore } from './clickhouse-alert-store.js';
import { groupAlerts, incidentFor, type Incident } from './incident-grouping.js';

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';
export type IncidentAction = 'ack' | 'resolve' | 'reopen';

export interface IncidentView extends Incident {
  status: IncidentStatus;
  alerts_count: number;
}

export interface IncidentEvent {
  at: string;
  actor: string;
  action: IncidentAction;
  from_status: IncidentStatus;
  to_status: IncidentStatus;
  comment: string;
}

export interface IncidentFilter {
  status?: IncidentStatus;
  severity?: string;
  /** last_seen at or after / before (ISO) */
  from?: string;
  to?: string;
  limit: number;
}

export interface IncidentStore {
  /** groups new or extended alerts into incidents and stores what changed */
  place(alerts: Alert[], windowMin: number): Promise<Map<string, string>>;
  list(f: IncidentFilter): Promise<IncidentView[]>;
  /** the current state of these incidents (unknown ids are left out) */
  byIds(ids: string[]): Promise<IncidentView[]>;
  get(id: string): Promise<(IncidentView & { alerts: Alert[]; events: IncidentEvent[] }) | undefined>;
  transition(id: string, action: IncidentAction, actor: string, comment: string): Promise<{ ok: true; incident: IncidentView } | { ok: false; reason: 'not_found' | 'invalid'; message: string }>;
}

const TRANSITIONS: Record<IncidentAction, { from: IncidentStatus[]; to: IncidentStatus }> = {
  ack: { from: ['open'], to: 'acknowledged' },
  resolve: { from: ['open', 'acknowledged'], to: 'resolved' },
  reopen: { from: ['resolved'], to: 'open' },
};

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
}

const toCh = (iso: string) => iso.replace('T', ' ').replace('Z', '');
const toIso = (ch: string) => `${ch.replace(' ', 'T')}${ch.includes('.') ? '' : '.000'}Z`;

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
  };
}

export function createIncidentStore(store: Store, alerts: Pick<AlertStore, 'byIds'>, now: () => number = Date.now): IncidentStore {
  const { client, db } = store;
  const rows = async <T>(query: string, query_params: Record<string, unknown> = {}) => (await client.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
  // the newest status of each incident, from the people's table
  const STATUS = `(SELECT incident_id, argMax(to_status, at) AS status FROM ${db}.incident_events GROUP BY incident_id)`;
  const SELECT = `SELECT i.id AS id, i.title AS title, i.severity AS severity, i.keys AS keys, i.detectors AS detectors, i.owasp AS owasp, i.alert_ids AS alert_ids,
      toString(i.first_seen) AS first_seen, toString(i.last_seen) AS last_seen, i.merged_into AS merged_into, ifNull(s.status, '') AS status
    FROM (SELECT * FROM ${db}.incidents FINAL) AS i LEFT JOIN ${STATUS} AS s ON s.incident_id = i.id`;
  let version = 0;

  async function save(incidents: Incident[]): Promise<void> {
    if (!incidents.length) return;
    version = Math.max(version + 1, now() * 1000);
    const at = toCh(new Date(now()).toISOString());
    await client.insert({
      table: `${db}.incidents`,
      format: 'JSONEachRow',
      values: incidents.map((i, k) => ({ ...i, first_seen: toCh(i.first_seen), last_seen: toCh(i.last_seen), updated_at: at, version: version + k })),
    });
    version += incidents.length;
  }

  async function get(id: string) {
    const [r] = await rows<Row>(`${SELECT} WHERE i.id = {id:String}`, { id });
    if (!r) return undefined;
    const incident = view(r);
    const events = (await rows<IncidentEvent & { at: string }>(`SELECT toString(at) AS at, actor, action, from_status, to_status, comment FROM ${db}.incident_events WHERE incident_id = {id:String} ORDER BY at`, { id })).map((e) => ({ ...e, at: toIso(e.at) }));
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
          { earliest: toCh(new Date(earliest).toISOString()), latest: toCh(new Date(latest).toISOString()), ids: changed.map((a) => a.id) },
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
      const params: Record<string, unknown> = { limit: f.limit };
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
      return (await rows<Row>(`${SELECT} WHERE i.id IN {ids:Array(String)}`, { ids })).map(view);
    },

    async transition(id, action, actor, comment) {
      const current = await get(id);
      if (!current) return { ok: false, reason: 'not_found', message: `no incident ${id}` };
      if (current.merged_into) return { ok: false, reason: 'invalid', message: `incident ${id} was merged into ${current.merged_into}: act on that one` };
      const rule = TRANSITIONS[action];
      if (!rule.from.includes(current.status)) return { ok: false, reason: 'invalid', message: `cannot ${action} an incident that is ${current.status}` };
      await client.insert({
        table: `${db}.incident_events`,
        format: 'JSONEachRow',
        values: [{ incident_id: id, at: toCh(new Date(now()).toISOString()), actor, action, from_status: current.status, to_status: rule.to, comment }],
      });
      const { alerts: _a, events: _e, ...incident } = current;
      return { ok: true, incident: { ...incident, status: rule.to } };
    },
  };
}
