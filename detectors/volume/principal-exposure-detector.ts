/** Response bytes to one principal far above its own history: bulk export, exfiltration (OWASP API3). */
import type { Detector, Finding } from '../detector.js';
import { eventTimeRange, severityFor, sqlString, windowEnding } from '../detector.js';
import { entityHistorySql, usualPerWindow, type EntityVolumeRow } from './entity-volume-detector.js';

const mb = (b: number) => `${(b / 1_000_000).toFixed(1)} MB`;

export const principalExposureDetector: Detector<EntityVolumeRow> = {
  name: 'principal_exposure',
  early: true,
  sql(db, range, ctx) {
    const c = ctx.config.detectors.principal_exposure;
    return entityHistorySql({ db, range, windowMin: c.windowMin, historyDays: c.historyDays, table: 'rollup_principal_1m', key: 'principal_id', whoExpr: 'c.principal_id', kind: 'principal', column: 'bytes_out', minValue: c.minBytes });
  },
  score(rows, ctx) {
    const c = ctx.config.detectors.principal_exposure;
    const out: Finding[] = [];
    for (const r of rows) {
      if (ctx.allow.principal(r.who)) continue;
      const value = Number(r.value);
      const usual = usualPerWindow(Number(r.history ?? 0), c.historyDays, c.windowMin);
      if (value < c.minRatio * Math.max(usual, 1)) continue;
      out.push({
        detector: 'principal_exposure',
        entity: { type: 'principal', value: r.who },
        window: windowEnding(r.minute, c.windowMin),
        observed: value,
        expected: Math.round(usual),
        score: value / c.minBytes,
        severity: severityFor(value / c.minBytes, 'high'),
        summary: `${mb(value)} served to ${r.who} in ${c.windowMin} min, usually ${mb(usual)}`,
        owasp: 'API3',
        detail: { bytes_out: value, usual_per_window: usual, window_min: c.windowMin },
      });
    }
    return out;
  },
  evidenceSql(db, f) {
    return `SELECT route, count() AS requests, sum(bytes_out) AS bytes_served, max(bytes_out) AS largest_response FROM ${db}.events WHERE principal_id = ${sqlString(f.entity.value)} AND ${eventTimeRange(f.window)} GROUP BY route ORDER BY bytes_served DESC`;
  },
};
