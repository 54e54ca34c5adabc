/**
 * Silences: time-boxed suppression of notifications by matchers. A silence matches an alert
 * when every matcher it sets matches: detector and severity exactly (severity as a minimum is
 * not a silence's job), entity type exactly, entity value and route by `*` wildcard, and an
 * IP entity also by CIDR. A silenced alert is still stored; its notification is marked
 * `suppressed` and never sent. Pure.
 */
import ipaddr from 'ipaddr.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { globMatcher } from '../../detectors/allow-list.js';

export interface SilenceMatchers {
  detector?: string;
  severity?: string;
  entity_type?: string;
  /** `*` wildcards; for IP entities also a CIDR (`203.0.113.0/24`) */
  entity_value?: string;
  route?: string;
}

export interface Silence {
  id: string;
  matchers: SilenceMatchers;
  starts_at: string;
  ends_at: string;
  created_by: string;
  comment: string;
}

function valueMatches(pattern: string, value: string, isIp: boolean): boolean {
  if (isIp && pattern.includes('/')) {
    try {
      const [net, bits] = ipaddr.parseCIDR(pattern);
      const addr = ipaddr.process(value);
      return addr.kind() === net.kind() && addr.match([net, bits] as never);
    } catch {
      return false;
    }
  }
  return globMatcher([pattern])(value);
}

export function silenceMatches(s: Silence, a: Alert, at: number): boolean {
  if (at < Date.parse(s.starts_at) || at >= Date.parse(s.ends_at)) return false;
  const m = s.matchers;
  if (m.detector && m.detector !== a.detector) return false;
  if (m.severity && m.severity !== a.severity) return false;
  if (m.entity_type && m.entity_type !== a.entity.type) return false;
  if (m.entity_value && !valueMatches(m.entity_value, a.entity.value, a.entity.type === 'ip')) return false;
  if (m.route) {
    const route = a.entity.type === 'route' ? a.entity.value : typeof a.detail.route === 'string' ? a.detail.route : undefined;
    if (!route || !globMatcher([m.route])(route)) return false;
  }
  return true;
}

/** Matchers must say something: a silence that matches every alert is refused. */
export function validateMatchers(m: SilenceMatchers): string | undefined {
  if (!m.detector && !m.severity && !m.entity_type && !m.entity_value && !m.route) return 'a silence needs at least one matcher';
  if (m.entity_value?.includes('/')) {
    try {
      ipaddr.parseCIDR(m.entity_value);
    } catch {
      return `entity_value ${JSON.stringify(m.entity_value)} looks like a CIDR but is not one`;
    }
  }
  return undefined;
}
