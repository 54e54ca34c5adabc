/**
 * Rare-country surge (OWASP API4/API2): a burst of requests to one route from a country that
 * normally sends it next to nothing — a botnet or a scraping farm somewhere new.
 */
import type { Detector, Finding } from '../detector.js';
import { chTime, eventTimeRange, MINUTE, severityFor, slidingWindowSql, sqlString, windowEnding } from '../detector.js';

export interface RareCountryRow {
  route: string;
  country: string;
  minute: string;
  requests: number | string;
  country_history: number | string;
  route_history: number | string;
}

export const rareCountrySurgeDetector: Detector<RareCountryRow> = {
  name: 'rare_country_surge',
  early: true,
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.rare_country_surge;
    const inner = slidingWindowSql({
      db,
      range,
      windowMin: cfg.windowMin,
      table: 'rollup_route_country_1m',
      keys: ['route', 'country'],
      perMinute: { r: 'sum(requests)' },
      overWindow: { requests: 'sum(r)' },
      where: "country != ''",
      having: `requests >= ${cfg.minRequests}`,
    });
    const t = (ms: number) => `toDateTime('${chTime(ms)}', 'UTC')`;
    const historyFrom = range.from - cfg.windowMin * MINUTE - cfg.historyDays * 24 * 60 * MINUTE;
    const historyTo = range.from - cfg.windowMin * MINUTE;
    const hist = `minute >= ${t(historyFrom)} AND minute < ${t(historyTo)}`;
    return `SELECT toString(c.route) AS route, toString(c.country) AS country, toString(c.minute) AS minute, c.requests AS requests,
        hc.n AS country_history, hr.n AS route_history
      FROM (${inner}) AS c
      LEFT JOIN (SELECT route, country, sum(requests) AS n FROM ${db}.rollup_route_country_1m WHERE ${hist} GROUP BY route, country) AS hc ON hc.route = c.route AND hc.country = c.country
      LEFT JOIN (SELECT route, sum(requests) AS n FROM ${db}.rollup_route_country_1m WHERE ${hist} GROUP BY route) AS hr ON hr.route = c.route`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.rare_country_surge;
    const out: Finding[] = [];
    for (const r of rows) {
      if (ctx.allow.route(r.route)) continue;
      const routeHistory = Number(r.route_history ?? 0);
      const countryHistory = Number(r.country_history ?? 0);
      if (routeHistory < 10 * cfg.minRequests) continue; // a route without history: nothing is rare yet
      const share = countryHistory / routeHistory;
      if (share > cfg.maxUsualShare) continue;
      const requests = Number(r.requests);
      out.push({
        detector: 'rare_country_surge',
        entity: { type: 'route', value: r.route },
        window: windowEnding(r.minute, cfg.windowMin),
        observed: requests,
        expected: Math.round(share * 10_000) / 100,
        score: requests / cfg.minRequests,
        severity: severityFor(requests / cfg.minRequests),
        summary: `${requests} requests to ${r.route} from ${r.country} in ${cfg.windowMin} min; ${r.country} usually sends ${(share * 100).toFixed(2)}% of its traffic`,
        owasp: 'API4',
        detail: { country: r.country, requests, usual_share: share, window_min: cfg.windowMin },
      });
    }
    return out;
  },
  evidenceSql(db, f) {
    return `SELECT client_ip, asn, as_org, count() AS requests, countIf(status >= 400) AS refused FROM ${db}.events WHERE route = ${sqlString(f.entity.value)} AND country = ${sqlString(String(f.detail.country))} AND ${eventTimeRange(f.window)} GROUP BY client_ip, asn, as_org ORDER BY requests DESC`;
  },
};
