/**
 * Which address is the client? The peer the gateway saw, unless that peer is a trusted
 * proxy: then X-Forwarded-For is walked from the right, skipping trusted proxies, and the
 * first untrusted hop is the client. From an untrusted peer, X-Forwarded-For is ignored: any
 * client can write anything in it.
 */
import ipaddr from 'ipaddr.js';
import { hostOnly } from '../parsers/field-readers.js';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function parseIp(s: string): Addr | undefined {
  const h = hostOnly(s);
  if (!h || !ipaddr.isValid(h)) return undefined;
  try {
    const a = ipaddr.parse(h);
    return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
  } catch {
    return undefined;
  }
}

export function createClientIpResolver(trustedProxies: string[]) {
  const ranges = trustedProxies.map((c) => (c.includes('/') ? ipaddr.parseCIDR(c) : ([ipaddr.parse(c), ipaddr.parse(c).kind() === 'ipv4' ? 32 : 128] as [Addr, number])));
  const trusted = (a: Addr) => ranges.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));

  /** Returns the client address as text ('' when nothing valid was logged). */
  return function resolveClientIp(peerIp: string, forwardedFor: string): string {
    // the common case, a plain IPv4 peer and nobody trusted, needs no parsing
    if (ranges.length === 0 && DOTTED_QUAD.test(peerIp)) return peerIp;
    const peer = parseIp(peerIp);
    if (!peer) {
      // no usable peer (Envoy's default format logs none): trust nothing but the header's last hop
      const hops = forwardedFor.split(',').map((h) => parseIp(h.trim()));
      const last = hops[hops.length - 1];
      return last ? last.toString() : '';
    }
    if (ranges.length === 0 || !trusted(peer) || !forwardedFor) return peer.toString();
    let client: Addr = peer;
    const hops = forwardedFor.split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseIp(hops[i]!.trim());
      if (!hop) break; // garbage in the header: stop at the last address we could vouch for
      client = hop;
      if (!trusted(hop)) break;
    }
    return client.toString();
  };
}

/** ClickHouse IPv6 column form: IPv4 as ::ffff:a.b.c.d, '::' for unknown. */
export function toStoredIp(ip: string): string {
  if (!ip) return '::';
  return ip.includes(':') ? ip : `::ffff:${ip}`;
}
