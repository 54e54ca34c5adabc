/**
 * Any JSON access log, read through a field mapping (normalized name → dotted path). The
 * default mapping knows the usual names; `ingest.genericFields` replaces any of them.
 */
import type { ParsedRecord } from '../../../schemas/event-schema.js';
import { FieldError, type JsonObject } from './parse-result.js';
import { firstOf, headerMap, hostOnly, num, splitTarget, status, str, timestamp } from './field-readers.js';

export const GENERIC_DEFAULT_FIELDS: Record<string, string[]> = {
  time: ['timestamp', '@timestamp', 'time', 'ts', 'date', 'datetime', 'event_time'],
  method: ['method', 'http.method', 'request.method', 'http_method', 'verb'],
  url: ['url', 'uri', 'path', 'request.url', 'request.path', 'http.url', 'http.target', 'request_uri'],
  query: ['query', 'querystring', 'query_string', 'request.query'],
  status: ['status', 'status_code', 'statusCode', 'http.status_code', 'response.status', 'response_code', 'code'],
  latency_ms: ['latency_ms', 'duration_ms', 'response_time_ms', 'elapsed_ms', 'latency', 'duration'],
  bytes_in: ['bytes_in', 'request_size', 'request.size', 'request_bytes'],
  bytes_out: ['bytes_out', 'bytes', 'response_size', 'response.size', 'body_bytes_sent', 'response_bytes'],
  client_ip: ['client_ip', 'clientIp', 'ip', 'remote_addr', 'remote_ip', 'source_ip', 'src_ip', 'client.ip'],
  forwarded_for: ['x_forwarded_for', 'forwarded_for', 'headers.x-forwarded-for'],
  user_agent: ['user_agent', 'userAgent', 'ua', 'http.user_agent', 'headers.user-agent'],
  host: ['host', 'hostname', 'http.host', 'request.host', 'headers.host'],
  request_id: ['request_id', 'requestId', 'trace_id', 'id'],
  gateway: ['gateway', 'source', 'service'],
  principal: ['user', 'username', 'principal', 'consumer', 'user_id', 'subject'],
  headers: ['headers', 'request.headers', 'request_headers'],
};

export function makeGenericJsonParser(overrides: Record<string, string> = {}) {
  const fields: Record<string, string[]> = { ...GENERIC_DEFAULT_FIELDS };
  for (const [k, v] of Object.entries(overrides)) fields[k] = [v];
  const get = (o: JsonObject, k: string) => firstOf(o, fields[k] ?? []);

  return {
    /** enough to call it an access log: a time, and a method or URL, and a status */
    matches(o: JsonObject): boolean {
      return get(o, 'time') !== undefined && (get(o, 'method') !== undefined || get(o, 'url') !== undefined) && get(o, 'status') !== undefined;
    },
    parse(o: JsonObject): ParsedRecord {
      const target = str(get(o, 'url'));
      if (!target) throw new FieldError('missing_field', `no URL or path under ${(fields.url ?? []).join(', ')}`);
      const { path, query } = splitTarget(target);
      const headers = headerMap(get(o, 'headers'));
      const principal = str(get(o, 'principal'));
      return {
        eventTimeMs: timestamp(get(o, 'time'), 'time'),
        gateway: str(get(o, 'gateway')) || 'generic',
        requestId: str(get(o, 'request_id')),
        method: str(get(o, 'method')).toUpperCase(),
        host: str(get(o, 'host')).toLowerCase(),
        path,
        query: query || str(get(o, 'query')),
        status: status(get(o, 'status')),
        latencyMs: num(get(o, 'latency_ms'), 'latency_ms'),
        bytesIn: num(get(o, 'bytes_in'), 'bytes_in'),
        bytesOut: num(get(o, 'bytes_out'), 'bytes_out'),
        peerIp: hostOnly(str(get(o, 'client_ip'))),
        forwardedFor: str(get(o, 'forwarded_for')) || (headers['x-forwarded-for'] ?? ''),
        userAgent: str(get(o, 'user_agent')) || (headers['user-agent'] ?? ''),
        headers,
        ...(principal ? { gatewayPrincipal: { type: 'consumer' as const, id: principal } } : {}),
      };
    },
  };
}
