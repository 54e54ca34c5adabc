/**
 * NGINX JSON access logs (`log_format … escape=json '{…}'`). NGINX has no standard JSON
 * field names, so each normalized field is looked up under the variable names people use
 * ($time_iso8601 → "time_iso8601" or "time", …); `ingest.nginxJsonFields` overrides any of them.
 */
import type { ParsedRecord } from '../../../schemas/event-schema.js';
import { FieldError, type JsonObject } from './parse-result.js';
import { firstOf, headerMap, num, splitTarget, status, str, timestamp } from './field-readers.js';

export const NGINX_JSON_DEFAULT_FIELDS: Record<string, string[]> = {
  time: ['time_iso8601', 'time_local', 'msec', 'time', 'timestamp', '@timestamp'],
  remote_addr: ['remote_addr', 'remote_ip', 'client_ip'],
  remote_user: ['remote_user'],
  request: ['request'],
  method: ['request_method', 'method'],
  uri: ['request_uri', 'uri'],
  query: ['args', 'query_string'],
  status: ['status'],
  bytes_out: ['body_bytes_sent', 'bytes_sent'],
  bytes_in: ['request_length'],
  request_time: ['request_time'],
  user_agent: ['http_user_agent', 'user_agent'],
  forwarded_for: ['http_x_forwarded_for', 'x_forwarded_for'],
  request_id: ['request_id', 'http_x_request_id'],
  host: ['host', 'http_host', 'server_name'],
  authorization: ['http_authorization'],
  api_key: ['http_x_api_key'],
  cookie: ['http_cookie'],
  referer: ['http_referer'],
  gateway: ['hostname'],
};

export function looksLikeNginxJson(o: JsonObject): boolean {
  return 'remote_addr' in o && ('request' in o || 'request_uri' in o) && ('status' in o || 'body_bytes_sent' in o);
}

export function makeNginxJsonParser(overrides: Record<string, string> = {}) {
  const fields: Record<string, string[]> = { ...NGINX_JSON_DEFAULT_FIELDS };
  for (const [k, v] of Object.entries(overrides)) fields[k] = [v];
  const get = (o: JsonObject, k: string) => firstOf(o, fields[k] ?? []);

  return function parseNginxJson(o: JsonObject): ParsedRecord {
    let method = str(get(o, 'method'));
    let target = str(get(o, 'uri'));
    const request = str(get(o, 'request'));
    if (request && (!method || !target)) {
      const parts = request.split(' ');
      method ||= parts[0] ?? '';
      target ||= parts[1] ?? '';
    }
    if (!method && !target) throw new FieldError('missing_field', 'neither request nor request_method/request_uri is present');
    const { path, query: targetQuery } = splitTarget(target || '/');
    // every `$http_<name>` variable the operator logged is a request header
    const logged: Record<string, unknown> = {};
    for (const k in o) if (k.startsWith('http_')) logged[k.slice(5).replace(/_/g, '-')] = o[k];
    const headers = headerMap({
      ...logged,
      authorization: get(o, 'authorization'),
      'x-api-key': get(o, 'api_key'),
      cookie: get(o, 'cookie'),
      referer: get(o, 'referer'),
    });
    for (const k of Object.keys(headers)) if (!headers[k]) delete headers[k];
    const user = str(get(o, 'remote_user'));
    return {
      eventTimeMs: timestamp(get(o, 'time'), 'time'),
      gateway: str(get(o, 'gateway')) || 'nginx',
      requestId: str(get(o, 'request_id')),
      method: method.toUpperCase(),
      host: str(get(o, 'host')).toLowerCase(),
      path,
      query: targetQuery || str(get(o, 'query')),
      status: status(get(o, 'status')),
      latencyMs: num(get(o, 'request_time'), 'request_time') * 1000,
      bytesIn: num(get(o, 'bytes_in'), 'request_length'),
      bytesOut: num(get(o, 'bytes_out'), 'body_bytes_sent'),
      peerIp: str(get(o, 'remote_addr')),
      forwardedFor: str(get(o, 'forwarded_for')),
      userAgent: str(get(o, 'user_agent')),
      headers,
      ...(user ? { gatewayPrincipal: { type: 'basic' as const, id: user } } : {}),
    };
  };
}
