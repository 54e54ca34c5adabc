/**
 * A route's 5-minute total of one metric against its seasonal baseline: the shape shared by
 * the volume spike, error burst, failure-rate and data-exposure detectors. A window fires when
 * it is far from normal in robust standard deviations, several times the usual value, and
 * large in absolute terms — all three, so a quiet route's jump from 2 to 9 requests and a busy
 * route's ordinary Monday peak both stay quiet. Routes without enough history are not scored.
 */
import type { OwaspId } from '../../schemas/alert-schema.js';
import type { DetectorName } from '../../schemas/detect-config-schema.js';
import { bucketFor, robustZ } from '../baseline.js';
import type { Detector, DetectorContext, Finding } from '../detector.js';
import { eventTimeRange, severityFor, slidingWindowSql, sqlString, windowEnding } from '../detector.js';

export interface RouteMetricRow {
  route: string;
  minute: string;
  value: number | string;
  requests: number | string;
}

export const SLOT_MIN = 5;

export interface RouteAnomalySpec {
  name: DetectorName;
  metric: string;
  /** per-minute expression over rollup_route_1m */
  column: string;
  owasp: OwaspId;
  /** thresholds, possibly per route (sensitive routes get a lower floor) */
  thresholds: (ctx: DetectorContext, route?: string) => { z: number; minAbs: number; minRatio: number; minShare?: number };
  /** the lowest `minAbs` over all routes, for the SQL pre-filter */
  sqlFloor?: (ctx: DetectorContext) => number;
  describe: (route: string, value: number, usual: number, requests: number) => string;
  evidence: (db: string, f: Finding) => string;
  /** may fire on the minute still filling (see Detector.early) */
  early?: boolean;
}

export function routeAnomalyDetector(spec: RouteAnomalySpec): Detector<RouteMetricRow> {
  return {
    name: spec.name,
    baselines: [spec.metric],
    ...(spec.early ? { early: true } : {}),
    sql(db, range, ctx) {
      const floor = spec.sqlFloor ? spec.sqlFloor(ctx) : spec.thresholds(ctx).minAbs;
      const inner = slidingWindowSql({
        db,
        range,
        windowMin: SLOT_MIN,
        table: 'rollup_route_1m',
        keys: ['route'],
        perMinute: { v: `sum(${spec.column})`, r: 'sum(requests)' },
        overWindow: { value: 'sum(v)', requests: 'sum(r)' },
        having: `value >= ${floor}`,
      });
      return `SELECT toString(route) AS route, toString(minute) AS minute, value, requests FROM (${inner})`;
    },
    score(rows, ctx) {
      const baselines = ctx.baselines?.get(spec.metric);
      const out: Finding[] = [];
      for (const r of rows) {
        if (ctx.allow.route(r.route)) continue;
        const t = spec.thresholds(ctx, r.route);
        const window = windowEnding(r.minute, SLOT_MIN);
        const b = bucketFor(baselines?.get(r.route)?.buckets, window.start);
        if (!b) continue; // no history yet: cold start never alerts
        const value = Number(r.value);
        const requests = Number(r.requests);
        const z = robustZ(value, b);
        if (z < t.z || value < t.minRatio * Math.max(b.median, 1) || value < t.minAbs) continue;
        if (t.minShare !== undefined && value < t.minShare * requests) continue;
        out.push({
          detector: spec.name,
          entity: { type: 'route', value: r.route },
          window,
          observed: value,
          expected: b.median,
          score: Math.round(z * 10) / 10,
          severity: severityFor(z / t.z),
          summary: spec.describe(r.route, value, b.median, requests),
          owasp: spec.owasp,
          detail: { z: Math.round(z * 10) / 10, usual_median: b.median, usual_p95: b.p95, baseline_samples: b.samples, requests },
        });
      }
      return out;
    },
    evidenceSql: spec.evidence,
  };
}

export const routeEvidence = (db: string, f: Finding, extra = '') =>
  `SELECT toStartOfMinute(event_time) AS minute, count() AS requests, countIf(status >= 500) AS errors_5xx, countIf(auth_outcome = 'failure') AS failures, sum(bytes_out) AS bytes_out, uniqExact(client_ip) AS ips FROM ${db}.events WHERE route = ${sqlString(f.entity.value)}${extra} AND ${eventTimeRange(f.window)} GROUP BY minute ORDER BY minute`;
