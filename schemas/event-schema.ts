/**
 * The normalized gateway event: every parser produces it, the pipeline redacts and enriches
 * it, and the ClickHouse `events` table stores it column for column. Defined once here; the
 * TypeScript type and the JSON Schema (for docs and the API) both come from this definition.
 */
import { Type, type Static } from '@sinclair/typebox';

export const PRINCIPAL_TYPES = ['jwt_sub', 'api_key', 'basic', 'consumer', 'anonymous'] as const;
export const AUTH_OUTCOMES = ['success', 'failure', 'none', 'unknown'] as const;

export const PrincipalSchema = Type.Object({
  type: Type.Union(PRINCIPAL_TYPES.map((t) => Type.Literal(t))),
  id: Type.String({ description: 'readable id, or a keyed HMAC fingerprint (fp:…) for secrets such as API keys' }),
});

export const NormalizedEventSchema = Type.Object(
  {
    event_time: Type.String({ format: 'date-time', description: 'when the gateway served the request (UTC, ms)' }),
    gateway: Type.String({ description: 'log source: gateway instance or service name' }),
    source_format: Type.String(),
    request_id: Type.String(),
    method: Type.String(),
    host: Type.String(),
    path: Type.String({ description: 'URL path, credentials in segments redacted' }),
    route: Type.String({ description: 'route template: ids, UUIDs and hashes folded to {id}, {uuid}, {hash}' }),
    query: Type.String({ description: 'query string with secret parameters redacted' }),
    status: Type.Integer({ minimum: 0, maximum: 999 }),
    latency_ms: Type.Number({ minimum: 0 }),
    bytes_in: Type.Integer({ minimum: 0 }),
    bytes_out: Type.Integer({ minimum: 0 }),
    client_ip: Type.String({ description: 'client address (IPv4 as ::ffff:a.b.c.d when stored)' }),
    principal: PrincipalSchema,
    auth_outcome: Type.Union(AUTH_OUTCOMES.map((t) => Type.Literal(t))),
    user_agent: Type.String(),
    headers: Type.Record(Type.String(), Type.String(), {
      description: 'request headers as logged by the gateway, redacted: a secret header keeps its name, its value becomes [REDACTED:type]',
    }),
    country: Type.String({ description: 'ISO 3166-1 alpha-2, empty when unknown' }),
    city: Type.String(),
    lat: Type.Union([Type.Number(), Type.Null()]),
    lon: Type.Union([Type.Number(), Type.Null()]),
    asn: Type.Integer({ minimum: 0 }),
    as_org: Type.String(),
    redacted_fields: Type.Integer({ minimum: 0, description: 'how many values redaction replaced in this event' }),
  },
  { $id: 'NormalizedEvent', additionalProperties: false },
);

export type NormalizedEvent = Static<typeof NormalizedEventSchema>;
export type Principal = Static<typeof PrincipalSchema>;
export type PrincipalType = Principal['type'];
export type AuthOutcome = Static<typeof NormalizedEventSchema>['auth_outcome'];

/**
 * What a parser hands on: the normalized fields it could read, plus the raw material the
 * pipeline still needs (headers for principal extraction and redaction, the peer address and
 * X-Forwarded-For for client IP resolution). Headers never reach storage.
 */
export interface ParsedRecord {
  eventTimeMs: number;
  gateway: string;
  requestId: string;
  method: string;
  host: string;
  /** path and query as the gateway logged them, still unredacted */
  path: string;
  query: string;
  status: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
  /** the address the gateway saw the connection from */
  peerIp: string;
  /** the X-Forwarded-For value, if the gateway logged one */
  forwardedFor: string;
  userAgent: string;
  /** lower-cased request header names → values, when the gateway logs headers */
  headers: Record<string, string>;
  /** an identity the gateway itself established (Kong consumer, APIM subscription, …) */
  gatewayPrincipal?: { type: PrincipalType; id: string };
}
