/**
 * The notifier's tables and reads, in one place: `notifications` (one row per state change of a
 * notification: an alert, an incident's resolution or a digest × a channel; ReplacingMergeTree,
 * the highest version is its state), `deliveries` (every attempt, insert-only), and what the
 * notifier reads of detection's tables (alerts updated since a point, alerts first seen in a
 * period, the incidents holding some alerts). Times cross this boundary as epoch milliseconds;
 * ClickHouse's text form stays inside, except `updated`, an opaque cursor that sorts as time.
 */
import type { Store } from './clickhouse.js';
import { chToMs, msToCh } from './time.js';

export type NotificationStatus = 'pending' | 'sent' | 'dead' | 'suppressed';

export interface NotificationState {
  /** an alert's id, `resolved:<incident>:<n>` or `digest-<period start>` */
  id: string;
  channel: string;
  status: NotificationStatus;
  attempts: number;
  /** when to try next (epoch ms) */
  nextAt: number;
  lastError: string;
}

export interface StoredNotification extends NotificationState {
  /** when it last changed: a cursor (ClickHouse's `YYYY-MM-DD hh:mm:ss.sss`, UTC) */
  updated: string;
}

export interface Delivery {
  at: number;
  id: string;
  channel: string;
  attempt: number;
  outcome: string;
  httpStatus: number;
  latencyMs: number;
  error: string;
}

/** epoch ms ⇄ the cursor form */
export const toCursor = msToCh;
/** the cursor form ⇄ epoch ms */
export const cursorToMs = chToMs;

const MAX_ERROR = 2000;

