/**
 * First-seen country (OWASP API2, a credential used from somewhere new): a principal with
 * enough history authenticates from a country it has not used in `historyDays`. New
 * principals and short histories never alert (no history is not an anomaly); corporate egress
 * and allow-lists are honoured.
 */
import type { Detector, Finding } from '../detector.js';
import { chTime, MINUTE, parseChTime, sqlString } from '../detector.js';
import { displayIp } from '../entity-format.js';
import { inRanges, parseCidrs } from '../allow-list.js';

export interface NewCountryRow {
  principal_id: string;
  country: string;
  minute: string;
  ip: string;
  asn: number | string;
  history_requests: number | string;
  history_since: string;
  usual_countries: string[];
}

export const newCountryDetector: Detector<NewCountryRow> = {
  name: 'new_country',
  early: true,
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.new_country;
    const t = (ms: number) => `toDateTime('${chTime(ms)}', 'UTC')`;
    const from = range.from - MINUTE;
    const history = from - cfg.historyDays * 24 * 60 * MINUTE;
    return `WITH fresh AS (
        SELECT principal_id, toString(country) AS country, toString(min(g.minute)) AS first_minute, toString(argMin(g.client_ip, g.minute)) AS ip, argMin(g.asn, g.minute) AS asn
        FROM ${db}.rollup_principal_geo_1m AS g WHERE g.minute >= ${t(from)} AND g.minute < ${t(range.to)} GROUP BY principal_id, country),
      past AS (
        SELECT principal_id, groupUniqArray(toString(country)) AS countries, sum(requests) AS requests, toString(min(minute)) AS since
        FROM ${db}.rollup_principal_geo_1m WHERE minute >= ${t(history)} AND minute < ${t(from)} AND principal_id IN (SELECT principal_id FROM fresh) GROUP BY principal_id)
      SELECT f.principal_id AS principal_id, f.country AS country, f.first_minute AS minute, f.ip AS ip, f.asn AS asn,
        p.requests AS history_requests, p.since AS history_since, p.countries AS usual_countries
      FROM fresh AS f INNER JOIN past AS p ON f.principal_id = p.principal_id
      WHERE NOT has(p.countries, f.country) AND p.requests >= ${cfg.minHistoryRequests}`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.new_country;
    const egress = parseCidrs(ctx.config.corporateEgress.cidrs);
    const out: Finding[] = [];
    for (const r of rows) {
      const ip = displayIp(r.ip);
      const start = parseChTime(r.minute);
      if (start - parseChTime(r.history_since) < cfg.minHistoryHours * 60 * MINUTE) continue;
      if (ctx.allow.principal(r.principal_id) || ctx.allow.ip(ip) || ctx.allow.asn(Number(r.asn))) continue;
      if (inRanges(egress, ip) || ctx.config.corporateEgress.asns.includes(Number(r.asn))) continue;
      out.push({
        detector: 'new_country',
        entity: { type: 'principal', value: r.principal_id },
        window: { start, end: start + MINUTE },
        observed: 1,
        expected: 0,
        score: 1,
        severity: 'medium',
        summary: `${r.principal_id} authenticated from ${r.country} for the first time in ${cfg.historyDays} days (usually ${r.usual_countries.join(', ') || 'nowhere known'})`,
        owasp: 'API2',
        detail: { country: r.country, ip, asn: Number(r.asn), usual_countries: r.usual_countries, history_requests: Number(r.history_requests) },
      });
    }
    return out;
  },
  evidenceSql(db, f) {
    return `SELECT country, count() AS requests, min(event_time) AS first, max(event_time) AS last, groupUniqArray(5)(client_ip) AS ips FROM ${db}.events WHERE principal_id = ${sqlString(f.entity.value)} AND auth_outcome = 'success' AND event_time >= toDateTime64('${chTime(f.window.start - 7 * 24 * 60 * MINUTE)}', 3, 'UTC') AND event_time < toDateTime64('${chTime(f.window.end)}', 3, 'UTC') GROUP BY country ORDER BY last DESC`;
  },
};
