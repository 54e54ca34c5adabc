/**
 * Traffic drops (OWASP API4/API8): a busy route whose requests fall to a small fraction of its
 * seasonal baseline for a whole window — an upstream cut off, a broken deployment, or traffic
 * diverted elsewhere. Like a silent gateway it looks for an absence, so it walks every minute
 * of the range for every route it has a baseline for.
 */
import { bucketFor } from '../baseline.js';
import type { Detector, Finding } from '../detector.js';
import { chTime, MINUTE, parseChTime } from '../detector.js';
import { routeEvidence, SLOT_MIN } from './route-anomaly.js';

export interface RouteMinuteRow {
  route: string;
  minute: string;
  requests: number | string;
}

export const routeDropDetector: Detector<RouteMinuteRow> = {
  name: 'route_drop',
  baselines: ['route_requests'],
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.route_drop;
    return `SELECT toString(r.route) AS route, toString(r.minute) AS minute, sum(r.requests) AS requests FROM ${db}.rollup_route_1m AS r
      WHERE r.minute >= toDateTime('${chTime(range.from - (cfg.windowMin + 1) * MINUTE)}', 'UTC') AND r.minute < toDateTime('${chTime(range.to)}', 'UTC')
      GROUP BY r.route, r.minute`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.route_drop;
    const baselines = ctx.baselines?.get('route_requests');
    if (!baselines || !ctx.range) return [];
    const perMinute = new Map<string, Map<number, number>>();
    for (const r of rows) {
      let m = perMinute.get(r.route);
      if (!m) perMinute.set(r.route, (m = new Map()));
      m.set(parseChTime(r.minute), Number(r.requests));
    }
    const out: Finding[] = [];
    for (const [route, baseline] of baselines) {
      if (ctx.allow.route(route)) continue;
      const minutes = perMinute.get(route);
      for (let end = ctx.range.from; end < ctx.range.to; end += MINUTE) {
        const start = end - cfg.windowMin * MINUTE;
        const b = bucketFor(baseline.buckets, start);
        if (!b) continue;
        const expected = (b.median * cfg.windowMin) / SLOT_MIN;
        if (expected < cfg.minExpected) continue;
        let observed = 0;
        for (let t = start; t < end; t += MINUTE) observed += minutes?.get(t) ?? 0;
        if (observed > cfg.maxFraction * expected) continue;
        out.push({
          detector: 'route_drop',
          entity: { type: 'route', value: route },
          window: { start, end },
          observed,
          expected: Math.round(expected),
          score: Math.round((expected / Math.max(observed, 1)) * 10) / 10,
          severity: observed === 0 ? 'high' : 'medium',
          summary: `${route} served ${observed} requests in ${cfg.windowMin} min, usually about ${Math.round(expected)}`,
          owasp: 'API8',
          detail: { observed, expected, window_min: cfg.windowMin },
        });
      }
    }
    return out;
  },
  evidenceSql: (db, f) => routeEvidence(db, { ...f, window: { start: f.window.start - 30 * MINUTE, end: f.window.end } }),
};
