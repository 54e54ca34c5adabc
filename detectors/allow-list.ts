/**
 * Allow-lists that apply across all detectors: addresses (CIDRs), networks (ASNs), principals
 * and routes (templates with `*`). Pure: built once from config, asked per finding.
 */
import ipaddr from 'ipaddr.js';

export interface AllowList {
  ip(ip: string): boolean;
  asn(asn: number): boolean;
  principal(id: string): boolean;
  route(route: string): boolean;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function parseCidrs(cidrs: string[]): Range[] {
  return cidrs.map((c) => {
    if (c.includes('/')) return ipaddr.parseCIDR(c);
    const a = ipaddr.parse(c);
    return [a, a.kind() === 'ipv4' ? 32 : 128] as Range;
  });
}

/** True when `ip` (IPv4, IPv6 or IPv4-mapped IPv6) is inside one of the ranges. */
export function inRanges(ranges: Range[], ip: string): boolean {
  if (ranges.length === 0 || !ip) return false;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip);
  } catch {
    return false;
  }
  return ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match([net, bits] as never));
}

export function globMatcher(patterns: string[]): (s: string) => boolean {
  if (patterns.length === 0) return () => false;
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i'));
  return (s) => res.some((re) => re.test(s));
}

export function createAllowList(cfg: { cidrs: string[]; asns: number[]; principals: string[]; routes: string[] }): AllowList {
  const ranges = parseCidrs(cfg.cidrs);
  const asns = new Set(cfg.asns);
  const principals = new Set(cfg.principals);
  const route = globMatcher(cfg.routes);
  return {
    ip: (ip) => inRanges(ranges, ip),
    asn: (asn) => asns.has(asn),
    principal: (id) => principals.has(id),
    route,
  };
}
