/**
 * Credential stuffing (OWASP API2): one IP trying many different principals and failing for
 * most of them — a list of leaked credentials being replayed. A corporate NAT address serves
 * many users too, but they mostly succeed: the failure ratio keeps it quiet.
 */
import type { Detector, Finding } from '../detector.js';
import { eventTimeRange, severityFor, slidingWindowSql, sqlString, windowEnding } from '../detector.js';
import { displayIp } from '../entity-format.js';

export interface CredentialStuffingRow {
  ip: string;
  minute: string;
  principals: number | string;
  failures: number | string;
  requests: number | string;
}

export const credentialStuffingDetector: Detector<CredentialStuffingRow> = {
  name: 'credential_stuffing',
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.credential_stuffing;
    const inner = slidingWindowSql({
      db,
      range,
      windowMin: cfg.windowMin,
      table: 'rollup_ip_1m',
      keys: ['client_ip'],
      perMinute: { f: 'sum(failures)', r: 'sum(requests)', p: 'groupUniqArrayArray(failed_principals)' },
      overWindow: { failures: 'sum(f)', requests: 'sum(r)', principals: 'uniqExactArray(p)' },
      where: 'failures > 0',
      having: `principals >= ${cfg.minPrincipals} AND failures >= ${cfg.minFailureRatio} * requests`,
    });
    return `SELECT toString(client_ip) AS ip, toString(minute) AS minute, principals, failures, requests FROM (${inner})`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.credential_stuffing;
    const out: Finding[] = [];
    for (const r of rows) {
      const ip = displayIp(r.ip);
      if (ctx.allow.ip(ip)) continue;
      const principals = Number(r.principals);
      const failures = Number(r.failures);
      const requests = Number(r.requests);
      out.push({
        detector: 'credential_stuffing',
        entity: { type: 'ip', value: ip },
        window: windowEnding(r.minute, cfg.windowMin),
        observed: principals,
        expected: cfg.minPrincipals,
        score: principals / cfg.minPrincipals,
        severity: severityFor(principals / cfg.minPrincipals, 'high'),
        summary: `${ip} failed to log in as ${principals} different principals in ${cfg.windowMin} min (${Math.round((100 * failures) / Math.max(requests, 1))}% of ${requests} requests failed)`,
        owasp: 'API2',
        detail: { principals, failures, requests, failure_ratio: failures / Math.max(requests, 1), window_min: cfg.windowMin },
      });
    }
    return out;
  },
  evidenceSql(db, f) {
    return `SELECT principal_id, count() AS attempts, countIf(auth_outcome = 'failure') AS failures, min(event_time) AS first, max(event_time) AS last FROM ${db}.events WHERE client_ip = toIPv6(${sqlString(f.entity.value)}) AND ${eventTimeRange(f.window)} GROUP BY principal_id ORDER BY failures DESC`;
  },
};
