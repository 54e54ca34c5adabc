/**
 * Identities are not secrets: by default an analyst sees who (principal, e-mail) and where
 * (client IP). Under a privacy policy (GDPR) each becomes a keyed pseudonym — HMAC-SHA256
 * with the deployment's fingerprint key, domain-separated per kind — or a mask. A pseudonym
 * is stable across restarts and workers that share the key, so detectors still see "the same
 * principal from two countries" without the identity. Geo enrichment happens before this
 * step, on the real address, so countries and ASNs stay exact.
 */
import { createHmac, createSecretKey } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

import type { PiiAction } from '../../../schemas/redaction-schema.js';

export interface PiiPolicy {
  email: PiiAction;
  clientIp: PiiAction;
  /** principal ids: `mask` is not offered, a masked id would merge distinct principals */
  principal: 'keep' | 'hash';
}

export const KEEP_ALL: PiiPolicy = { email: 'keep', clientIp: 'keep', principal: 'keep' };

/** Privacy mode turns every `keep` into `hash`; an explicit `mask` stays (it is stricter). */
export function resolvePiiPolicy(privacyMode: boolean, configured: PiiPolicy): PiiPolicy {
  if (!privacyMode) return configured;
  return {
    email: configured.email === 'keep' ? 'hash' : configured.email,
    clientIp: configured.clientIp === 'keep' ? 'hash' : configured.clientIp,
    principal: 'hash',
  };
}

export type Pseudonymizer = (kind: 'email' | 'ip' | 'principal', value: string) => Buffer;

export function createPseudonymizer(key: string): Pseudonymizer {
  const secret = createSecretKey(Buffer.from(key, 'utf8')); // imported once, not at every call
  return (kind, value) => createHmac('sha256', secret).update(kind).update('\0').update(value).digest();
}

export const EMAIL_REGEX = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email[0]}***${email.slice(at)}`;
}

function expandIPv6(ip: string): number[] {
  // returns 8 groups; an embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups
  let s = ip;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => parseInt(g, 16) || 0);
}

/** IPv4 keeps its /24, IPv6 its /48: enough for "which network", not "which subscriber". */
export function maskIp(ip: string): string {
  if (isIPv4(ip)) return ip.replace(/\.\d{1,3}$/, '.0');
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(ip);
  if (mapped) return `::ffff:${maskIp(mapped[1]!)}`;
  if (!isIPv6(ip)) return ip;
  const g = expandIPv6(ip);
  return `${g[0]!.toString(16)}:${g[1]!.toString(16)}:${g[2]!.toString(16)}::`;
}

/** A pseudonymous address in the unique-local range fd00::/8, so it still fits an IPv6 column. */
export function pseudonymIp(pseudo: Pseudonymizer, ip: string): string {
  const h = pseudo('ip', ip);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((i === 0 ? 0xfd : h[i]!) << 8) | h[i + 1]!).toString(16));
  return groups.join(':');
}

export function createPiiTransforms(policy: PiiPolicy, pseudo: Pseudonymizer) {
  // the same few thousand addresses and principals repeat all day: one HMAC each, not one per record
  const ipCache = new Map<string, string>();
  const principalCache = new Map<string, string>();
  return {
    policy,
    /** a client address as the policy wants it stored */
    ip(ip: string): string {
      if (policy.clientIp === 'keep' || !ip) return ip;
      if (policy.clientIp === 'mask') return maskIp(ip);
      let out = ipCache.get(ip);
      if (out === undefined) {
        out = pseudonymIp(pseudo, ip);
        if (ipCache.size > 50_000) ipCache.clear();
        ipCache.set(ip, out);
      }
      return out;
    },
    email(email: string): string {
      if (policy.email === 'mask') return maskEmail(email);
      return `[email:${pseudo('email', email.toLowerCase()).toString('hex').slice(0, 16)}]`;
    },
    /** principal ids: fingerprints (`fp:`) are already pseudonyms and stay as they are */
    principal(id: string): string {
      if (policy.principal === 'keep' || !id || id.startsWith('fp:')) return id;
      let out = principalCache.get(id);
      if (out === undefined) {
        out = 'pn:' + pseudo('principal', id).toString('hex').slice(0, 32);
        if (principalCache.size > 50_000) principalCache.clear();
        principalCache.set(id, out);
      }
      return out;
    },
  };
}

export type PiiTransforms = ReturnType<typeof createPiiTransforms>;
