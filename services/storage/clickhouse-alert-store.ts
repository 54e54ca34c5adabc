/**
 * Alerts in ClickHouse, in two tables with one writer each, so that detection and people never
 * overwrite each other (whether they run in one process or in many):
 * - `alerts` (ReplacingMergeTree by version: the newest row of an id wins) is detection's:
 *   windows, scores, summary, detail, last_seen. Only `save` writes it.
 * - `alert_events` is the lifecycle trail: every ack, resolve and reopen by a person, and the
 *   system's auto-resolve, with who, when and why. Only `transition` writes it.
 * An alert's status is its trail's newest event's (for an alert nobody ever moved, the status
 * detection wrote: open); every read goes through the `alerts_current` view, which joins the
 * two. The store keeps the latest alert per detector and entity in memory for detection's
 * extensions (detection is the one writer of those facts); the status of those it is about to
 * extend is read fresh from the trail (`statuses`).
 */
import type { Alert } from '../../schemas/alert-schema.js';
import { entityKey } from '../../detectors/alert-builder.js';
import type { Store } from './clickhouse.js';
import { chToIso as toIso, isoToCh as toCh, msToCh } from './time.js';

export interface AlertStore {
  /** the newest alert for a detector and entity, whatever its status (its status as this process last knew it: see `statuses`) */
  latestFor(detector: string, entity: { type: string; value: string }): Promise<Alert | undefined>;
  /** the current status of these alerts, read from the trail (unknown ids are left out) */
  statuses(ids: string[]): Promise<Map<string, Alert['status']>>;
  /** drops the in-memory copy of the latest alerts (another process may have written since: taking over detection) */
  forget(): void;
  save(alerts: Alert[]): Promise<void>;
  list(opts?: { limit?: number; status?: string }): Promise<Alert[]>;
  /** the current state of these alerts (unknown ids are left out) */
  byIds(ids: string[]): Promise<Alert[]>;
  /** alerts newest first (by last_seen, then id), filtered, one page after `after` */
  search(f: AlertFilter): Promise<Alert[]>;
  /** moves an alert along its lifecycle: one event in the trail (who, when, why); the alert's detection facts are not written */
  transition(id: string, action: LifecycleAction, actor: string, comment: string): Promise<TransitionResult>;
  /** the audit trail of one alert, oldest first */
  events(id: string): Promise<AlertEvent[]>;
}

export interface AlertFilter {
  status?: string;
  severity?: string;
  detector?: string;
  entityType?: string;
  entityValue?: string;
  /** last_seen at or after / before (ISO) */
  from?: string;
  to?: string;
  /** the position after which the page starts: the last alert of the previous page */
  after?: { lastSeen: string; id: string };
  limit: number;
}

export type LifecycleAction = 'ack' | 'resolve' | 'reopen' | 'auto_resolve';

export interface AlertEvent {
  at: string;
  actor: string;
  action: LifecycleAction;
  from_status: string;
  to_status: string;
  comment: string;
}

export type TransitionResult = { ok: true; alert: Alert } | { ok: false; reason: 'not_found' | 'invalid'; message: string };

/** open → acknowledged → resolved; open → resolved; resolved → open (reopen). */
const TRANSITIONS: Record<LifecycleAction, { from: Alert['status'][]; to: Alert['status'] }> = {
  ack: { from: ['open'], to: 'acknowledged' },
  resolve: { from: ['open', 'acknowledged'], to: 'resolved' },
  auto_resolve: { from: ['open', 'acknowledged'], to: 'resolved' },
  reopen: { from: ['resolved'], to: 'open' },
};

interface AlertRow {
  id: string;
  detector: string;
  severity: Alert['severity'];
  entity_type: Alert['entity']['type'];
  entity_value: string;
  window_start: string;
  window_end: string;
  observed: number;
  expected: number;
  score: number;
  summary: string;
  owasp: string;
  evidence_sql: string;
  evidence_rows: string;
  detail: string;
  status: Alert['status'];
  windows: number | string;
  first_seen: string;
  last_seen: string;
}


