/**
 * Slow ramp (OWASP API4): a route's traffic drifting up for hours — never a spike big enough
 * for the volume detector, but hour after hour above its seasonal baseline and rising. Scored
 * once an hour of event time, over the last `hours` hours.
 */
import { bucketFor, SLOT_MS } from '../baseline.js';
import type { Detector, Finding } from '../detector.js';
import { chTime, MINUTE, parseChTime, sqlString } from '../detector.js';

export interface RouteSlotRow {
  route: string;
  slot: string;
  requests: number | string;
}

const HOUR = 60 * MINUTE;

export const slowRampDetector: Detector<RouteSlotRow> = {
  name: 'slow_ramp',
  baselines: ['route_requests'],
  sql(db, range, ctx) {
    const c = ctx.config.detectors.slow_ramp;
    return `SELECT toString(route) AS route, toString(toStartOfFiveMinutes(minute)) AS slot, sum(requests) AS requests FROM ${db}.rollup_route_1m
      WHERE minute >= toDateTime('${chTime(range.from - c.hours * HOUR)}', 'UTC') AND minute < toDateTime('${chTime(range.to)}', 'UTC')
      GROUP BY route, slot ORDER BY route, slot`;
  },
  score(rows, ctx) {
    const c = ctx.config.detectors.slow_ramp;
    const baselines = ctx.baselines?.get('route_requests');
    if (!ctx.range || !baselines) return [];
    const byRoute = new Map<string, Map<number, number>>();
    for (const r of rows) {
      let m = byRoute.get(r.route);
      if (!m) byRoute.set(r.route, (m = new Map()));
      m.set(parseChTime(r.slot), Number(r.requests));
    }
    const out: Finding[] = [];
    for (let end = Math.ceil(ctx.range.from / HOUR) * HOUR; end < ctx.range.to; end += HOUR) {
      for (const [route, slots] of byRoute) {
        if (ctx.allow.route(route)) continue;
        const b = baselines.get(route)?.buckets;
        const hourly: Array<{ obs: number; exp: number }> = [];
        let known = true;
        for (let h = c.hours; h > 0 && known; h--) {
          let obs = 0;
          let exp = 0;
          for (let t = end - h * HOUR; t < end - (h - 1) * HOUR; t += SLOT_MS) {
            const stats = bucketFor(b, t);
            if (!stats) known = false;
            obs += slots.get(t) ?? 0;
            exp += stats?.median ?? 0;
          }
          hourly.push({ obs, exp });
        }
        // a route that usually serves under one request an hour (a new one, counted as zeros
        // since before it existed) has no level to ramp from: its rise is a deploy, not a ramp
        if (!known || hourly.some((x) => x.exp < 1)) continue;
        const obs = hourly.reduce((s, x) => s + x.obs, 0);
        const exp = hourly.reduce((s, x) => s + x.exp, 0);
        const ratios = hourly.map((x) => x.obs / Math.max(x.exp, 1));
        const rising = ratios.every((r, i) => i === 0 || r >= ratios[i - 1]! * 0.9) && ratios[ratios.length - 1]! > ratios[0]!;
        if (obs < c.minRequests || obs < c.minRatio * Math.max(exp, 1) || !rising || ratios[0]! < 1.2) continue;
        out.push({
          detector: 'slow_ramp',
          entity: { type: 'route', value: route },
          window: { start: end - c.hours * HOUR, end },
          observed: obs,
          expected: Math.round(exp),
          score: obs / Math.max(exp, 1),
          severity: 'medium',
          summary: `${route} served ${obs} requests over ${c.hours} h, ${(obs / Math.max(exp, 1)).toFixed(1)}× its usual ${Math.round(exp)}, rising every hour (${ratios.map((r) => `${r.toFixed(1)}×`).join(' → ')})`,
          owasp: 'API4',
          detail: { hourly_ratio: ratios, hours: c.hours },
        });
      }
    }
    return out;
  },
  evidenceSql(db, f) {
    return `SELECT toStartOfHour(event_time) AS hour, count() AS requests, uniqExact(client_ip) AS ips, uniqExact(principal_id) AS principals FROM ${db}.events WHERE route = ${sqlString(f.entity.value)} AND event_time >= toDateTime64('${chTime(f.window.start)}', 3, 'UTC') AND event_time < toDateTime64('${chTime(f.window.end)}', 3, 'UTC') GROUP BY hour ORDER BY hour`;
  },
};