export function createNotificationRepo(store: Store, now: () => number = Date.now) {
  const { client, db } = store;
  const rows = async <T>(query: string, query_params: Record<string, unknown> = {}) => (await client.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
  // versions increase within a process and across restarts (wall-clock microseconds)
  let version = 0;

  const repo = {
    /** every notification's current state (a restart resumes from them) */
    async all(): Promise<StoredNotification[]> {
      const list = await rows<{ alert_id: string; channel: string; status: NotificationStatus; attempts: number | string; next_at: number | string; last_error: string; updated: string }>(
        `SELECT alert_id, channel, status, attempts, toUnixTimestamp64Milli(next_at) AS next_at, last_error, toString(updated_at) AS updated FROM ${db}.notifications FINAL`,
      );
      return list.map((r) => ({ id: r.alert_id, channel: r.channel, status: r.status, attempts: Number(r.attempts), nextAt: Number(r.next_at), lastError: r.last_error, updated: r.updated }));
    },

    /** one notification's current state */
    async get(id: string, channel: string): Promise<StoredNotification | undefined> {
      const [r] = await rows<{ status: NotificationStatus; attempts: number | string; next_at: number | string; last_error: string; updated: string }>(
        `SELECT status, attempts, toUnixTimestamp64Milli(next_at) AS next_at, last_error, toString(updated_at) AS updated FROM ${db}.notifications FINAL WHERE alert_id = {id:String} AND channel = {channel:String}`,
        { id, channel },
      );
      return r ? { id, channel, status: r.status, attempts: Number(r.attempts), nextAt: Number(r.next_at), lastError: r.last_error, updated: r.updated } : undefined;
    },

    /**
     * A dead-lettered notification made pending again (a person fixed the receiver): attempts
     * start over; the notifier holding the lease picks it up within a round. False when its
     * current state is not `dead`.
     */
    async requeue(id: string, channel: string): Promise<boolean> {
      const current = await repo.get(id, channel);
      if (current?.status !== 'dead') return false;
      await repo.save([{ id, channel, status: 'pending', attempts: 0, nextAt: now(), lastError: '' }]);
      return true;
    },

    /** notifications whose current state is pending and was written after version `from` (wall-clock µs), oldest first, with their versions */
    async pendingSince(from: number, limit: number): Promise<Array<StoredNotification & { version: number }>> {
      const list = await rows<{ alert_id: string; channel: string; attempts: number | string; next_at: number | string; last_error: string; updated: string; version: number | string }>(
        `SELECT alert_id, toString(channel) AS channel, attempts, toUnixTimestamp64Milli(next_at) AS next_at, last_error, toString(updated_at) AS updated, version
           FROM ${db}.notifications FINAL WHERE version > {from:UInt64} AND status = 'pending' ORDER BY version LIMIT {limit:UInt32}`,
        { from: Math.max(0, Math.floor(from)), limit },
      );
      return list.map((r) => ({ id: r.alert_id, channel: r.channel, status: 'pending', attempts: Number(r.attempts), nextAt: Number(r.next_at), lastError: r.last_error, updated: r.updated, version: Number(r.version) }));
    },

    /** the newest states first, optionally of one status (the dead letters: `dead`) */
    async list(opts: { status?: NotificationStatus; limit: number }): Promise<StoredNotification[]> {
      const list = await rows<{ alert_id: string; channel: string; status: NotificationStatus; attempts: number | string; next_at: number | string; last_error: string; updated: string }>(
        `SELECT alert_id, toString(channel) AS channel, toString(status) AS status, attempts, toUnixTimestamp64Milli(next_at) AS next_at, last_error, toString(updated_at) AS updated
           FROM ${db}.notifications FINAL ${opts.status ? 'WHERE status = {status:String}' : ''} ORDER BY updated_at DESC LIMIT {limit:UInt32}`,
        { limit: opts.limit, ...(opts.status ? { status: opts.status } : {}) },
      );
      return list.map((r) => ({ id: r.alert_id, channel: r.channel, status: r.status, attempts: Number(r.attempts), nextAt: Number(r.next_at), lastError: r.last_error, updated: r.updated }));
    },

    /** new states of these notifications */
    async save(states: NotificationState[]): Promise<void> {
      if (!states.length) return;
      const at = toCursor(now());
      const values = states.map((n) => {
        version = Math.max(version + 1, now() * 1000);
        return { alert_id: n.id, channel: n.channel, status: n.status, attempts: n.attempts, next_at: toCursor(n.nextAt), last_error: n.lastError.slice(0, MAX_ERROR), updated_at: at, version };
      });
      await client.insert({ table: `${db}.notifications`, format: 'JSONEachRow', values });
    },

    /** attempts (and suppressions) for the delivery log */
    async recordDeliveries(list: Delivery[]): Promise<void> {
      if (!list.length) return;
      await client.insert({
        table: `${db}.deliveries`,
        format: 'JSONEachRow',
        values: list.map((d) => ({ at: toCursor(d.at), alert_id: d.id, channel: d.channel, attempt: d.attempt, outcome: d.outcome, http_status: d.httpStatus, latency_ms: d.latencyMs, error: d.error.slice(0, MAX_ERROR) })),
      });
    },

    /** of these alerts, those a message to this channel was about (sent) */
    async sentAmong(channel: string, ids: string[]): Promise<Set<string>> {
      if (!ids.length) return new Set();
      const list = await rows<{ alert_id: string }>(`SELECT alert_id FROM ${db}.notifications FINAL WHERE channel = {channel:String} AND status = 'sent' AND alert_id IN {ids:Array(String)}`, { channel, ids });
      return new Set(list.map((r) => r.alert_id));
    },

    /** alerts written after `cursor` less `overlapSec` (oldest first, at most `limit`), with when each last changed */
    async alertsUpdatedSince(cursor: string, overlapSec: number, limit: number): Promise<Array<{ id: string; updated: string }>> {
      return rows<{ id: string; updated: string }>(
        `SELECT id, toString(max(updated_at)) AS updated FROM ${db}.alerts WHERE updated_at > toDateTime64({cursor:String}, 3, 'UTC') - INTERVAL {overlap:UInt32} SECOND GROUP BY id ORDER BY updated LIMIT {limit:UInt32}`,
        { cursor, overlap: overlapSec, limit },
      );
    },

    /** the ids of the alerts that first fired in [from, to) */
    async alertsFirstSeenIn(from: number, to: number): Promise<string[]> {
      const list = await rows<{ id: string }>(
        `SELECT id FROM ${db}.alerts GROUP BY id HAVING min(first_seen) >= toDateTime64({from:String}, 3, 'UTC') AND min(first_seen) < toDateTime64({to:String}, 3, 'UTC')`,
        { from: toCursor(from), to: toCursor(to) },
      );
      return list.map((r) => r.id);
    },

    /** the incidents (not merged) holding any of these alerts */
    async incidentsHolding(ids: string[]): Promise<Array<{ id: string; alert_ids: string[] }>> {
      if (!ids.length) return [];
      return rows<{ id: string; alert_ids: string[] }>(`SELECT id, alert_ids FROM ${db}.incidents FINAL WHERE merged_into = '' AND hasAny(alert_ids, {ids:Array(String)})`, { ids });
    },
  };
  return repo;
}

export type NotificationRepo = ReturnType<typeof createNotificationRepo>;
