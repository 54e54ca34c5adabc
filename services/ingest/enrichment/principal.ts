/**
 * Who made the request. The identity the gateway already established comes first (Kong
 * consumer, Traefik user, AWS authorizer principal, APIM subscription); else the credential
 * in the request: a JWT's `sub` (decoded, signature not checked: this is attribution, not
 * authentication), a Basic user name, or an API key / opaque token as a keyed fingerprint.
 * A secret is never the id: `fp:` + HMAC-SHA256(key, credential), stable across restarts and
 * workers that share the key, so "the same token from two countries" stays visible.
 */
import { createHmac, createSecretKey } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AuthOutcome, ParsedRecord, Principal } from '../../../schemas/event-schema.js';

const API_KEY_HEADERS = ['x-api-key', 'apikey', 'api-key', 'x-apikey', 'x-auth-token', 'x-access-token'];
const API_KEY_PARAMS = new Set(['api_key', 'apikey', 'key', 'access_token', 'token', 'api-key']);

/** Keyed fingerprint of a credential; the same few keys repeat all day, so results are cached. */
export function createFingerprinter(key: string, cacheSize = 10_000) {
  const cache = new LRUCache<string, string>({ max: cacheSize });
  const secret = createSecretKey(Buffer.from(key, 'utf8')); // imported once, not at every miss
  return (credential: string) => {
    let fp = cache.get(credential);
    if (fp === undefined) {
      fp = 'fp:' + createHmac('sha256', secret).update(credential).digest('hex').slice(0, 32);
      cache.set(credential, fp);
    }
    return fp;
  };
}
export type Fingerprinter = ReturnType<typeof createFingerprinter>;

function decodeJwtSub(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1]!.length > 16_384) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (typeof payload !== 'object' || payload === null) return undefined;
    const sub = (payload as Record<string, unknown>).sub;
    return typeof sub === 'string' && sub.length > 0 && sub.length <= 256 ? sub : typeof sub === 'number' ? String(sub) : undefined;
  } catch {
    return undefined;
  }
}

function fromAuthorization(value: string, fp: Fingerprinter): Principal | undefined {
  const space = value.indexOf(' ');
  const scheme = (space > 0 ? value.slice(0, space) : '').toLowerCase();
  const cred = (space > 0 ? value.slice(space + 1) : value).trim();
  if (!cred) return undefined;
  if (scheme === 'basic') {
    const decoded = Buffer.from(cred, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon >= 0 ? decoded.slice(0, colon) : '';
    // a Basic user that is not printable text is a credential blob: fingerprint it instead
    if (user && user.length <= 256 && /^[\x20-\x7e]+$/.test(user)) return { type: 'basic', id: user };
    return { type: 'basic', id: fp(cred) };
  }
  if (scheme === 'bearer' || scheme === '') {
    const sub = cred.startsWith('eyJ') ? decodeJwtSub(cred) : undefined;
    if (sub) return { type: 'jwt_sub', id: sub };
    return { type: 'api_key', id: fp(cred) };
  }
  // Digest, AWS4-HMAC-SHA256, HMAC …: the key id or user name is not secret, the rest is
  const keyId = /(?:username|Credential|keyId)="?([^"/,\s]+)/.exec(cred)?.[1];
  return keyId ? { type: 'api_key', id: keyId } : { type: 'api_key', id: fp(cred) };
}

function fromQuery(query: string, fp: Fingerprinter): Principal | undefined {
  if (!query) return undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).toLowerCase();
    const value = pair.slice(eq + 1);
    if (API_KEY_PARAMS.has(name) && value) {
      let v = value;
      try {
        v = decodeURIComponent(value);
      } catch {
        /* keep raw */
      }
      const sub = v.startsWith('eyJ') ? decodeJwtSub(v) : undefined;
      return sub ? { type: 'jwt_sub', id: sub } : { type: 'api_key', id: fp(v) };
    }
  }
  return undefined;
}

export function extractPrincipal(rec: ParsedRecord, fp: Fingerprinter): Principal {
  if (rec.gatewayPrincipal?.id) return rec.gatewayPrincipal;
  const auth = rec.headers.authorization ?? rec.headers['proxy-authorization'];
  if (auth) {
    const p = fromAuthorization(auth, fp);
    if (p) return p;
  }
  for (const h of API_KEY_HEADERS) {
    const v = rec.headers[h];
    if (v) return { type: 'api_key', id: fp(v) };
  }
  return fromQuery(rec.query, fp) ?? { type: 'anonymous', id: '' };
}

/** 401 and 403 are failures; a request that carried an identity and was not refused succeeded. */
export function authOutcome(status: number, principal: Principal, rec: ParsedRecord): AuthOutcome {
  if (status === 401 || status === 403) return 'failure';
  if (rec.headers['x-gatewatch-aws-error']?.includes('UNAUTHORIZED') || rec.headers['x-gatewatch-aws-error']?.includes('ACCESS_DENIED')) return 'failure';
  if (principal.type !== 'anonymous') return status === 0 ? 'unknown' : 'success';
  return 'none';
}
