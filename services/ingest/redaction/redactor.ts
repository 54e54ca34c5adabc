/**
 * Redaction: the one place secrets are removed from a record, before anything is stored,
 * dead-lettered or logged. Pure: no I/O, no clock.
 *
 * Invariants:
 * - a secret is replaced by a typed marker `[REDACTED:type]`, never truncated, and counted;
 * - every scan is linear in its input (bounded repetitions only; operator patterns run on
 *   RE2, which cannot backtrack), and nothing here throws on any string;
 * - when unsure, redact: a name that sounds secret loses its value whatever the value is.
 */
import { isIP, isIPv4 } from 'node:net';
import { RE2JS } from 're2js';
import { AWS_TRIGGER, NAMED_VALUE_WORDS, mayHoldDigitSecret, SECRET_PATTERNS, SHAPE_TRIGGER, type SecretPattern } from './secret-patterns.js';
import { AUTHORIZATION_HEADERS, COOKIE_HEADERS, IP_HEADERS, URL_HEADERS, createNamePredicates } from './secret-names.js';
import { EMAIL_REGEX, KEEP_ALL, createPiiTransforms, type PiiPolicy, type Pseudonymizer } from './pii.js';
import { createPrincipalScrubber } from './principal-fields.js';
import { REDACTION_RULES, type RedactionRule } from '../../../schemas/redaction-schema.js';

export { REDACTION_RULES, type RedactionRule };

export interface RedactorOptions {
  /** rule toggles: every rule is on unless set to false */
  rules?: Partial<Record<RedactionRule, boolean>>;
  extraHeaderNames?: string[];
  extraParamNames?: string[];
  /** operator patterns, RE2 syntax: a match becomes `[REDACTED:name]` */
  extraPatterns?: Array<{ name: string; regex: string }>;
  pii?: PiiPolicy;
  /** the keyed HMAC used for PII pseudonyms; needed when a PII policy says `hash` */
  pseudonymize?: Pseudonymizer;
  /** header names (lower case) that `headers()` leaves out: they have a column of their own */
  dropHeaders?: string[];
  /** more field names that hold principals (configured field mappings), for `raw()` under a policy that hashes principals */
  principalFieldNames?: string[];
}

/** Counts replacements by type for one record. */
export class RedactionTally {
  total = 0;
  readonly byType = new Map<string, number>();
  add(type: string, n = 1): void {
    this.total += n;
    this.byType.set(type, (this.byType.get(type) ?? 0) + n);
  }
}

export const marker = (type: string) => `[REDACTED:${type}]`;

const MAX_SCAN_CHARS = 262_144; // longer text is cut before scanning; callers clip far below this
const MAX_HEADERS = 64;
const MAX_HEADER_VALUE = 2048;
const MAX_DECODE_LEVELS = 3;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    // invalid percent-encoding: decode the valid escapes one by one, keep the rest
    return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/** Decoded base64 that reads as text (a wrapped credential), or undefined for binary noise. */
function base64Text(run: string): string | undefined {
  let text: string;
  try {
    text = Buffer.from(run, run.includes('-') || run.includes('_') ? 'base64url' : 'base64').toString('latin1');
  } catch {
    return undefined;
  }
  if (text.length < 12) return undefined;
  let printable = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
  }
  return printable / text.length >= 0.9 ? text : undefined;
}

