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

export function routeTemplate(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length && i < MAX_SEGMENTS; i++) {
    const s = segments[i]!;
    if (s === '') out.push('');
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
