/**
 * Envoy access logs: the default text format and JSON (`json_format`, with the keys Istio
 * and Envoy's docs use).
 *
 * Default text format:
 *   [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
 *   %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
 *   %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
 *   "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"
 * It has no downstream address: with use_remote_address Envoy appends the peer it saw to
 * X-Forwarded-For, so the last hop of that header is the peer.
 */
import type { ParsedRecord } from '../../../schemas/event-schema.js';
import { FieldError, type JsonObject } from './parse-result.js';
import { firstOf, hostOnly, num, splitTarget, status, str, timestamp } from './field-readers.js';

const Q = '"([^"]*)"';
const TEXT = new RegExp(
  `^\\[([^\\]]{1,64})\\] ${Q} (\\d{1,3}) (\\S+) (\\d+|-) (\\d+|-) (\\d+|-) (\\d+|-) ${Q} ${Q} ${Q} ${Q} ${Q}\\s*$`,
);

export function looksLikeEnvoyText(line: string): boolean {
  return /^\[\d{4}-\d{2}-\d{2}T[^\]]*\] "/.test(line);
}

function peerFromForwarded(xff: string): { peerIp: string; forwardedFor: string } {
  const hops = xff.split(',').map((h) => h.trim()).filter(Boolean);
  const peer = hops.pop() ?? '';
  return { peerIp: peer, forwardedFor: hops.join(', ') };
}

export function parseEnvoyText(line: string): ParsedRecord {
  const m = TEXT.exec(line);
  if (!m) throw new FieldError('invalid_field', 'line does not match the Envoy default format');
  const [, start, request, code, , received, sent, duration, , xff, ua, reqId, authority] = m;
  const [method = '', target = '/'] = request!.split(' ');
  const { path, query } = splitTarget(target);
  return {
    eventTimeMs: timestamp(start, 'START_TIME'),
    gateway: 'envoy',
    requestId: str(reqId),
    method: str(method).toUpperCase(),
    host: str(authority).toLowerCase(),
    path,
    query,
    status: status(code),
    latencyMs: num(duration, 'DURATION'),
    bytesIn: num(received, 'BYTES_RECEIVED'),
    bytesOut: num(sent, 'BYTES_SENT'),
    ...peerFromForwarded(str(xff)),
    userAgent: str(ua),
    headers: {},
  };
}

export function looksLikeEnvoyJson(o: JsonObject): boolean {
  return 'start_time' in o && 'response_code' in o && ('method' in o || 'path' in o);
}

export function parseEnvoyJson(o: JsonObject): ParsedRecord {
  const target = str(firstOf(o, ['x_envoy_original_path', 'path']));
  if (!target) throw new FieldError('missing_field', 'path is missing');
  const { path, query } = splitTarget(target);
  const remote = str(firstOf(o, ['downstream_remote_address', 'downstream_direct_remote_address']));
  const xff = str(o.x_forwarded_for);
  const peer = remote ? { peerIp: hostOnly(remote), forwardedFor: xff } : peerFromForwarded(xff);
  const headers: Record<string, string> = {};
  const auth = str(firstOf(o, ['authorization', 'req_authorization']));
  if (auth) headers.authorization = auth;
  return {
    eventTimeMs: timestamp(o.start_time, 'start_time'),
    gateway: 'envoy',
    requestId: str(o.request_id),
    method: str(o.method).toUpperCase(),
    host: str(firstOf(o, ['authority', 'host'])).toLowerCase(),
    path,
    query,
    status: status(o.response_code, 'response_code'),
    latencyMs: num(o.duration, 'duration'),
    bytesIn: num(o.bytes_received, 'bytes_received'),
    bytesOut: num(o.bytes_sent, 'bytes_sent'),
    ...peer,
    userAgent: str(o.user_agent),
    headers,
  };
}
