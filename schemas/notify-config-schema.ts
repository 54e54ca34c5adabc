/**
 * Where alerts go: channels (signed webhooks, e-mail) with severity and detector filters,
 * retry policy, and the notifier's own pace. Secrets here (webhook signing secrets, SMTP
 * passwords) are never logged.
 */
import { Type, type Static } from '@sinclair/typebox';
import { SEVERITIES } from './alert-schema.js';

const Severity = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));

const common = {
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'channel id, used in the delivery log and `gatewatch notify test NAME`' }),
  minSeverity: Type.Optional(Severity),
  detectors: Type.Optional(Type.Array(Type.String(), { description: 'only these detectors (default: all)' })),
  enabled: Type.Optional(Type.Boolean()),
};

export const WebhookChannelSchema = Type.Object(
  {
    type: Type.Literal('webhook'),
    ...common,
    url: Type.String({ pattern: '^https?://', description: 'where alerts are POSTed' }),
    secret: Type.String({ minLength: 16, description: 'HMAC-SHA256 key for X-Gatewatch-Signature' }),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('slack')])),
    allowPrivate: Type.Optional(Type.Boolean({ description: 'allow loopback, link-local and private addresses (off: SSRF guard)' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

export const NotifyConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    pollMs: Type.Integer({ default: 250, minimum: 50, maximum: 60_000, description: 'how often new and changed alerts are picked up' }),
    maxAttempts: Type.Integer({ default: 8, minimum: 1, maximum: 50 }),
    backoffBaseMs: Type.Integer({ default: 1000, minimum: 10 }),
    backoffMaxMs: Type.Integer({ default: 15 * 60_000, minimum: 100 }),
    dashboardUrl: Type.String({ default: 'http://127.0.0.1:8080', description: 'links in notifications point here' }),
    channels: Type.Array(WebhookChannelSchema, { default: [] }),
  },
  { default: {}, additionalProperties: false },
);

export type NotifyConfig = Static<typeof NotifyConfigSchema>;
export type WebhookChannel = Static<typeof WebhookChannelSchema>;
