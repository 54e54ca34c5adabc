/**
 * Kong `http-log` / `kafka-log` / `file-log` JSON (the same serializer for all three).
 * Kong logs every request header, so this is where Authorization, Cookie and API keys arrive;
 * they go to `headers` for principal extraction and never further.
 */
import type { ParsedRecord } from '../../../schemas/event-schema.js';
import { FieldError, isObject, type JsonObject } from './parse-result.js';
import { at, headerMap, hostOfUrl, num, splitTarget, status, str, timestamp } from './field-readers.js';

export function looksLikeKong(o: JsonObject): boolean {
  return 'started_at' in o && isObject(o.request) && ('latencies' in o || isObject(o.response));
}

export function parseKong(o: JsonObject): ParsedRecord {
  const request = o.request;
  if (!isObject(request)) throw new FieldError('missing_field', 'request is missing');
  const response = isObject(o.response) ? o.response : {};
  const headers = headerMap(request.headers);
  const url = str(request.url);
  const { path, query } = splitTarget(str(request.uri) || url || '/');
  const consumer = isObject(o.consumer) ? o.consumer : undefined;
  const consumerId = consumer ? str(consumer.username) || str(consumer.custom_id) || str(consumer.id) : '';
  const latencies = isObject(o.latencies) ? o.latencies : {};
  const service = isObject(o.service) ? o.service : {};
  return {
    eventTimeMs: timestamp(o.started_at, 'started_at'),
    gateway: str(at(o, 'workspace_name')) ? `kong/${str(at(o, 'workspace_name'))}` : 'kong',
    requestId: str(headers['x-request-id']) || str(headers['kong-request-id']) || str(response.headers && (response.headers as JsonObject)['x-kong-request-id']),
    method: str(request.method).toUpperCase(),
    host: (headers.host ?? hostOfUrl(url) ?? str(service.host)).toLowerCase(),
    path,
    query,
    status: status(response.status, 'response.status'),
    latencyMs: num(latencies.request, 'latencies.request'),
    bytesIn: num(request.size, 'request.size'),
    bytesOut: num(response.size, 'response.size'),
    peerIp: str(o.client_ip),
    forwardedFor: headers['x-forwarded-for'] ?? '',
    userAgent: headers['user-agent'] ?? '',
    headers,
    ...(consumerId ? { gatewayPrincipal: { type: 'consumer' as const, id: consumerId } } : {}),
  };
}