const TOKEN_RUN = /[^\s"'<>]{1,8192}/g;
const BASE64_RUN = /[A-Za-z0-9+/_-]{24,8192}={0,2}/g;
const BASE64_CANDIDATE = /[A-Za-z0-9+/_-]{24}/;
const HAS_LOWER = /[a-z]/;
const COOKIE_NAME = /^[A-Za-z0-9_.!#$&'*+^`|~-]{1,64}$/;
const COOKIE_MARKER = '[REDACTED:cookie]';
const PARAM_MARKER = '[REDACTED:param]';
const PATH_TOKEN_MARKER = '[REDACTED:path_token]';
const HEADER_NAME = /^[a-z0-9-]{1,64}$/;
const SHORT_PLAIN = 1;
const HEXISH = 2;

/**
 * SHORT_PLAIN: at most 10 of [A-Za-z0-9_.~ -]; HEXISH: only [0-9a-fA-F., -] and no digit run
 * shaped like a card or an SSN (mayHoldDigitSecret, folded into the same pass); else 0. One
 * pass, no regex call: hex ids, UUIDs, trace ids and IPv4 lists end here.
 */
function plainShape(s: string): number {
  let hex = true;
  let plain = s.length <= 10;
  // digit runs as mayHoldDigitSecret reads them (a short plain token cannot hold one)
  let run = 0;
  let p1 = -1;
  let p2 = -1;
  let p3 = -1;
  let digitSecret = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    if (digit) {
      run++;
      if (run >= 13 || (p1 === 4 && p2 === 4 && p3 >= 4) || (run >= 4 && ((p1 === 6 && p2 >= 4) || (p1 === 2 && p2 >= 3)))) digitSecret = true;
    } else {
      if (run > 0 && (c === 32 || c === 45)) {
        p3 = p2;
        p2 = p1;
        p1 = run;
      } else {
        p1 = p2 = p3 = -1;
      }
      run = 0;
    }
    const hexLetter = (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    const sep = c === 45 || c === 46 || c === 32 || c === 44; // - . space ,
    if (!(digit || hexLetter || sep)) hex = false;
    if (plain && !(digit || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 126 || c === 45 || c === 46 || c === 32)) plain = false;
    if (!hex && !plain) return 0;
  }
  return plain ? SHORT_PLAIN : hex && !digitSecret ? HEXISH : 0;
}
const HAS_UPPER = /[A-Z]/;
const AUTH_LINE = /(\b(?:proxy-)?authorization|\bset-cookie|\bcookie)(\\?["']?\s{0,3}[:=]\s{0,3}\\?["']?)([^\r\n"'\\]{1,8192})/gi;
// `name=value`, `name: value`, `"name":"value"` in free text; the name decides (see secret-names.ts)
const NAME_SEP = /(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{0,63})\\?["']?\s{0,3}[:=]\s{0,3}/g;
const QUOTED_VALUE = /(\\?["'])[^"'\\\r\n]{1,4096}/y;
const BARE_VALUE = /[^\s"'&;,\\]{1,4096}/y;
const URL_IN_TEXT = /(?<![A-Za-z0-9_.~%-])(?:[a-z][a-z0-9+.-]{1,20}:\/\/[^\s"'<>/]{1,256})?\/[^\s"'<>]{1,8192}/gi;
const ADDRESS_LIKE = /[0-9A-Fa-f:.]{2,45}/g;

export function createRedactor(opts: RedactorOptions = {}) {
  const enabled = (rule: RedactionRule) => opts.rules?.[rule] !== false;
  const names = createNamePredicates(opts.extraHeaderNames ?? [], opts.extraParamNames ?? []);
  const patterns: SecretPattern[] = SECRET_PATTERNS.filter((p) => enabled(p.type as RedactionRule));
  const operatorPatterns = (opts.extraPatterns ?? []).map((p) => ({ type: p.name, re: compileOperatorPattern(p.regex) }));
  const policy = opts.pii ?? KEEP_ALL;
  if (!opts.pseudonymize && (policy.email === 'hash' || policy.clientIp === 'hash' || policy.principal === 'hash')) {
    throw new Error('a PII policy that hashes needs a pseudonymizer (the fingerprint key)');
  }
  const pii = createPiiTransforms(policy, opts.pseudonymize ?? (() => Buffer.alloc(32)));
  // dead letters: principals become the pseudonym an event's principal_id gets (see process-record.ts)
  const principals =
    policy.principal === 'hash'
      ? createPrincipalScrubber({ extraNames: opts.principalFieldNames ?? [], pseudonym: (id) => pii.principal(text(id.length > 256 ? id.slice(0, 256) : id, new RedactionTally())) })
      : undefined;
  const scanEmails = policy.email !== 'keep';
  const namedValues = enabled('generic_secret');
  const authLines = enabled('authorization');
  const encoded = enabled('encoded');
  const pathTokens = enabled('path_token');
  const secretParams = enabled('param');
  const extraWords = (opts.extraParamNames ?? []).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const namedTrigger = new RegExp(`(?:${[NAMED_VALUE_WORDS, ...extraWords].join('|')})[A-Za-z0-9_.-]{0,20}\\\\?["']?\\s{0,3}[:=]`, 'i');
  const mayHoldSecret = (s: string) =>
    SHAPE_TRIGGER.test(s) || mayHoldDigitSecret(s) || AWS_TRIGGER.test(s) || ((s.includes('=') || s.includes(':')) && namedTrigger.test(s));

  // Values that scanned clean, by value: Accept, User-Agent, Origin… repeat all day. Only a
  // value in which nothing was found is remembered, so no secret is ever held here.
  // Two generations: a value seen again is promoted, so unique ids rotate out and hot values stay.
  let cleanValues = new Set<string>();
  let cleanBefore = new Set<string>();
  const CLEAN_CACHE_GENERATION = 20_000;
  const CLEAN_VALUE_MAX_CHARS = 512;
  const rememberClean = (v: string) => {
    if (cleanValues.size >= CLEAN_CACHE_GENERATION) {
      cleanBefore = cleanValues;
      cleanValues = new Set();
    }
    cleanValues.add(v);
  };
  const knownClean = (v: string) => {
    if (cleanValues.has(v)) return true;
    if (!cleanBefore.has(v)) return false;
    rememberClean(v);
    return true;
  };
  // operator patterns may match anything, so with them every value takes the full scan
  const shortCircuit = operatorPatterns.length === 0;

  /** Built-in and operator patterns over a string, no unwrapping. */
  function patternsPass(input: string, tally: RedactionTally): string {
    let out = input;
    if (mayHoldSecret(out)) {
      if (authLines && AUTH_LINE.test(out)) {
        AUTH_LINE.lastIndex = 0;
        out = out.replace(AUTH_LINE, (_m, name: string, sep: string) => {
          const type = /cookie/i.test(name) ? 'cookie' : 'authorization';
          tally.add(type);
          return `${name}${sep}${marker(type)}`;
        });
      }
      AUTH_LINE.lastIndex = 0;
      for (const p of patterns) {
        p.regex.lastIndex = 0;
        if (!p.regex.test(out)) continue;
        p.regex.lastIndex = 0;
        out = out.replace(p.regex, (match: string, prefix?: unknown) => {
          if (p.verify && !p.verify(match)) return match;
          tally.add(p.type);
          return p.keepPrefix && typeof prefix === 'string' ? prefix + marker(p.type) : marker(p.type);
        });
      }
      if (namedValues) out = namedValuesPass(out, tally);
    }
    for (const op of operatorPatterns) {
      const matcher = op.re.matcher(out);
      if (!matcher.find()) continue;
      out = op.re.matcher(out).replaceAll(() => {
        tally.add(op.type);
        return marker(op.type);
      });
    }
    if (scanEmails && out.includes('@')) {
      out = out.replace(EMAIL_REGEX, (email) => {
        tally.add('email');
        return pii.email(email);
      });
    }
    return out;
  }

  /**
   * `name=value` pairs in free text whose name is secret. A pair whose name is harmless is
   * stepped over by its name only, so `url=https://x/cb?code=…` still reaches `code`.
   */
  function namedValuesPass(input: string, tally: RedactionTally): string {
    let out = '';
    let copied = 0;
    NAME_SEP.lastIndex = 0;
    for (let m = NAME_SEP.exec(input); m; m = NAME_SEP.exec(input)) {
      if (!names.isSecretParam(m[1]!)) continue;
      const at = NAME_SEP.lastIndex;
      QUOTED_VALUE.lastIndex = at;
      const quoted = QUOTED_VALUE.exec(input);
      BARE_VALUE.lastIndex = at;
      const bare = quoted ? null : BARE_VALUE.exec(input);
      const end = quoted ? QUOTED_VALUE.lastIndex : bare ? BARE_VALUE.lastIndex : at;
      if (end === at || input.startsWith('[REDACTED:', quoted ? at + quoted[1]!.length : at)) continue;
      tally.add('generic_secret');
      out += input.slice(copied, at) + (quoted ? quoted[1]! : '') + marker('generic_secret');
      copied = end;
      NAME_SEP.lastIndex = end;
    }
    return copied === 0 ? input : out + input.slice(copied);
  }

  /** True when some decoding of this token (URL, double URL, base64) holds a secret. */
  function hidesSecret(token: string, depth: number): boolean {
    let level = token;
    for (let i = 0; i < MAX_DECODE_LEVELS && level.includes('%'); i++) {
      const next = safeDecode(level);
      if (next === level) break;
      level = next;
      if (scan(level, new RedactionTally(), depth + 1) !== level) return true;
    }
    return false;
  }

  function unwrapPass(input: string, tally: RedactionTally, depth: number): string {
    let out = input;
    if (out.includes('%')) {
      out = out.replace(TOKEN_RUN, (token) => {
        if (!token.includes('%') || !hidesSecret(token, depth)) return token;
        tally.add('encoded');
        return marker('encoded');
      });
    }
    if (BASE64_CANDIDATE.test(out) && HAS_LOWER.test(out) && HAS_UPPER.test(out)) {
      out = out.replace(BASE64_RUN, (run) => {
        if (!/[a-z]/.test(run) || !/[A-Z]/.test(run)) return run; // hex, UUIDs, words: not base64 of text
        const text = base64Text(run);
        if (text === undefined || scan(text, new RedactionTally(), depth + 1) === text) return run;
        tally.add('encoded');
        return marker('encoded');
      });
    }
    return out;
  }

  function scan(input: string, tally: RedactionTally, depth: number): string {
    const out = patternsPass(input, tally);
    return encoded && depth < 2 ? unwrapPass(out, tally, depth) : out;
  }

  /** Replaces every recognised credential (and PII per policy) in free text. */
  function text(input: string, tally: RedactionTally): string {
    if (!input) return input;
    if (shortCircuit && input.length <= 512) {
      // A short plain token (`v1`, `orders`, `42`) holds no built-in shape: the shortest, an
      // SSN, is 11 characters and the rest need `=`, `:`, `@` or length. Hex ids, UUIDs, trace
      // ids and IPv4 lists hold none but a digit run (a card number is all digits): one check
      // instead of a scan, and no cache slot for a unique id.
      if (plainShape(input) !== 0) return input;
    }
    const cacheable = input.length <= CLEAN_VALUE_MAX_CHARS;
    if (cacheable && knownClean(input)) return input;
    const before = tally.total;
    const out = scan(input.length > MAX_SCAN_CHARS ? input.slice(0, MAX_SCAN_CHARS) : input, tally, 0);
    if (cacheable && out === input && tally.total === before) rememberClean(input);
    return out;
  }

  /** `a=1&token=x` (also a fragment or a form body): secret parameters lose their value, others are scanned. */
  function query(q: string, tally: RedactionTally): string {
    if (!q) return q;
    // copy on write: most query strings hold nothing, and then no new string is built
    let out: string | undefined;
    let start = 0;
    while (start <= q.length) {
      let end = q.indexOf('&', start);
      if (end < 0) end = q.length;
      const pair = q.slice(start, end);
      const replaced = queryPair(pair, tally);
      if (replaced !== pair && out === undefined) out = q.slice(0, Math.max(0, start - 1));
      if (out !== undefined) out += (start > 0 ? '&' : '') + replaced;
      start = end + 1;
    }
    return out ?? q;
  }

  function queryPair(pair: string, tally: RedactionTally): string {
    const eq = pair.indexOf('=');
    if (eq < 0) return text(pair, tally);
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (value && secretParams && names.isSecretParam(name)) {
      tally.add('param');
      return `${name}=${PARAM_MARKER}`;
    }
    const n = text(name, tally);
    const v = text(value, tally);
    return n === name && v === value ? pair : `${n}=${v}`;
  }

  /** Path segments after which the next segment is a credential (`/reset/<token>`, `/key/<api-key>`). */
  const PATH_SECRET_PREFIXES = new Set([
    'reset', 'reset-password', 'reset_password', 'password-reset', 'token', 'tokens', 'key', 'keys', 'apikey', 'api-key', 'apikeys', 'api-keys',
    'secret', 'secrets', 'verify', 'verification', 'confirm', 'activate', 'activation', 'invite', 'invitation', 'magic', 'magic-link', 'unsubscribe',
    'session', 'sessions', 'password', 'passwords', 'signin', 'login', 'auth', 'otp', 'share', 'download-token', 'webhook', 'webhooks', 'hooks',
  ]);

  function isPathToken(prev: string, seg: string): boolean {
    if (!PATH_SECRET_PREFIXES.has(prev) && !(HAS_UPPER.test(prev) && PATH_SECRET_PREFIXES.has(prev.toLowerCase()))) return false;
    if (!/^[A-Za-z0-9._~%+=-]+$/.test(seg)) return false;
    // `/keys/primary` and `/reset/confirm` stay; a long value or a mixed one is a credential
    return seg.length >= 16 || (seg.length >= 8 && /\d/.test(seg) && /[A-Za-z]/.test(seg));
  }

  /** A URL path: credential-shaped segments and segments after `/reset/`, `/key/`… are replaced. */
  function path(p: string, tally: RedactionTally): string {
    if (!p) return p;
    let out: string | undefined;
    let prev = '';
    let start = 0;
    while (start <= p.length) {
      let end = p.indexOf('/', start);
      if (end < 0) end = p.length;
      const seg = p.slice(start, end);
      const replaced = seg ? pathSegment(prev, seg, tally) : seg;
      if (replaced !== seg && out === undefined) out = p.slice(0, Math.max(0, start - 1));
      if (out !== undefined) out += (start > 0 ? '/' : '') + replaced;
      prev = seg;
      start = end + 1;
    }
    return out ?? p;
  }

  function pathSegment(prev: string, seg: string, tally: RedactionTally): string {
    if (pathTokens && prev && isPathToken(prev, seg)) {
      tally.add('path_token');
      return PATH_TOKEN_MARKER;
    }
    // `;jsessionid=…` matrix parameters carry sessions
    const semi = seg.indexOf(';');
    if (semi <= 0) return text(seg, tally);
    return `${text(seg.slice(0, semi), tally)};${query(seg.slice(semi + 1).replace(/;/g, '&'), tally).replace(/&/g, ';')}`;
  }

  /** A full or relative URL: userinfo, path, query and fragment (OAuth implicit flow puts tokens there). */
  function url(u: string, tally: RedactionTally): string {
    if (!u) return u;
    const hash = u.indexOf('#');
    const frag = hash >= 0 ? u.slice(hash + 1) : undefined;
    const beforeHash = hash >= 0 ? u.slice(0, hash) : u;
    const qm = beforeHash.indexOf('?');
    const q = qm >= 0 ? beforeHash.slice(qm + 1) : undefined;
    const base = qm >= 0 ? beforeHash.slice(0, qm) : beforeHash;
    const scheme = /^[a-z][a-z0-9+.-]{1,20}:\/\/[^/]*/i.exec(base);
    const origin = scheme ? text(scheme[0], tally) : '';
    const pathIn = scheme ? base.slice(scheme[0].length) : base;
    const pathOut = path(pathIn, tally);
    const qOut = q !== undefined ? query(q, tally) : undefined;
    const fragOut = frag !== undefined ? query(frag, tally) : undefined;
    // copy on write: most URLs hold nothing, and then the same string goes on
    if (origin === (scheme ? scheme[0] : '') && pathOut === pathIn && qOut === q && fragOut === frag) return u;
    return origin + pathOut + (qOut !== undefined ? '?' + qOut : '') + (fragOut !== undefined ? '#' + fragOut : '');
  }

  function authorizationValue(value: string, tally: RedactionTally): string {
    tally.add('authorization');
    const scheme = /^([A-Za-z][A-Za-z0-9._-]{0,40}) +\S/.exec(value);
    return scheme ? `${scheme[1]} ${marker('authorization')}` : marker('authorization');
  }

  /** Cookie names stay (which session cookie was sent is evidence), every value goes. */
  function cookieValue(name: string, value: string, tally: RedactionTally): string {
    if (name === 'set-cookie') return setCookieValue(value, tally);
    let out = '';
    // `a=1; b=2`: walked with indexOf, no array of parts
    for (let from = 0, i = 0; from <= value.length && i < 64; i++) {
      let end = value.indexOf(';', from);
      if (end < 0) end = value.length;
      let start = from;
      from = end + 1;
      while (value.charCodeAt(start) === 32) start++;
      if (start >= end) continue; // an empty `;;` segment
      tally.add('cookie');
      const eq = value.indexOf('=', start);
      const cookie = eq > start && eq < end ? value.slice(start, eq) : '';
      const pair = eq < start || eq >= end ? COOKIE_MARKER : `${COOKIE_NAME.test(cookie) ? cookie : text(cookie, tally)}=${COOKIE_MARKER}`;
      out = out ? `${out}; ${pair}` : pair;
    }
    return out;
  }

  /** `sid=…; Path=/; HttpOnly`: the first pair is the cookie, the attributes after it are not secrets. */
  function setCookieValue(value: string, tally: RedactionTally): string {
    const semi = value.indexOf(';');
    const pair = semi >= 0 ? value.slice(0, semi) : value;
    const eq = pair.indexOf('=');
    tally.add('cookie');
    const head = eq > 0 ? `${text(pair.slice(0, eq).trim(), tally)}=${COOKIE_MARKER}` : COOKIE_MARKER;
    return semi >= 0 ? `${head};${text(value.slice(semi + 1), tally)}` : head;
  }

  /** Every IPv4 or IPv6 address in a string, per the client-IP policy. */
  function addresses(s: string): string {
    return s.replace(ADDRESS_LIKE, (tok) => {
      if (isIP(tok)) return pii.ip(tok);
      const port = tok.lastIndexOf(':'); // 203.0.113.9:51234
      return port > 0 && isIPv4(tok.slice(0, port)) ? pii.ip(tok.slice(0, port)) + tok.slice(port) : tok;
    });
  }

  type HeaderKind = 'authorization' | 'cookie' | 'secret' | 'address' | 'url' | 'plain' | 'drop';
  interface HeaderInfo {
    kind: HeaderKind;
    /** a plain name (`x-request-id`) holds no credential shape and is stored as it is */
    plainName: boolean;
  }
  const dropHeaders = new Set(opts.dropHeaders ?? []);
  // header names repeat all day: classify each once
  const headerInfos = new Map<string, HeaderInfo>();
  function headerInfo(name: string): HeaderInfo {
    let info = headerInfos.get(name);
    if (info === undefined) {
      const n = name.toLowerCase();
      const kind: HeaderKind =
        dropHeaders.has(n) ? 'drop'
        : AUTHORIZATION_HEADERS.has(n) && enabled('authorization') ? 'authorization'
        : COOKIE_HEADERS.has(n) && enabled('cookie') ? 'cookie'
        : names.isSecretHeader(n) && enabled('header') ? 'secret'
        : IP_HEADERS.has(n) && policy.clientIp !== 'keep' ? 'address'
        : URL_HEADERS.has(n) ? 'url'
        : 'plain';
      info = { kind, plainName: HEADER_NAME.test(name) };
      if (headerInfos.size < 10_000) headerInfos.set(name, info);
    }
    return info;
  }

  /** One request header value as it may be stored. */
  function header(name: string, value: string, tally: RedactionTally): string {
    if (!value) return value;
    switch (headerInfo(name).kind) {
      case 'authorization':
        return authorizationValue(value, tally);
      case 'cookie':
        return cookieValue(name.toLowerCase(), value, tally);
      case 'secret':
        tally.add('header');
        return marker('header');
      case 'address':
        return text(addresses(value), tally);
      case 'url':
        return url(value, tally);
      case 'drop':
      case 'plain':
        return text(value, tally);
    }
  }

  /** Headers to store: bounded in number and length, names kept, values redacted; `dropHeaders` left out. */
  function headers(input: Record<string, string>, tally: RedactionTally): Record<string, string> {
    const out: Record<string, string> = {};
    let n = 0;
    for (const name in input) {
      const value = input[name];
      if (!value) continue;
      const info = headerInfo(name);
      if (info.kind === 'drop') continue;
      if (n++ >= MAX_HEADERS) break;
      const key = info.plainName ? name : text(name.length > 128 ? name.slice(0, 128) : name, tally);
      out[key] = header(name, value.length > MAX_HEADER_VALUE ? value.slice(0, MAX_HEADER_VALUE) : value, tally);
    }
    return out;
  }

  /** For a pipeline that does not store headers: counts the secret ones, returns none. */
  function countSecretHeaders(input: Record<string, string>, tally: RedactionTally): Record<string, string> {
    for (const name in input) {
      if (!input[name]) continue;
      const kind = headerInfo(name).kind;
      if (kind === 'authorization') tally.add(kind);
      else if (kind === 'cookie') tally.add(kind, input[name].split(';').filter((c) => c.trim()).length);
      else if (kind === 'secret') tally.add('header');
    }
    return {};
  }

  /**
   * A raw record that could not be parsed (for the dead-letter store): JSON string values
   * under secret-sounding keys, `name=value` pairs with secret names, `Authorization:`-style
   * header lines, then every credential pattern. Under a policy that hashes principals, first
   * the principals: `knownPrincipals` (what the pipeline found in the record) and the values
   * of principal fields (principal-fields.ts) become their pseudonyms.
   */
  function raw(input: string, tally: RedactionTally, knownPrincipals: string[] = []): string {
    let out = input.length > MAX_SCAN_CHARS ? input.slice(0, MAX_SCAN_CHARS) : input;
    if (principals) out = principals(out, knownPrincipals);
    const secretField = (m: string, head: string, key: string) => {
      if (!names.isSecretHeader(key) && !names.isSecretParam(key)) return m;
      const k = key.toLowerCase();
      const type = AUTHORIZATION_HEADERS.has(k) ? 'authorization' : COOKIE_HEADERS.has(k) ? 'cookie' : 'field';
      tally.add(type);
      return `${head}${marker(type)}`;
    };
    // JSON string values, then the same inside a JSON string (`"{\\"token\\":\\"…\\"}"`)
    out = out.replace(/("([A-Za-z0-9_.-]{1,64})"\s{0,3}:\s{0,3}")(?:[^"\\]|\\.){0,65536}/g, secretField);
    out = out.replace(/(\\"([A-Za-z0-9_.-]{1,64})\\"\s{0,3}:\s{0,3}\\")(?:[^"\\]|\\[^"]){0,65536}/g, secretField);
    out = out.replace(/([?&;#\s]([A-Za-z0-9_.%[\]-]{1,64})=)([^&\s"';#]{1,4096})/g, (m, head: string, key: string) => {
      if (!names.isSecretParam(key)) return m;
      tally.add('param');
      return `${head}${marker('param')}`;
    });
    // URL paths in free text (a request line, a log message): the same rules as a stored path
    out = out.replace(URL_IN_TEXT, (u) => url(u, tally));
    out = text(out, tally);
    return policy.clientIp !== 'keep' ? addresses(out) : out;
  }

  return {
    text, query, path, url, header, headers, countSecretHeaders, raw,
    isSecretHeader: names.isSecretHeader,
    isSecretParam: names.isSecretParam,
    /** client addresses and principal ids as the PII policy wants them stored */
    pii,
  };
}

export type Redactor = ReturnType<typeof createRedactor>;

/** Operator patterns run on RE2 (linear time); a pattern RE2 cannot compile is a config error. */
export function compileOperatorPattern(source: string): RE2JS {
  return RE2JS.compile(source);
}
