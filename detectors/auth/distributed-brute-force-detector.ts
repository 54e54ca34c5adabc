/**
 * Distributed brute force (OWASP API2): one principal failing from many different IPs — a
 * botnet guessing one account's password, each address staying under per-IP limits.
 */
import type { Detector, Finding } from '../detector.js';
import { eventTimeRange, severityFor, slidingWindowSql, sqlString, windowEnding } from '../detector.js';

export interface DistributedBruteForceRow {
  principal_id: string;
  minute: string;
  ips: number | string;
  failures: number | string;
  requests: number | string;
}

export const distributedBruteForceDetector: Detector<DistributedBruteForceRow> = {
  name: 'distributed_brute_force',
  early: true,
  sql(db, range, ctx) {
    const cfg = ctx.config.detectors.distributed_brute_force;
    const inner = slidingWindowSql({
      db,
      range,
      windowMin: cfg.windowMin,
      table: 'rollup_principal_1m',
      keys: ['principal_id'],
      perMinute: { f: 'sum(failures)', r: 'sum(requests)', i: 'groupUniqArrayArray(failed_ips)' },
      overWindow: { failures: 'sum(f)', requests: 'sum(r)', ips: 'uniqExactArray(i)' },
      where: 'failures > 0',
      having: `ips >= ${cfg.minIps} AND failures >= ${cfg.minFailures}`,
    });
    return `SELECT principal_id, toString(minute) AS minute, ips, failures, requests FROM (${inner})`;
  },
  score(rows, ctx) {
    const cfg = ctx.config.detectors.distributed_brute_force;
    const out: Finding[] = [];
    for (const r of rows) {
      if (ctx.allow.principal(r.principal_id)) continue;
      const ips = Number(r.ips);
      const failures = Number(r.failures);
      out.push({
        detector: 'distributed_brute_force',
        entity: { type: 'principal', value: r.principal_id },
        window: windowEnding(r.minute, cfg.windowMin),
        observed: ips,
        expected: cfg.minIps,
        score: ips / cfg.minIps,
        severity: severityFor(ips / cfg.minIps, 'high'),
        summary: `${failures} failed logins for ${r.principal_id} from ${ips} different IPs in ${cfg.windowMin} min`,
        owasp: 'API2',
        detail: { ips, failures, requests: Number(r.requests), window_min: cfg.windowMin },
      });
    }
    return out;
  },
  evidenceSql(db, f) {
    return `SELECT client_ip, country, asn, count() AS attempts, countIf(auth_outcome = 'failure') AS failures FROM ${db}.events WHERE principal_id = ${sqlString(f.entity.value)} AND ${eventTimeRange(f.window)} GROUP BY client_ip, country, asn ORDER BY failures DESC`;
  },
};
