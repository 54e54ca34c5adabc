/**
 * The alert record: what detectors produce, what the store
 * keeps, what the API serves and what notifications carry. One definition gives the
 * TypeScript type and the JSON Schema.
 */
import { Type, type Static } from '@sinclair/typebox';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export const ENTITY_TYPES = ['ip', 'principal', 'route', 'gateway', 'country'] as const;

/** OWASP API Security Top 10 (2023) ids the detectors map to. */
export const OWASP = {
  API1: 'API1:2023 Broken Object Level Authorization',
  API2: 'API2:2023 Broken Authentication',
  API3: 'API3:2023 Broken Object Property Level Authorization',
  API4: 'API4:2023 Unrestricted Resource Consumption',
  API5: 'API5:2023 Broken Function Level Authorization',
  API6: 'API6:2023 Unrestricted Access to Sensitive Business Flows',
  API8: 'API8:2023 Security Misconfiguration',
  API9: 'API9:2023 Improper Inventory Management',
} as const;
export type OwaspId = keyof typeof OWASP;

export const EntitySchema = Type.Object({
  type: Type.Union(ENTITY_TYPES.map((t) => Type.Literal(t))),
  value: Type.String(),
});

export const AlertSchema = Type.Object(
  {
    id: Type.String({ description: 'fingerprint of detector, entity and the first window it fired in' }),
    detector: Type.String(),
    severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
    entity: EntitySchema,
    window: Type.Object({ start: Type.String({ format: 'date-time' }), end: Type.String({ format: 'date-time' }) }, { description: 'event time' }),
    observed: Type.Number(),
    expected: Type.Number(),
    score: Type.Number({ description: 'how far from normal: robust z-score, or observed over threshold' }),
    summary: Type.String(),
    owasp: Type.String({ description: 'OWASP API Security Top 10 (2023) id' }),
    evidence: Type.Object({
      sql: Type.String({ description: 'a read-only query that reproduces the finding' }),
      rows: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'a few sample rows' }),
    }),
    detail: Type.Record(Type.String(), Type.Unknown(), { description: 'detector-specific facts (countries, speeds, counts)' }),
    status: Type.Union(ALERT_STATUSES.map((s) => Type.Literal(s))),
    windows: Type.Integer({ minimum: 1, description: 'how many windows the condition held in' }),
    first_seen: Type.String({ format: 'date-time' }),
    last_seen: Type.String({ format: 'date-time' }),
  },
  { $id: 'Alert', additionalProperties: false },
);

export type Alert = Static<typeof AlertSchema>;
export type Severity = (typeof SEVERITIES)[number];
export type EntityType = (typeof ENTITY_TYPES)[number];
export type Entity = Static<typeof EntitySchema>;
