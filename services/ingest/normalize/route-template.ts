/**
 * Folds the variable parts of a path into placeholders so that `/users/42/orders/9f1c…` and
 * `/users/7/orders/0b3e…` count as one route, `/users/{id}/orders/{uuid}`: numbers, UUIDs,
 * hex hashes and long opaque tokens. Redaction markers already in the path become {token}.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^\d+$/;
const HEX = /^[0-9a-f]{16,}$/i;
const OPAQUE = /^[A-Za-z0-9_-]{20,}$/;
const MAX_SEGMENTS = 32;

/**
 * A segment that none of the patterns can match: shorter than a hash (16), starting with a
 * letter, without a digit. Most segments of real paths (`users`, `orders`, `login`) are such
 * words; this scan spares them the regular expressions.
 */
function plainWord(s: string): boolean {
  if (s.length >= 16) return false;
  const c0 = s.charCodeAt(0) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) return false;
  }
  return true;
}

export function routeTemplate(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length && i < MAX_SEGMENTS; i++) {
    const s = segments[i]!;
    if (s === '') out.push('');
    else if (plainWord(s)) out.push(s);
    else if (s.startsWith('[REDACTED')) out.push('{token}');
    else if (NUMBER.test(s)) out.push('{id}');
    else if (UUID.test(s)) out.push('{uuid}');
    else if (HEX.test(s)) out.push('{hash}');
    else if (OPAQUE.test(s) && /\d/.test(s) && /[A-Za-z]/.test(s)) out.push('{token}');
    else if (/^\d[\d.,:-]*$/.test(s)) out.push('{id}'); // dates, versions like 2024-01-02
    else out.push(s.length > 64 ? '{long}' : s);
  }
  if (segments.length > MAX_SEGMENTS) out.push('{…}');
  const r = out.join('/');
  return r === '' ? '/' : r;
}
