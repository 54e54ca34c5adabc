/**
 * Findings become alerts. An alert's id is a fingerprint of detector, entity and the first
 * window the condition fired in, so replaying the same data yields the same ids. A condition
 * that fires again while its alert is open (or acknowledged) and within the re-arm gap extends that alert (one
 * more window, `last_seen`, the worst score) instead of opening another; a window already
 * counted (a re-scored range after a restart) changes nothing. Impossible travel between the
 * countries an alert already names, within a day of it, opens nothing new.
 */
import { createHash } from 'node:crypto';
import type { Alert, Severity } from '../schemas/alert-schema.js';
import type { Finding } from './detector.js';

const SEVERITY_ORDER: Severity[] = ['low', 'medium', 'high', 'critical'];
const iso = (ms: number) => new Date(ms).toISOString();

export function alertId(f: Pick<Finding, 'detector' | 'entity'>, firstWindowStart: number): string {
  return createHash('sha256').update(`${f.detector}\0${f.entity.type}\0${f.entity.value}\0${firstWindowStart}`).digest('hex').slice(0, 32);
}

export function entityKey(detector: string, entity: { type: string; value: string }): string {
  return `${detector}\0${entity.type}\0${entity.value}`;
}

/** A new alert for a finding. */
export function openAlert(f: Finding, evidence: { sql: string; rows: Array<Record<string, unknown>> }): Alert {
  return {
    id: alertId(f, f.window.start),
    detector: f.detector,
    severity: f.severity,
    entity: f.entity,
    window: { start: iso(f.window.start), end: iso(f.window.end) },
    observed: f.observed,
    expected: f.expected,
    score: round(f.score),
    summary: f.summary,
    owasp: f.owasp,
    evidence,
    detail: f.detail,
    status: 'open',
    windows: 1,
    // first seen: the end of the first window the condition held in, when it became detectable
    first_seen: iso(f.window.end),
    last_seen: iso(f.window.end),
  };
}

const DAY_MS = 86_400_000;

/** The countries an impossible-travel alert or finding is about (both ends, and those it gathered). */
function travelCountries(detail: Record<string, unknown>): string[] {
  const end = (x: unknown) => (x && typeof x === 'object' && typeof (x as { country?: unknown }).country === 'string' ? [(x as { country: string }).country] : []);
  const gathered = Array.isArray(detail.countries) ? detail.countries.filter((c): c is string => typeof c === 'string') : [];
  return [...new Set([...end(detail.from), ...end(detail.to), ...gathered])];
}

/**
 * Impossible travel raises at most one alert a day per principal unless the countries change:
 * a traveller's (or a stolen session's) back-and-forth between the same countries is one
 * story, not one alert per hop.
 */
function sameJourney(a: Alert, f: Finding): boolean {
  if (a.detector !== 'impossible_travel' || f.detector !== 'impossible_travel') return false;
  if (f.window.start - Date.parse(a.first_seen) >= DAY_MS) return false;
  const known = new Set(travelCountries(a.detail));
  return travelCountries(f.detail).every((c) => known.has(c));
}

/**
 * The open alert extended by a finding, or undefined when the finding adds nothing (its window
 * is already inside the alert, or it repeats within a day an impossible journey already
 * alerted on) or belongs to a new alert (past the re-arm gap, or after a resolution).
 */
export function extendAlert(a: Alert, f: Finding, rearmMs: number): { alert: Alert } | { newAlert: true } | undefined {
  const lastEnd = Date.parse(a.window.end);
  const repeat = sameJourney(a, f);
  if (a.status === 'resolved') return repeat ? undefined : { newAlert: true };
  if (f.window.start > lastEnd + rearmMs && !repeat) return { newAlert: true };
  if (f.window.end <= lastEnd) return undefined;
  const worse = SEVERITY_ORDER.indexOf(f.severity) > SEVERITY_ORDER.indexOf(a.severity);
  const stronger = f.score > a.score;
  const detail = stronger ? f.detail : a.detail;
  return {
    alert: {
      ...a,
      window: { start: a.window.start, end: iso(f.window.end) },
      windows: a.windows + 1,
      last_seen: iso(f.window.end),
      severity: worse ? f.severity : a.severity,
      ...(stronger ? { score: round(f.score), observed: f.observed, expected: f.expected, summary: f.summary } : {}),
      detail: a.detector === 'impossible_travel' ? { ...detail, countries: [...new Set([...travelCountries(a.detail), ...travelCountries(f.detail)])] } : detail,
    },
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
