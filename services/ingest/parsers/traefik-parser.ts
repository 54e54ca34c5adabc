/**
 * Traefik access log in JSON (`accessLog.format=json`). Durations are nanoseconds. Request
 * headers appear as `request_<Name>` when `accessLog.fields.headers` keeps them.
 */
import type { ParsedRecord } from '../../../schemas/event-schema.js';
import { FieldError, type JsonObject } from './parse-result.js';
import { num, splitTarget, status, str, timestamp } from './field-readers.js';

export function looksLikeTraefik(o: JsonObject): boolean {
  return 'RequestMethod' in o && ('DownstreamStatus' in o || 'OriginStatus' in o) && ('StartUTC' in o || 'StartLocal' in o);
}

export function parseTraefik(o: JsonObject): ParsedRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('request_')) headers[k.slice('request_'.length).toLowerCase()] = str(v);
  }
  const target = str(o.RequestPath);
  if (!target) throw new FieldError('missing_field', 'RequestPath is missing');
  const { path, query } = splitTarget(target);
  const user = str(o.ClientUsername);
  return {
    eventTimeMs: timestamp(o.StartUTC ?? o.StartLocal, 'StartUTC'),
    gateway: str(o.entryPointName) ? `traefik/${str(o.entryPointName)}` : 'traefik',
    requestId: headers['x-request-id'] ?? '',
    method: str(o.RequestMethod).toUpperCase(),
    host: str(o.RequestHost).toLowerCase(),
    path,
    query,
    status: status(o.DownstreamStatus ?? o.OriginStatus, 'DownstreamStatus'),
    latencyMs: num(o.Duration, 'Duration') / 1e6,
    bytesIn: num(o.RequestContentSize, 'RequestContentSize'),
    bytesOut: num(o.DownstreamContentSize, 'DownstreamContentSize'),
    peerIp: str(o.ClientHost),
    forwardedFor: headers['x-forwarded-for'] ?? '',
    userAgent: headers['user-agent'] ?? '',
    headers,
    ...(user ? { gatewayPrincipal: { type: 'basic' as const, id: user } } : {}),
  };
}
