/**
 * A log source that goes silent (OWASP API9: an unmonitored gateway is an inventory hole):
 * no record from a gateway for `silentMin` minutes when its baseline says it normally sends
 * plenty in that time. Looks for an absence, so it walks every minute of the range for every
 * gateway it has a baseline for, not only the rows that came back.
 */
import { bucketFor } from '../baseline.js';
import type { Detector, Finding } from '../detector.js';
import { chTime, MINUTE, parseChTime, sqlString } from '../detector.js';
import { SLOT_MIN } from './route-anomaly.js';

export interface GatewayMinuteRow {
  gateway: string;
  minute: string;
  requests: number | string;
}

export const gatewaySilenceDetector: Detector<GatewayMinuteRow> = {
  name: 'gateway_silence',
  baselines: ['gateway_requests'],
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.gateway_silence;
    return `SELECT toString(r.gateway) AS gateway, toString(r.minute) AS minute, sum(r.requests) AS requests FROM ${db}.rollup_route_1m AS r
      WHERE r.minute >= toDateTime('${chTime(range.from - (cfg.silentMin + 1) * MINUTE)}', 'UTC') AND r.minute < toDateTime('${chTime(range.to)}', 'UTC')
      GROUP BY r.gateway, r.minute ORDER BY r.gateway, r.minute`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.gateway_silence;
    const baselines = ctx.baselines?.get('gateway_requests');
    if (!baselines || !ctx.range) return [];
    const seen = new Map<string, number[]>();
    for (const r of rows) {
      let list = seen.get(r.gateway);
      if (!list) seen.set(r.gateway, (list = []));
      if (Number(r.requests) > 0) list.push(parseChTime(r.minute));
    }
    const out: Finding[] = [];
    for (const [gateway, baseline] of baselines) {
      const minutes = (seen.get(gateway) ?? []).sort((a, b) => a - b);
      for (let end = ctx.range.from; end < ctx.range.to; end += MINUTE) {
        const start = end - cfg.silentMin * MINUTE;
        const b = bucketFor(baseline.buckets, start);
        if (!b) continue;
        const expected = (b.median * cfg.silentMin) / SLOT_MIN;
        if (expected < cfg.minExpected) continue;
        if (minutes.some((m) => m >= start && m < end)) continue;
        out.push({
          detector: 'gateway_silence',
          entity: { type: 'gateway', value: gateway },
          window: { start, end },
          observed: 0,
          expected: Math.round(expected),
          score: Math.round(expected / cfg.minExpected),
          severity: 'high',
          summary: `no records from gateway ${gateway} for ${cfg.silentMin} min; it usually sends about ${Math.round(expected)} in that time`,
          owasp: 'API9',
          detail: { silent_min: cfg.silentMin, usual_per_5min: b.median },
        });
      }
    }
    return out;
  },
  evidenceSql(db, f) {
    return `SELECT toStartOfFiveMinutes(event_time) AS slot, count() AS requests FROM ${db}.events WHERE gateway = ${sqlString(f.entity.value)} AND event_time >= toDateTime64('${chTime(f.window.start - 60 * MINUTE)}', 3, 'UTC') AND event_time < toDateTime64('${chTime(f.window.end)}', 3, 'UTC') GROUP BY slot ORDER BY slot`;
  },
};
