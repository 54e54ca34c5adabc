/**
 * Object enumeration (OWASP API1, BOLA): one principal walking many distinct object ids on
 * one templated route (`/orders/{id}` → /orders/1, /orders/2, …) in a short window. Akto's
 * published default: more than 50 distinct values on one endpoint in 5 minutes.
 */
import type { Detector, Finding } from '../detector.js';
import { eventTimeRange, severityFor, slidingWindowSql, sqlString, windowEnding } from '../detector.js';

export interface EnumerationRow {
  principal_id: string;
  route: string;
  minute: string;
  objects: number | string;
  requests: number | string;
}

export const enumerationDetector: Detector<EnumerationRow> = {
  name: 'enumeration',
  early: true,
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.enumeration;
    const inner = slidingWindowSql({
      db,
      range,
      windowMin: cfg.windowMin,
      table: 'rollup_principal_route_1m',
      keys: ['principal_id', 'route'],
      perMinute: { r: 'sum(requests)', o: 'groupUniqArrayArray(objects)' },
      overWindow: { requests: 'sum(r)', objects: 'uniqExactArray(o)' },
      // only templated routes have object ids to walk
      where: "position(route, '{') > 0",
      having: `objects >= ${cfg.minObjects}`,
    });
    return `SELECT principal_id, toString(route) AS route, toString(minute) AS minute, objects, requests FROM (${inner})`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.enumeration;
    const out: Finding[] = [];
    for (const r of rows) {
      if (ctx.allow.principal(r.principal_id) || ctx.allow.route(r.route)) continue;
      const objects = Number(r.objects);
      out.push({
        detector: 'enumeration',
        entity: { type: 'principal', value: r.principal_id },
        window: windowEnding(r.minute, cfg.windowMin),
        observed: objects,
        expected: cfg.minObjects,
        score: objects / cfg.minObjects,
        severity: severityFor(objects / cfg.minObjects, 'high'),
        summary: `${r.principal_id} requested ${objects} different objects on ${r.route} in ${cfg.windowMin} min`,
        owasp: 'API1',
        detail: { route: r.route, objects, requests: Number(r.requests), window_min: cfg.windowMin },
      });
    }
    return out;
  },
  evidenceSql(db, f) {
    return `SELECT event_time, client_ip, method, path, status, bytes_out FROM ${db}.events WHERE principal_id = ${sqlString(f.entity.value)} AND route = ${sqlString(String(f.detail.route))} AND ${eventTimeRange(f.window)} ORDER BY event_time`;
  },
};
