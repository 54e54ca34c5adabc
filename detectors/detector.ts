/**
 * What every detector is: SQL over the rollups that returns candidate rows for the windows
 * ending in a range of event time, and a pure `score` that turns those rows into findings.
 * The runner (services/detect) does the I/O; nothing here touches a database or a clock.
 */
import type { Entity, OwaspId, Severity } from '../schemas/alert-schema.js';
import type { DetectConfig, DetectorName } from '../schemas/detect-config-schema.js';
import type { AllowList } from './allow-list.js';
import type { EntityBaseline } from './baseline.js';

/** Event-time range [from, to) of window ends, in epoch milliseconds, whole minutes. */
export interface ScoreRange {
  from: number;
  to: number;
}

export interface Finding {
  detector: DetectorName;
  entity: Entity;
  /** event-time window the condition held in */
  window: { start: number; end: number };
  observed: number;
  expected: number;
  score: number;
  severity: Severity;
  summary: string;
  owasp: OwaspId;
  /** facts for the analyst and for the evidence query */
  detail: Record<string, unknown>;
}

export interface DetectorContext {
  config: DetectConfig;
  allow: AllowList;
  /** baselines by metric, then entity (for the detectors that declare `baselines`) */
  baselines?: Map<string, Map<string, EntityBaseline>>;
  /** the range being scored (for detectors that look for an absence of data) */
  range?: ScoreRange;
}

export interface Detector<Row> {
  name: DetectorName;
  /** baseline metrics (see baseline-metrics.ts) this detector compares against */
  baselines?: string[];
  /**
   * True when more data can only make a finding stronger (counts against a threshold): such a
   * detector may fire early, on the minute still filling, before the watermark closes it; the
   * closed minute is scored again later and changes nothing. Absences, shares and trends wait.
   */
  early?: boolean;
  /** the SQL feeding `score`, for windows ending in `range`; `db` is the database name */
  sql(db: string, range: ScoreRange, ctx: DetectorContext): string;
  score(rows: Row[], ctx: DetectorContext): Finding[];
  /** a read-only query over raw events that shows what the finding is about */
  evidenceSql(db: string, finding: Finding): string;
}

export const MINUTE = 60_000;

/** '2026-11-28 10:00:00' for DateTime literals in SQL (UTC). */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A string literal for ClickHouse SQL: backslash and quote escaped. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** ClickHouse returns DateTime as 'YYYY-MM-DD hh:mm:ss[.fff]' in UTC. */
export function parseChTime(s: string | number): number {
  if (typeof s === 'number') return s;
  return Date.parse(`${s.replace(' ', 'T')}Z`);
}

/**
 * Severity from how far past its threshold a finding is: 1× is medium, 2× high, 5× critical.
 * Detectors whose threshold is itself severe (impossible travel) pass a higher floor.
 */
export function severityFor(ratio: number, floor: Severity = 'medium'): Severity {
  const order: Severity[] = ['low', 'medium', 'high', 'critical'];
  const byRatio: Severity = ratio >= 5 ? 'critical' : ratio >= 2 ? 'high' : ratio >= 1 ? 'medium' : 'low';
  return order[Math.max(order.indexOf(byRatio), order.indexOf(floor))]!;
}

/**
 * Rows of a rollup aggregated over a sliding window of `windowMin` minutes, evaluated at every
 * minute where the entity has data in [range.from - window, range.to): ClickHouse does the
 * sliding sums (window functions over the per-minute rollup) and returns only rows that pass
 * `having`. `minute` in the result is the window's last minute; the window ends a minute later.
 */
export function slidingWindowSql(opts: {
  db: string;
  table: string;
  keys: string[];
  /** per-minute aggregates over the rollup: `name: expression` (e.g. `f: sum(failures)`) */
  perMinute: Record<string, string>;
  /** window aggregates over `perMinute` columns: `name: expression` (e.g. `failures: sum(f)`) */
  overWindow: Record<string, string>;
  where?: string;
  having: string;
  windowMin: number;
  range: ScoreRange;
}): string {
  const { db, table, keys, windowMin, range } = opts;
  const inner = Object.entries(opts.perMinute).map(([n, e]) => `${e} AS ${n}`).join(', ');
  const windowed = Object.entries(opts.overWindow).map(([n, e]) => `${e} OVER w AS ${n}`).join(', ');
  const firstMinute = range.from - windowMin * MINUTE;
  return `SELECT * FROM (
    SELECT ${keys.join(', ')}, minute, ${windowed}
    FROM (
      SELECT minute, ${keys.join(', ')}, ${inner}
      FROM ${db}.${table}
      WHERE minute >= toDateTime('${chTime(firstMinute)}', 'UTC') AND minute < toDateTime('${chTime(range.to)}', 'UTC')${opts.where ? ` AND (${opts.where})` : ''}
      GROUP BY minute, ${keys.join(', ')}
    )
    WINDOW w AS (PARTITION BY ${keys.join(', ')} ORDER BY minute RANGE BETWEEN ${(windowMin - 1) * 60} PRECEDING AND CURRENT ROW)
  )
  WHERE minute >= toDateTime('${chTime(range.from - MINUTE)}', 'UTC') AND (${opts.having})
  ORDER BY minute`;
}

/** The window a sliding-window row describes: its last minute is `minute`, it ends a minute later. */
export function windowEnding(minute: string, windowMin: number): { start: number; end: number } {
  const end = parseChTime(minute) + MINUTE;
  return { start: end - windowMin * MINUTE, end };
}

/** A `WHERE` range over raw events for a finding's window. */
export function eventTimeRange(w: { start: number; end: number }): string {
  return `event_time >= toDateTime64('${chTime(w.start)}', 3, 'UTC') AND event_time < toDateTime64('${chTime(w.end)}', 3, 'UTC')`;
}
