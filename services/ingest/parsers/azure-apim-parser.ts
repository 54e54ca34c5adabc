/**
 * Azure API Management `GatewayLogs` diagnostic records, as Azure Monitor streams them to
 * Event Hubs: `{"records":[{…},…]}` (the wrapper is unpacked by the dispatcher), each record
 * with top-level time, callerIpAddress, durationMs and a `properties` object.
 */
import type { ParsedRecord } from '../../../schemas/event-schema.js';
import { FieldError, isObject, type JsonObject } from './parse-result.js';
import { hostOfUrl, num, splitTarget, status, str, timestamp } from './field-readers.js';

export function looksLikeAzureApim(o: JsonObject): boolean {
  return o.category === 'GatewayLogs' || /GatewayLogs$/i.test(str(o.operationName));
}

export function parseAzureApim(o: JsonObject): ParsedRecord {
  const p = isObject(o.properties) ? o.properties : undefined;
  if (!p) throw new FieldError('missing_field', 'properties is missing');
  const url = str(p.url);
  if (!url) throw new FieldError('missing_field', 'properties.url is missing');
  const { path, query } = splitTarget(url);
  const resource = str(o.resourceId);
  const service = /\/SERVICE\/([^/]+)/i.exec(resource)?.[1]?.toLowerCase();
  const subscription = str(p.apimSubscriptionId);
  const userId = str(p.userId);
  const principal = userId && userId !== '1' ? userId : subscription;
  const headers: Record<string, string> = {};
  if (isObject(p.requestHeaders)) for (const [k, v] of Object.entries(p.requestHeaders)) headers[k.toLowerCase()] = str(v);
  return {
    eventTimeMs: timestamp(o.time, 'time'),
    gateway: service ? `azure-apim/${service}` : 'azure-apim',
    requestId: str(o.correlationId),
    method: str(p.method).toUpperCase(),
    host: hostOfUrl(url),
    path,
    query,
    status: status(p.responseCode, 'properties.responseCode'),
    latencyMs: num(o.durationMs, 'durationMs'),
    bytesIn: num(p.requestSize, 'properties.requestSize'),
    bytesOut: num(p.responseSize, 'properties.responseSize'),
    peerIp: str(o.callerIpAddress),
    forwardedFor: headers['x-forwarded-for'] ?? '',
    userAgent: headers['user-agent'] ?? '',
    headers,
    ...(principal ? { gatewayPrincipal: { type: 'consumer' as const, id: principal } } : {}),
  };
}
