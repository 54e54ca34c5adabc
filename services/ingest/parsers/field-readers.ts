/**
 * Small, strict readers for the loosely typed fields gateways write: numbers as strings,
 * '-' for "none", nanosecond durations, timestamps in four dialects. Each either returns a
 * clean value or throws a FieldError naming the field.
 */
import { FieldError, isObject, type JsonObject } from './parse-result.js';

const EMPTY = new Set(['', '-', 'null', 'undefined']);

export function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return EMPTY.has(v) ? '' : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** A non-negative number; '-' and missing are 0; anything else non-numeric is an error. */
export function num(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new FieldError('invalid_field', `${field} is not a non-negative number: ${v}`);
    return v;
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (EMPTY.has(t)) return 0;
    if (!/^\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) {
      throw new FieldError('invalid_field', `${field} is not a number: ${JSON.stringify(t.slice(0, 40))}`);
    }
    return Number(t);
  }
  throw new FieldError('invalid_field', `${field} has type ${typeof v}, expected a number`);
}

export function status(v: unknown, field = 'status'): number {
  const n = num(v, field);
  if (!Number.isInteger(n) || n < 100 || n > 599) {
    // 0 is what several gateways log for a client that went away before a response: keep it.
    if (n === 0) return 0;
    throw new FieldError('invalid_field', `${field} is not an HTTP status: ${JSON.stringify(v)}`);
  }
  return n;
}

/** Reads a dotted path (`a.b.c`) from an object; keys containing dots are tried whole first. */
/** dotted paths split once: the paths are the parsers' and the config's, a fixed few */
const SPLIT = new Map<string, string[]>();

export function at(obj: JsonObject, path: string): unknown {
  const whole = obj[path];
  if (whole !== undefined) return whole;
  let parts = SPLIT.get(path);
  if (!parts) SPLIT.set(path, (parts = path.split('.')));
  if (parts.length === 1) return undefined;
  let cur: unknown = obj;
  for (const part of parts) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export function firstOf(obj: JsonObject, paths: readonly string[]): unknown {
  for (const p of paths) {
    const v = at(obj, p);
    if (v !== undefined && v !== null && v !== '' && v !== '-') return v;
  }
  return undefined;
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/** `10/Oct/2000:13:55:36 -0700` (NGINX $time_local, AWS $context.requestTime). */
function parseClfTime(s: string): number | undefined {
  const m = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))? ([+-])(\d{2})(\d{2})$/.exec(s);
  if (!m) return undefined;
  const month = MONTHS[m[2]!];
  if (month === undefined) return undefined;
  const utc = Date.UTC(+m[3]!, month, +m[1]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? +m[7].padEnd(3, '0') : 0);
  const offsetMin = (+m[9]! * 60 + +m[10]!) * (m[8] === '-' ? -1 : 1);
  return utc - offsetMin * 60_000;
}

/**
 * Event time in epoch milliseconds from: ISO 8601 strings, CLF time, epoch seconds (with
 * fraction, as NGINX $msec), epoch milliseconds, epoch microseconds or nanoseconds.
 */
export function timestamp(v: unknown, field: string): number {
  let ms: number | undefined;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()))) {
    const n = Number(v);
    if (n < 1e11) ms = n * 1000; // seconds
    else if (n < 1e14) ms = n; // milliseconds
    else if (n < 1e17) ms = n / 1000; // microseconds
    else ms = n / 1e6; // nanoseconds
  } else if (typeof v === 'string') {
    const s = v.trim();
    ms = parseClfTime(s);
    if (ms === undefined && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(s)) {
      // Date.parse takes ISO 8601; a space separator and a missing zone are read as UTC.
      let iso = s.replace(' ', 'T');
      if (!/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) iso += 'Z';
      // more than millisecond precision (Traefik, Envoy, Azure write up to nanoseconds)
      iso = iso.replace(/(\.\d{3})\d+/, '$1');
      const parsed = Date.parse(iso);
      ms = Number.isNaN(parsed) ? undefined : parsed;
    }
  }
  if (ms === undefined || !Number.isFinite(ms)) {
    if (v === undefined || v === null || v === '') throw new FieldError('missing_field', `${field} is missing`);
    throw new FieldError('invalid_field', `${field} is not a timestamp: ${JSON.stringify(String(v).slice(0, 60))}`);
  }
  return Math.round(ms);
}

/** Splits `1.2.3.4:5678`, `[2001:db8::1]:443` and bare addresses into the address part. */
export function hostOnly(addr: string): string {
  const a = addr.trim();
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    return end > 0 ? a.slice(1, end) : a;
  }
  const colons = a.split(':').length - 1;
  if (colons === 1) return a.slice(0, a.indexOf(':'));
  return a;
}

/** Splits a request target (`/a/b?x=1`) or absolute URL into path and query. */
export function splitTarget(target: string): { path: string; query: string } {
  let t = target;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(t);
  if (scheme) t = t.slice(scheme[0].length) || '/';
  const hash = t.indexOf('#');
  if (hash >= 0) t = t.slice(0, hash);
  const q = t.indexOf('?');
  return q >= 0 ? { path: t.slice(0, q) || '/', query: t.slice(q + 1) } : { path: t || '/', query: '' };
}

export function hostOfUrl(url: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#:]+|\[[^\]]+\])/.exec(url);
  return m ? m[1]!.toLowerCase() : '';
}

/** Lower-cases header names; joins multi-valued headers as gateways do (comma-separated). */
export function headerMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(v)) return out;
  for (const [k, val] of Object.entries(v)) {
    if (Array.isArray(val)) out[k.toLowerCase()] = val.map((x) => str(x)).join(', ');
    else if (val !== undefined && val !== null) out[k.toLowerCase()] = str(val);
  }
  return out;
}
