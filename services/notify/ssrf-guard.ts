/**
 * Outbound connections (webhooks, SMTP) go to public addresses only, unless a channel
 * explicitly allows private ones. The check runs in the socket's own DNS lookup, so the
 * address checked is the address connected to (no window for DNS rebinding); an address
 * literal, which never goes through DNS, is checked as it is; redirects are never followed.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { connect, isIP, type LookupFunction, type Socket } from 'node:net';
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

const HINT = 'set allowPrivate on the channel to permit it';

/** Why a host that is an address literal may not be connected to; undefined for a name or an allowed address. */
export function literalRefusal(host: string, allowPrivate: boolean): string | undefined {
  const literal = host.replace(/^\[|\]$/g, '');
  if (!isIP(literal) || allowPrivate || isPublicAddress(literal)) return undefined;
  return `${literal} is not a public address (${HINT})`;
}

/** A `lookup` for http(s).request that refuses non-public addresses. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const ok = allowPrivate ? list : list.filter((a) => isPublicAddress(a.address));
      if (ok.length === 0) {
        return callback(new BlockedAddressError(`${hostname} resolves to ${list.map((a) => a.address).join(', ')}: not a public address (${HINT})`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
      callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}

/**
 * A TCP connection to host:port through the guard (for clients that resolve names on their
 * own, such as nodemailer): a literal is refused before any connection, a name is checked in
 * the socket's own lookup, and the peer's address once connected. Refusals are
 * BlockedAddressError; connecting takes at most timeoutMs.
 */
export function connectGuarded(o: { host: string; port: number; allowPrivate: boolean; timeoutMs: number }): Promise<Socket> {
  const refused = literalRefusal(o.host, o.allowPrivate);
  if (refused) return Promise.reject(new BlockedAddressError(refused));
  return new Promise((resolve, reject) => {
    const socket = connect({ host: o.host.replace(/^\[|\]$/g, ''), port: o.port, lookup: guardedLookup(o.allowPrivate) });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(o.timeoutMs, () => fail(new Error(`no connection to ${o.host}:${o.port} within ${o.timeoutMs} ms`)));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeListener('error', fail);
      // until the client takes the socket over with its own handlers, an error must not go unheard
      socket.on('error', () => undefined);
      const peer = socket.remoteAddress ?? '';
      if (!o.allowPrivate && !isPublicAddress(peer)) return fail(new BlockedAddressError(`${o.host} connected to ${peer}: not a public address (${HINT})`));
      resolve(socket);
    });
  });
}
