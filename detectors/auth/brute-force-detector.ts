/**
 * Brute force (OWASP API2): one IP failing again and again against one principal, or against
 * one login route, inside a short sliding window. Users who mistype a password twice stay far
 * below the threshold; a password-guessing script does not.
 */
import type { Detector, Finding } from '../detector.js';
import { eventTimeRange, severityFor, slidingWindowSql, sqlString, windowEnding } from '../detector.js';
import { displayIp, globToLike } from '../entity-format.js';

export interface BruteForceRow {
  target_kind: 'principal' | 'route';
  ip: string;
  target: string;
  minute: string;
  failures: number | string;
  requests: number | string;
}

export const bruteForceDetector: Detector<BruteForceRow> = {
  name: 'brute_force',
  early: true,
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.brute_force;
    const common = { db, windowMin: cfg.windowMin, range, having: `failures >= ${cfg.minFailures}` };
    // against a principal: 401s only (its credentials refused); a 403 on someone else's object is not guessing
    const byPrincipal = slidingWindowSql({
      ...common,
      table: 'rollup_ip_principal_1m',
      keys: ['client_ip', 'principal_id'],
      perMinute: { f: 'sum(unauthorized)', r: 'sum(requests)' },
      overWindow: { failures: 'sum(f)', requests: 'sum(r)' },
      where: 'unauthorized > 0',
    });
    const login = ctx.config.loginRoutes.map((g) => `route ILIKE ${sqlString(globToLike(g))}`).join(' OR ') || '0';
    const byRoute = slidingWindowSql({
      ...common,
      table: 'rollup_ip_route_1m',
      keys: ['client_ip', 'route'],
      perMinute: { f: 'sum(failures)', r: 'sum(requests)' },
      overWindow: { failures: 'sum(f)', requests: 'sum(r)' },
      where: `failures > 0 AND (${login})`,
    });
    return `SELECT 'principal' AS target_kind, toString(client_ip) AS ip, principal_id AS target, toString(minute) AS minute, failures, requests FROM (${byPrincipal})
      UNION ALL
      SELECT 'route' AS target_kind, toString(client_ip) AS ip, toString(route) AS target, toString(minute) AS minute, failures, requests FROM (${byRoute})`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.brute_force;
    const out: Finding[] = [];
    for (const r of rows) {
      const ip = displayIp(r.ip);
      if (ctx.allow.ip(ip) || (r.target_kind === 'principal' ? ctx.allow.principal(r.target) : ctx.allow.route(r.target))) continue;
      const failures = Number(r.failures);
      out.push({
        detector: 'brute_force',
        entity: { type: 'ip', value: ip },
        window: windowEnding(r.minute, cfg.windowMin),
        observed: failures,
        expected: cfg.minFailures,
        score: failures / cfg.minFailures,
        severity: severityFor(failures / cfg.minFailures),
        summary: `${failures} failed logins in ${cfg.windowMin} min from ${ip} against ${r.target_kind === 'principal' ? `principal ${r.target}` : `route ${r.target}`}`,
        owasp: 'API2',
        detail: { target_kind: r.target_kind, target: r.target, failures, requests: Number(r.requests), window_min: cfg.windowMin },
      });
    }
    return out;
  },
  evidenceSql(db, f) {
    const target = f.detail.target_kind === 'principal' ? `principal_id = ${sqlString(String(f.detail.target))}` : `route = ${sqlString(String(f.detail.target))}`;
    return `SELECT event_time, client_ip, principal_id, method, route, status, user_agent FROM ${db}.events WHERE client_ip = toIPv6(${sqlString(f.entity.value)}) AND ${target} AND auth_outcome = 'failure' AND ${eventTimeRange(f.window)} ORDER BY event_time`;
  },
};
