/**
 * Redaction: the one place secrets are removed from a record, before anything is stored,
 * dead-lettered or logged. Pure: no I/O, no clock. A secret is replaced by a typed marker
 * `[REDACTED:type]`, never truncated; each replacement is counted per type so that an
 * operator can see what was caught.
 */
import { SECRET_PATTERNS, type SecretPattern } from './secret-patterns.js';

export const SECRET_HEADER_WORDS = ['authorization', 'cookie', 'token', 'secret', 'key', 'password', 'passwd', 'session', 'auth', 'signature', 'credential'];

export const SECRET_PARAM_NAMES = [
  'password', 'passwd', 'pwd', 'pass', 'secret', 'token', 'access_token', 'refresh_token', 'id_token',
  'api_key', 'apikey', 'api-key', 'key', 'signature', 'sig', 'client_secret', 'code', 'auth', 'session',
  'sessionid', 'session_id', 'jwt', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'private_key',
  'otp', 'pin', 'ssn', 'credit_card', 'card_number', 'cvv',
];

/** Path segments after which the next segment is a credential (`/reset/<token>`). */
const PATH_SECRET_PREFIXES = new Set(['reset', 'reset-password', 'token', 'tokens', 'key', 'keys', 'apikey', 'api-key', 'apikeys', 'secret', 'verify', 'confirm', 'activate', 'invite', 'magic', 'magic-link', 'unsubscribe', 'session', 'sessions', 'password']);

export interface RedactorOptions {
  extraHeaderNames?: string[];
  extraParamNames?: string[];
  extraPatterns?: Array<{ name: string; regex: string }>;
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

function safeDecode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s; // invalid percent-encoding: scan it as it is
  }
}

export function createRedactor(opts: RedactorOptions = {}) {
  const paramNames = new Set([...SECRET_PARAM_NAMES, ...(opts.extraParamNames ?? []).map((n) => n.toLowerCase())]);
  const headerWords = [...SECRET_HEADER_WORDS, ...(opts.extraHeaderNames ?? []).map((n) => n.toLowerCase())];
  const patterns: SecretPattern[] = [
    ...SECRET_PATTERNS,
    ...(opts.extraPatterns ?? []).map((p) => ({ type: p.name, regex: new RegExp(p.regex, 'g') })),
  ];

  function isSecretHeader(name: string): boolean {
    const n = name.toLowerCase();
    return headerWords.some((w) => n.includes(w));
  }

  function isSecretParam(name: string): boolean {
    const n = safeDecode(name).toLowerCase().trim();
    if (paramNames.has(n)) return true;
    // api_key, subscription-key, user_password, accessToken …: the name says what it is;
    // a harmless `sort_key` redacted is the price of never storing a real one
    return /(?:pass(?:word|wd)?|secret|token|[-_.]?key|signature|session|credentials?)$/i.test(n);
  }

  // Every built-in pattern needs one of these to match: a run of 12+ token characters, a
  // digit run with separators (cards), an SSN shape, a key block. One pass of this pre-check
  // lets the common short, plain value skip the eleven patterns. Operator patterns and
  // percent-encoded text always take the full scan.
  const mayHoldSecret = /[A-Za-z0-9+/_=.-]{12,}|\d[\d -]{11,}|\d{3}-\d{2}-\d{4}|-----BEGIN|%/;
  const fullScanAlways = (opts.extraPatterns ?? []).length > 0;

  /** Replaces every recognised credential in free text. */
  function text(input: string, tally: RedactionTally): string {
    if (!fullScanAlways && !mayHoldSecret.test(input)) return input;
    let out = input;
    for (const p of patterns) {
      p.regex.lastIndex = 0;
      if (!p.regex.test(out)) continue;
      p.regex.lastIndex = 0;
      out = out.replace(p.regex, (match: string, prefix?: unknown) => {
        if (p.verify && !p.verify(match)) return match;
        tally.add(p.type);
        // patterns with a leading capture (aws_secret_key) keep their context
        return typeof prefix === 'string' && p.type === 'aws_secret_key' ? prefix + marker(p.type) : marker(p.type);
      });
    }
    // URL-encoded secrets: decode, and if the decoded form holds one, redact the whole value
    if (out.includes('%')) {
      const decoded = safeDecode(out);
      if (decoded !== out) {
        const inner = new RedactionTally();
        text(decoded, inner);
        if (inner.total > 0) {
          for (const [t, n] of inner.byType) tally.add(t, n);
          return marker('encoded');
        }
      }
    }
    return out;
  }

  /** A query string (`a=1&token=x`): secret parameters lose their value, others are scanned. */
  function query(q: string, tally: RedactionTally): string {
    if (!q) return q;
    return q
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        const name = eq >= 0 ? pair.slice(0, eq) : pair;
        const value = eq >= 0 ? pair.slice(eq + 1) : '';
        if (eq >= 0 && value && isSecretParam(name)) {
          tally.add('param');
          return `${name}=${marker('param')}`;
        }
        return eq >= 0 ? `${name}=${text(value, tally)}` : text(pair, tally);
      })
      .join('&');
  }

  /** A URL path: credential-shaped segments and segments after `/reset/`, `/key/`… are replaced. */
  function path(p: string, tally: RedactionTally): string {
    const segments = p.split('/');
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (!seg) continue;
      const prev = (segments[i - 1] ?? '').toLowerCase();
      if (PATH_SECRET_PREFIXES.has(prev) && seg.length >= 12 && /^[A-Za-z0-9._~%+=-]+$/.test(seg) && /\d/.test(seg) && /[A-Za-z]/.test(seg)) {
        tally.add('path_token');
        segments[i] = marker('path_token');
        continue;
      }
      segments[i] = text(seg, tally);
    }
    return segments.join('/');
  }

  /** A header value: the whole value when the name says secret, else a scan. */
  function header(name: string, value: string, tally: RedactionTally): string {
    if (isSecretHeader(name)) {
      tally.add(name.toLowerCase() === 'cookie' || name.toLowerCase() === 'set-cookie' ? 'cookie' : 'header');
      return marker(name.toLowerCase() === 'cookie' ? 'cookie' : 'header');
    }
    return text(value, tally);
  }

  /**
   * A raw record that could not be parsed (for the dead-letter store): JSON string values
   * under secret-sounding keys, `name=value` pairs with secret names, `Authorization:`-style
   * header lines, then every credential pattern.
   */
  function raw(input: string, tally: RedactionTally): string {
    let out = input.replace(/("([A-Za-z0-9_.-]{1,64})"\s*:\s*")((?:[^"\\]|\\.){0,65536})"/g, (m, head: string, key: string) => {
      if (isSecretHeader(key) || isSecretParam(key)) {
        tally.add('field');
        return `${head}${marker('field')}"`;
      }
      return m;
    });
    out = out.replace(/([?&;\s]([A-Za-z0-9_.%-]{1,64})=)([^&\s"';]{1,4096})/g, (m, head: string, key: string) => {
      if (isSecretParam(key)) {
        tally.add('param');
        return `${head}${marker('param')}`;
      }
      return m;
    });
    out = out.replace(/\b((?:proxy-)?authorization|cookie|x-api-key)(\s*[:=]\s*)[^\r\n"]{1,8192}/gi, (_m, name: string, sep: string) => {
      tally.add('header');
      return `${name}${sep}${marker('header')}`;
    });
    return text(out, tally);
  }

  return { text, query, path, header, raw, isSecretHeader, isSecretParam };
}

export type Redactor = ReturnType<typeof createRedactor>;
