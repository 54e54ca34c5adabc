/**
 * What an alert's severity means, decided in one place for every detector (docs/detection.md):
 *
 * - **critical**: evidence that an attack *succeeded* or is doing damage now — a request that
 *   authenticated from an address that was guessing or stuffing credentials, a route nobody had
 *   used answering an ordinary user with success, at least `detect.severity.criticalBytes`
 *   served to one principal or one route in a window.
 * - **high**: a confident attack signal without proof of success — guessing that only
 *   failed, object enumeration, a session at an impossible place, one principal or address
 *   flooding, a flood far beyond a route's baseline, an export-sized response, a privileged
 *   route used by a newcomer, a gateway gone silent (a blind spot), a route that stopped
 *   answering entirely.
 * - **medium**: anomalies with common benign causes — a first sign-in from a new country,
 *   a route's failure rate, a moderate volume spike, a slow ramp, an error burst, a route's
 *   traffic falling, a surge from a rare country.
 *
 * Score still matters inside a class (how far past the threshold), never across classes:
 * a huge but ordinary-looking volume spike is high, not critical.
 */
import type { Severity } from '../schemas/alert-schema.js';
import type { DetectConfig } from '../schemas/detect-config-schema.js';
import type { Finding } from './detector.js';

const num = (x: unknown) => (typeof x === 'number' ? x : Number(x ?? 0)) || 0;

/** The severity a finding gets, and why (kept in `detail.severity_reason`). */
export function severityOf(f: Finding, cfg: DetectConfig): { severity: Severity; reason: string } {
  const d = f.detail;
  switch (f.detector) {
    case 'brute_force':
    case 'credential_stuffing': {
      // counted by the runner from the events: requests from the guessing address that authenticated
      const succeeded = num(d.succeeded);
      return succeeded > 0 ? { severity: 'critical', reason: `${succeeded} request(s) from the guessing address authenticated` } : { severity: 'high', reason: 'guessing, no request from the address authenticated' };
    }
    case 'distributed_brute_force':
      return { severity: 'high', reason: 'guessing from many addresses' };
    case 'sensitive_access':
      if (d.route_has_history === false && num(d.succeeded) > 0) return { severity: 'critical', reason: 'a route nobody had used answered a non-operator with success' };
      return { severity: 'high', reason: d.route_has_history === false ? 'a route nobody had used, every request refused' : 'a privileged route used by a newcomer' };
    case 'data_exposure':
    case 'principal_exposure':
      if (f.observed >= cfg.severity.criticalBytes) return { severity: 'critical', reason: `${Math.round(f.observed / 1e6)} MB served in one window (critical from ${Math.round(cfg.severity.criticalBytes / 1e6)} MB)` };
      return { severity: 'high', reason: 'export-sized responses' };
    case 'enumeration':
    case 'impossible_travel':
    case 'entity_volume':
    case 'gateway_silence':
      return { severity: 'high', reason: 'a confident attack or blind-spot signal, no proof of success' };
    case 'route_drop':
      return f.observed === 0 ? { severity: 'high', reason: 'the route stopped answering entirely' } : { severity: 'medium', reason: 'the route serves far less than usual' };
    case 'volume':
      // the detector's own grade says how far past its threshold (twice or more: far)
      return f.severity === 'medium' || f.severity === 'low' ? { severity: 'medium', reason: "above the route's seasonal baseline" } : { severity: 'high', reason: "at least twice the threshold above the route's seasonal baseline" };
    default:
      return { severity: 'medium', reason: 'an anomaly with common benign causes' };
  }
}

export function applySeverityPolicy(f: Finding, cfg: DetectConfig): Finding {
  const { severity, reason } = severityOf(f, cfg);
  f.severity = severity;
  f.detail = { ...f.detail, severity_reason: reason };
  return f;
}