function fromRow(r: AlertRow): Alert {
  const parse = (s: string, fallback: unknown) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return fallback;
    }
  };
  return {
    id: r.id,
    detector: r.detector,
    severity: r.severity,
    entity: { type: r.entity_type, value: r.entity_value },
    window: { start: toIso(r.window_start), end: toIso(r.window_end) },
    observed: Number(r.observed),
    expected: Number(r.expected),
    score: Number(r.score),
    summary: r.summary,
    owasp: r.owasp,
    evidence: { sql: r.evidence_sql, rows: parse(r.evidence_rows, []) as Array<Record<string, unknown>> },
    detail: parse(r.detail, {}) as Record<string, unknown>,
    status: r.status,
    windows: Number(r.windows),
    first_seen: toIso(r.first_seen),
    last_seen: toIso(r.last_seen),
  };
}

export function createClickHouseAlertStore(store: Store, now: () => number = Date.now): AlertStore {
  const { client, db } = store;
  let latest: Map<string, Alert> | undefined;
  let version = 0;
  const COLUMNS = 'id, detector, severity, entity_type, entity_value, window_start, window_end, observed, expected, score, summary, owasp, evidence_sql, evidence_rows, detail, status, windows, first_seen, last_seen';
  // alerts by id, as alerts_current gives them, with both sides narrowed to the ids before the
  // trail is grouped (the view would group the whole trail)
  const BY_IDS = `SELECT ${COLUMNS.split(', ').map((c) => (c === 'status' ? "if(e.st = '', a.status, e.st) AS status" : `a.${c} AS ${c}`)).join(', ')}
    FROM (SELECT ${COLUMNS} FROM ${db}.alerts FINAL WHERE id IN {ids:Array(String)}) AS a
    LEFT JOIN (SELECT alert_id, argMax(to_status, (at, version)) AS st FROM ${db}.alert_events WHERE alert_id IN {ids:Array(String)} GROUP BY alert_id) AS e ON e.alert_id = a.id
    SETTINGS join_use_nulls = 0`;

  async function load(): Promise<Map<string, Alert>> {
    if (latest) return latest;
    const rows = await (await client.query({ query: `SELECT ${COLUMNS} FROM ${db}.alerts_current ORDER BY last_seen`, format: 'JSONEachRow' })).json<AlertRow>();
    const map = new Map<string, Alert>();
    for (const r of rows) map.set(entityKey(r.detector, { type: r.entity_type, value: r.entity_value }), fromRow(r));
    latest = map;
    return map;
  }

  return {
    async latestFor(detector, entity) {
      return (await load()).get(entityKey(detector, entity));
    },
    forget() {
      latest = undefined;
    },
    async statuses(ids) {
      const out = new Map<string, Alert['status']>();
      for (let k = 0; k < ids.length; k += 10_000) {
        const rows = await (
          await client.query({ query: BY_IDS, query_params: { ids: ids.slice(k, k + 10_000) }, format: 'JSONEachRow' })
        ).json<{ id: string; status: Alert['status'] }>();
        for (const r of rows) out.set(r.id, r.status);
      }
      return out;
    },
    async save(alerts) {
      if (alerts.length === 0) return;
      const map = await load();
      const at = msToCh(now());
      // versions increase within a process and across restarts (wall-clock microseconds)
      version = Math.max(version + 1, now() * 1000);
      await client.insert({
        table: `${db}.alerts`,
        format: 'JSONEachRow',
        values: alerts.map((a, i) => ({
          id: a.id,
          detector: a.detector,
          severity: a.severity,
          entity_type: a.entity.type,
          entity_value: a.entity.value,
          window_start: toCh(a.window.start),
          window_end: toCh(a.window.end),
          observed: a.observed,
          expected: a.expected,
          score: a.score,
          summary: a.summary,
          owasp: a.owasp,
          evidence_sql: a.evidence.sql,
          evidence_rows: JSON.stringify(a.evidence.rows),
          detail: JSON.stringify(a.detail),
          status: a.status,
          windows: a.windows,
          first_seen: toCh(a.first_seen),
          last_seen: toCh(a.last_seen),
          created_at: toCh(a.first_seen),
          updated_at: at,
          version: version + i,
        })),
      });
      version += alerts.length;
      for (const a of alerts) map.set(entityKey(a.detector, a.entity), a);
    },
    async transition(id, action, actor, comment) {
      const [current] = await this.byIds([id]);
      if (!current) return { ok: false, reason: 'not_found', message: `no alert ${id}` };
      const rule = TRANSITIONS[action];
      if (!rule.from.includes(current.status)) return { ok: false, reason: 'invalid', message: `cannot ${action.replace('_', '-')} an alert that is ${current.status}` };
      const next: Alert = { ...current, status: rule.to };
      // the trail only: detection's facts (windows, last_seen) are detection's to write
      version = Math.max(version + 1, now() * 1000);
      await client.insert({
        table: `${db}.alert_events`,
        format: 'JSONEachRow',
        values: [{ alert_id: id, at: msToCh(now()), actor, action, from_status: current.status, to_status: rule.to, comment: comment.slice(0, 2000), version }],
      });
      const cached = latest?.get(entityKey(current.detector, current.entity));
      if (cached?.id === id) latest!.set(entityKey(current.detector, current.entity), { ...cached, status: rule.to });
      return { ok: true, alert: next };
    },
    async events(id) {
      const rows = await (await client.query({ query: `SELECT toString(at) AS at, actor, action, from_status, to_status, comment FROM ${db}.alert_events WHERE alert_id = {id:String} ORDER BY at, version`, query_params: { id }, format: 'JSONEachRow' })).json<AlertEvent>();
      return rows.map((r) => ({ ...r, at: toIso(r.at) }));
    },
    async search(f) {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: f.limit };
      const add = (cond: string, name: string, value: unknown) => {
        where.push(cond);
        params[name] = value;
      };
      if (f.status) add('status = {status:String}', 'status', f.status);
      if (f.severity) add('severity = {severity:String}', 'severity', f.severity);
      if (f.detector) add('detector = {detector:String}', 'detector', f.detector);
      if (f.entityType) add('entity_type = {entityType:String}', 'entityType', f.entityType);
      if (f.entityValue) add('entity_value = {entityValue:String}', 'entityValue', f.entityValue);
      if (f.from) add("last_seen >= parseDateTime64BestEffort({from:String}, 3, 'UTC')", 'from', f.from);
      if (f.to) add("last_seen < parseDateTime64BestEffort({to:String}, 3, 'UTC')", 'to', f.to);
      if (f.after) {
        where.push("(last_seen, id) < (parseDateTime64BestEffort({afterSeen:String}, 3, 'UTC'), {afterId:String})");
        params.afterSeen = f.after.lastSeen;
        params.afterId = f.after.id;
      }
      const rows = await (
        await client.query({
          query: `SELECT ${COLUMNS} FROM ${db}.alerts_current ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_seen DESC, id DESC LIMIT {limit:UInt32}`,
          query_params: params,
          format: 'JSONEachRow',
        })
      ).json<AlertRow>();
      return rows.map(fromRow);
    },
    async byIds(ids) {
      if (ids.length === 0) return [];
      const rows = await (
        await client.query({ query: BY_IDS, query_params: { ids }, format: 'JSONEachRow' })
      ).json<AlertRow>();
      return rows.map(fromRow);
    },
    async list(opts = {}) {
      const where = opts.status ? `WHERE status = {status:String}` : '';
      const rows = await (
        await client.query({
          query: `SELECT ${COLUMNS} FROM ${db}.alerts_current ${where} ORDER BY last_seen DESC, id LIMIT {limit:UInt32}`,
          query_params: { limit: opts.limit ?? 1000, ...(opts.status ? { status: opts.status } : {}) },
          format: 'JSONEachRow',
        })
      ).json<AlertRow>();
      return rows.map(fromRow);
    },
  };
}
