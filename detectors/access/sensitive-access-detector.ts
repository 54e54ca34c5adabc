/**
 * Sensitive resources (OWASP API5, broken function-level authorization): a principal or an
 * IP touching an admin, internal, export, debug, actuator or management route (or one named in
 * config) that it has not touched in `historyDays`.
 *
 * A sensitive route with no history of its own (nobody used it in `minRouteHistoryHours`) is
 * the strongest signal of all when an ordinary user finds it, and the normal first day of a
 * new console when its operators do. So the policy is explicit: **operators** — principals
 * that used any sensitive route in `historyDays`, and those matching `operators` in config —
 * may open a route nobody has used; anyone else doing so is an alert, critical when the route
 * answered with success (2xx/3xx). Addresses are judged on such routes only through the
 * principal (an operator's new address is not a finding).
 */
import type { Detector, Finding } from '../detector.js';
import { chTime, MINUTE, parseChTime, sqlString } from '../detector.js';
import { displayIp, globToLike } from '../entity-format.js';
import { globMatcher } from '../allow-list.js';

export interface SensitiveRow {
  kind: 'principal' | 'ip';
  who: string;
  route: string;
  minute: string;
  requests: number | string;
  route_since: string | null;
  /** 1 when the principal used some sensitive route in the history (principal rows only) */
  operator?: number | string;
  /** requests answered below 400 */
  ok?: number | string;
}

/** The same test as `sensitiveRouteCondition`, in JavaScript. */
export function isSensitiveRoute(route: string, segments: string[], routes: string[]): boolean {
  const parts = route.toLowerCase().split('/');
  if (segments.some((s) => parts.includes(s.toLowerCase()))) return true;
  return globMatcher(routes)(route);
}

export function sensitiveRouteCondition(segments: string[], routes: string[], column = 'route'): string {
  const bySegment = segments.map((s) => `match(${column}, ${sqlString(`(^|/)${s.replace(/[^A-Za-z0-9_-]/g, '')}(/|$)`)})`);
  const byGlob = routes.map((g) => `${column} ILIKE ${sqlString(globToLike(g))}`);
  return [...bySegment, ...byGlob].join(' OR ') || '0';
}

export const sensitiveAccessDetector: Detector<SensitiveRow> = {
  name: 'sensitive_access',
  early: true,
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.sensitive_access;
    const t = (ms: number) => `toDateTime('${chTime(ms)}', 'UTC')`;
    const from = range.from - MINUTE;
    const history = from - cfg.historyDays * 24 * 60 * MINUTE;
    const sensitive = sensitiveRouteCondition(cfg.segments, cfg.routes);
    const ops = `SELECT DISTINCT principal_id FROM ${db}.rollup_principal_route_1m WHERE minute >= ${t(history)} AND minute < ${t(from)} AND (${sensitive})`;
    const pair = (table: string, who: string, kind: string, whoExpr: string) => `
      SELECT '${kind}' AS kind, ${whoExpr} AS who, toString(f.route) AS route, toString(f.first_minute) AS minute, f.requests AS requests, toString(rs.since) AS route_since,
        ${kind === 'principal' ? `toUInt8(f.principal_id IN (${ops}))` : 'toUInt8(0)'} AS operator, ifNull(okc.ok, 0) AS ok
      FROM (SELECT ${who}, route, min(minute) AS first_minute, sum(requests) AS requests FROM ${db}.${table}
            WHERE minute >= ${t(from)} AND minute < ${t(range.to)} AND (${sensitive}) GROUP BY ${who}, route HAVING requests >= ${cfg.minRequests}) AS f
      LEFT JOIN (SELECT DISTINCT ${who}, route FROM ${db}.${table} WHERE minute >= ${t(history)} AND minute < ${t(from)} AND (${sensitive})) AS seen
        ON seen.${who} = f.${who} AND seen.route = f.route
      LEFT JOIN (SELECT route, min(minute) AS since FROM ${db}.rollup_route_1m WHERE minute >= ${t(history)} AND minute < ${t(from)} AND (${sensitive}) GROUP BY route) AS rs
        ON rs.route = f.route
      LEFT JOIN (SELECT ${who}, route, countIf(status < 400) AS ok FROM ${db}.events
                 WHERE event_time >= toDateTime64('${chTime(from)}', 3, 'UTC') AND event_time < toDateTime64('${chTime(range.to)}', 3, 'UTC') AND (${sensitive}) GROUP BY ${who}, route) AS okc
        ON okc.${who} = f.${who} AND okc.route = f.route
      WHERE seen.route = ''`;
    return `${pair('rollup_principal_route_1m', 'principal_id', 'principal', 'f.principal_id')}
      UNION ALL ${pair('rollup_ip_route_1m', 'client_ip', 'ip', 'toString(f.client_ip)')}`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.sensitive_access;
    const configuredOperator = globMatcher(cfg.operators);
    const out: Finding[] = [];
    for (const r of rows) {
      const who = r.kind === 'ip' ? displayIp(r.who) : r.who;
      const start = parseChTime(r.minute);
      const routeKnown = !!r.route_since && !r.route_since.startsWith('1970') && start - parseChTime(r.route_since) >= cfg.minRouteHistoryHours * 60 * MINUTE;
      const ok = Number(r.ok ?? 0);
      if (!routeKnown) {
        // a route nobody has used: its operators open it, anyone else is the finding
        if (r.kind === 'ip' || Number(r.operator) === 1 || configuredOperator(who)) continue;
      }
      if (ctx.allow.route(r.route) || (r.kind === 'ip' ? ctx.allow.ip(who) : ctx.allow.principal(who))) continue;
      const answered = ok > 0 ? `, ${ok} answered with success` : ', all refused';
      out.push({
        detector: 'sensitive_access',
        entity: { type: r.kind === 'ip' ? 'ip' : 'principal', value: who },
        window: { start, end: start + MINUTE },
        observed: Number(r.requests),
        expected: 0,
        score: Number(r.requests) / cfg.minRequests,
        severity: !routeKnown && ok > 0 ? 'critical' : 'high',
        summary: routeKnown
          ? `${r.kind === 'ip' ? 'IP' : 'principal'} ${who} used the sensitive route ${r.route} for the first time in ${cfg.historyDays} days (${r.requests} requests${answered})`
          : `principal ${who}, not an operator, used the sensitive route ${r.route}, which nobody had used before (${r.requests} requests${answered})`,
        owasp: 'API5',
        detail: { route: r.route, requests: Number(r.requests), succeeded: ok, route_has_history: routeKnown, ...(routeKnown ? {} : { operator: false }) },
      });
    }
    return out;
  },
  evidenceSql(db, f) {
    const who = f.entity.type === 'ip' ? `client_ip = toIPv6(${sqlString(f.entity.value)})` : `principal_id = ${sqlString(f.entity.value)}`;
    return `SELECT event_time, client_ip, principal_id, method, path, status, bytes_out FROM ${db}.events WHERE ${who} AND route = ${sqlString(String(f.detail.route))} AND event_time >= toDateTime64('${chTime(f.window.start)}', 3, 'UTC') AND event_time < toDateTime64('${chTime(f.window.end + 30 * MINUTE)}', 3, 'UTC') ORDER BY event_time`;
  },
};
