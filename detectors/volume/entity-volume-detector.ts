/**
 * One principal or one IP sending far more than it ever does (OWASP API4: scraping, abuse of
 * a stolen key): requests in a short window against the entity's own average over its
 * history. With many thousands of entities the baseline is the entity's history in the same
 * query, for the entities over the absolute floor only, not a table of per-entity seasons.
 */
import type { Detector, Finding } from '../detector.js';
import { chTime, eventTimeRange, MINUTE, severityFor, slidingWindowSql, sqlString, windowEnding } from '../detector.js';
import { displayIp } from '../entity-format.js';

export interface EntityVolumeRow {
  kind: 'principal' | 'ip';
  who: string;
  minute: string;
  value: number | string;
  history: number | string;
}

/** Sliding-window totals of `column` per entity joined with the entity's history total. */
export function entityHistorySql(opts: {
  db: string;
  range: { from: number; to: number };
  windowMin: number;
  historyDays: number;
  table: string;
  key: string;
  whoExpr: string;
  kind: string;
  column: string;
  minValue: number;
}): string {
  const { db, range, windowMin, historyDays, table, key, column } = opts;
  const inner = slidingWindowSql({ db, range, windowMin, table, keys: [key], perMinute: { v: `sum(${column})` }, overWindow: { value: 'sum(v)' }, having: `value >= ${opts.minValue}` });
  const t = (ms: number) => `toDateTime('${chTime(ms)}', 'UTC')`;
  const hFrom = range.from - windowMin * MINUTE - historyDays * 24 * 60 * MINUTE;
  const hTo = range.from - windowMin * MINUTE;
  return `SELECT '${opts.kind}' AS kind, ${opts.whoExpr} AS who, toString(c.minute) AS minute, c.value AS value, h.total AS history
    FROM (${inner}) AS c
    LEFT JOIN (SELECT ${key}, sum(${column}) AS total FROM ${db}.${table} WHERE minute >= ${t(hFrom)} AND minute < ${t(hTo)} AND ${key} IN (SELECT ${key} FROM (${inner})) GROUP BY ${key}) AS h
      ON h.${key} = c.${key}`;
}

/** The entity's usual total for a window: its history spread over the history's windows. */
export function usualPerWindow(history: number, historyDays: number, windowMin: number): number {
  return history / ((historyDays * 24 * 60) / windowMin);
}

export const entityVolumeDetector: Detector<EntityVolumeRow> = {
  name: 'entity_volume',
  early: true,
  sql(db, range, ctx) {
    const c = ctx.config.detectors.entity_volume;
    const common = { db, range, windowMin: c.windowMin, historyDays: c.historyDays, column: 'requests', minValue: c.minRequests };
    return `${entityHistorySql({ ...common, table: 'rollup_principal_1m', key: 'principal_id', whoExpr: 'c.principal_id', kind: 'principal' })}
      UNION ALL ${entityHistorySql({ ...common, table: 'rollup_ip_1m', key: 'client_ip', whoExpr: 'toString(c.client_ip)', kind: 'ip' })}`;
  },
  score(rows, ctx) {
    const c = ctx.config.detectors.entity_volume;
    const out: Finding[] = [];
    for (const r of rows) {
      const who = r.kind === 'ip' ? displayIp(r.who) : r.who;
      if (r.kind === 'ip' ? ctx.allow.ip(who) : ctx.allow.principal(who)) continue;
      const value = Number(r.value);
      const usual = usualPerWindow(Number(r.history ?? 0), c.historyDays, c.windowMin);
      if (value < c.minRatio * Math.max(usual, 1)) continue;
      out.push({
        detector: 'entity_volume',
        entity: { type: r.kind === 'ip' ? 'ip' : 'principal', value: who },
        window: windowEnding(r.minute, c.windowMin),
        observed: value,
        expected: Math.round(usual * 10) / 10,
        score: value / (c.minRatio * Math.max(usual, 1)),
        severity: severityFor(value / c.minRequests),
        summary: `${r.kind === 'ip' ? 'IP' : 'principal'} ${who} sent ${value} requests in ${c.windowMin} min, usually ${usual.toFixed(1)}`,
        owasp: 'API4',
        detail: { requests: value, usual_per_window: usual, window_min: c.windowMin },
      });
    }
    return out;
  },
  evidenceSql(db, f) {
    const who = f.entity.type === 'ip' ? `client_ip = toIPv6(${sqlString(f.entity.value)})` : `principal_id = ${sqlString(f.entity.value)}`;
    return `SELECT route, count() AS requests, countIf(status >= 400) AS refused, sum(bytes_out) AS bytes_out FROM ${db}.events WHERE ${who} AND ${eventTimeRange(f.window)} GROUP BY route ORDER BY requests DESC`;
  },
};
