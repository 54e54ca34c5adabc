/**
 * Outbound requests go to public addresses only, unless a channel explicitly allows private
 * ones. The check runs in the socket's own DNS lookup, so the address checked is the address
 * connected to (no window for DNS rebinding); redirects are never followed.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

const PUBLIC = new Set(['unicast']);

export function isPublicAddress(ip: string): boolean {
  try {
    const addr = ipaddr.process(ip);
    return PUBLIC.has(addr.range());
  } catch {
    return false;
  }
}

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
}

/** A `lookup` for http(s).request that refuses non-public addresses. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const ok = allowPrivate ? list : list.filter((a) => isPublicAddress(a.address));
      if (ok.length === 0) {
        return callback(new BlockedAddressError(`${hostname} resolves to ${list.map((a) => a.address).join(', ')}: not a public address (set allowPrivate on the channel to permit it)`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
      callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}
