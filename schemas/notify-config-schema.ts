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

export const EmailChannelSchema = Type.Object(
  {
    type: Type.Literal('email'),
    ...common,
    to: Type.Array(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' }), { minItems: 1 }),
    from: Type.String({ default: 'gatewatch@localhost' }),
    allowPrivate: Type.Optional(Type.Boolean({ description: 'allow an SMTP host at a loopback, link-local or private address, e.g. a local relay (off: SSRF guard)' })),
    smtp: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ default: 587, minimum: 1, maximum: 65535 }),
        secure: Type.Boolean({ default: false, description: 'TLS from the first byte (port 465)' }),
        requireTls: Type.Boolean({ default: true, description: 'insist on STARTTLS; off only for a local relay' }),
        user: Type.Optional(Type.String()),
        pass: Type.Optional(Type.String()),
        rejectUnauthorized: Type.Boolean({ default: true }),
        timeoutMs: Type.Integer({ default: 15_000, minimum: 100, maximum: 120_000 }),
      },
      { additionalProperties: false },
    ),
    digest: Type.Optional(
      Type.Object(
        {
          everyMin: Type.Integer({ default: 1440, minimum: 5, maximum: 10_080, description: 'the period; periods are aligned on UTC (1440: each day from midnight UTC)' }),
          only: Type.Boolean({ default: false, description: 'the digest alone, no e-mail per alert' }),
          sendEmpty: Type.Boolean({ default: false, description: 'send a digest of a period without alerts too' }),
        },
        { additionalProperties: false, description: 'a periodic summary of the alerts this channel wants' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const NotifyConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    pollMs: Type.Integer({ default: 250, minimum: 50, maximum: 60_000, description: 'how often new and changed alerts are picked up' }),
    // 5 s doubling to 15 min, 12 attempts: a receiver down for an hour still gets everything
    maxAttempts: Type.Integer({ default: 12, minimum: 1, maximum: 50 }),
    backoffBaseMs: Type.Integer({ default: 5000, minimum: 10 }),
    backoffMaxMs: Type.Integer({ default: 15 * 60_000, minimum: 100 }),
    dashboardUrl: Type.String({ default: 'http://127.0.0.1:8080', description: 'links in notifications point here' }),
    groupIntervalSec: Type.Integer({ default: 300, minimum: 0, maximum: 86_400, description: 'after a notification about an entity, further alerts about it wait this long and go out together (0: never grouped)' }),
    rateLimitPerMin: Type.Integer({ default: 30, minimum: 1, maximum: 100_000, description: 'messages per channel per minute; what is over goes out as one summary' }),
    channels: Type.Array(Type.Union([WebhookChannelSchema, EmailChannelSchema]), { default: [] }),
    leaseSec: Type.Integer({ default: 30, minimum: 5, maximum: 3600, description: 'each notifier instance (notify.instance) runs in one process at a time (a lease in the store); a standby takes over this long after the holder dies' }),
    instance: Type.String({
      default: '0/1',
      pattern: '^[0-9]{1,3}/[0-9]{1,3}$',
      description: 'several notifier processes: "i/N" makes this one the i-th of N (from 0); each alert × channel belongs to exactly one (GATEWATCH_NOTIFY_INSTANCE)',
    }),
  },
  { default: {}, additionalProperties: false },
);

export type NotifyConfig = Static<typeof NotifyConfigSchema>;
export type WebhookChannel = Static<typeof WebhookChannelSchema>;
export type EmailChannel = Static<typeof EmailChannelSchema>;
export type Channel = WebhookChannel | EmailChannel;
