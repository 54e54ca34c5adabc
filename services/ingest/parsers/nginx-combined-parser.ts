/**
 * NGINX `combined` text format (also Apache's), optionally followed by the two fields most
 * deployments append: "$http_x_forwarded_for" and $request_time.
 *   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
 *   "$http_referer" "$http_user_agent" ["$http_x_forwarded_for"] [$request_time]
 * NGINX writes a `"` inside a value as \x22; Apache writes \". Both are read back.
 */
import type { ParsedRecord } from '../../../schemas/event-schema.js';
import { FieldError } from './parse-result.js';
import { num, splitTarget, status, str, timestamp } from './field-readers.js';

// Quoted fields are `"(?:[^"\\]|\\.)*"`: each character is matched by exactly one branch, so
// the match is linear in the line length (no catastrophic backtracking on hostile input).
const Q = '"((?:[^"\\\\]|\\\\.)*)"';
const LINE = new RegExp(
  `^(\\S+) \\S+ (\\S+) \\[([^\\]]{1,64})\\] ${Q} (\\d{1,3}) (\\d+|-) ${Q} ${Q}(?: ${Q})?(?: (\\d+(?:\\.\\d+)?|-))?\\s*$`,
);

export function looksLikeNginxCombined(line: string): boolean {
  return /^\S+ \S+ \S+ \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:/.test(line);
}

const utf8 = new TextDecoder('utf-8');

/**
 * NGINX escapes `"`, `\\` and every byte outside printable ASCII as \xHH, so a UTF-8 user agent
 * or path arrives as a run of escaped bytes: they are put back together as bytes and read as
 * UTF-8 (a byte that is not valid UTF-8 becomes U+FFFD), never as one character per byte.
 */
function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  if (!/\\x[89a-fA-F][0-9a-fA-F]/.test(s)) {
    return s.replace(/\\x([0-9a-fA-F]{2})|\\(["\\])/g, (_, hex: string | undefined, ch: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : ch!));
  }
  const bytes: number[] = [];
  const text = Buffer.from(s, 'utf8');
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b === 0x5c && text[i + 1] === 0x78 && i + 3 < text.length + 1 && /^[0-9a-fA-F]{2}$/.test(String.fromCharCode(text[i + 2] ?? 0, text[i + 3] ?? 0))) {
      bytes.push(parseInt(String.fromCharCode(text[i + 2]!, text[i + 3]!), 16));
      i += 3;
    } else if (b === 0x5c && (text[i + 1] === 0x22 || text[i + 1] === 0x5c)) {
      bytes.push(text[i + 1]!);
      i += 1;
    } else bytes.push(b);
  }
  return utf8.decode(Uint8Array.from(bytes));
}

export function parseNginxCombined(line: string): ParsedRecord {
  const m = LINE.exec(line);
  if (!m) throw new FieldError('invalid_field', 'line does not match the NGINX combined format');
  const [, remoteAddr, remoteUser, timeLocal, request, st, bytes, referer, ua, xff, requestTime] = m;
  const req = unescape(request!);
  // "$request" is `METHOD target PROTOCOL`; a malformed request line (scanners send garbage)
  // is kept with what can be read, since that is exactly the traffic worth storing.
  const parts = req.split(' ');
  const method = parts.length >= 2 && /^[A-Z]{1,16}$/.test(parts[0]!) ? parts[0]! : '';
  const target = method ? parts[1]! : '';
  const { path, query } = splitTarget(target || '/');
  const user = str(remoteUser);
  return {
    eventTimeMs: timestamp(timeLocal, 'time_local'),
    gateway: 'nginx',
    requestId: '',
    method,
    host: '',
    path,
    query,
    status: status(st),
    latencyMs: requestTime ? num(requestTime, 'request_time') * 1000 : 0,
    bytesIn: 0,
    bytesOut: num(bytes, 'body_bytes_sent'),
    peerIp: remoteAddr!,
    forwardedFor: str(unescape(xff ?? '')),
    userAgent: str(unescape(ua!)),
    // the Referer is a URL and often carries tokens: it is stored, redacted like any URL
    headers: referer && referer !== '-' ? { referer: unescape(referer) } : {},
    ...(user ? { gatewayPrincipal: { type: 'basic' as const, id: unescape(user) } } : {}),
  };
}
