/**
 * The one configuration schema: TypeBox gives both the TypeScript type and the validator, and
 * defaults live here, next to each key, not scattered through the code that reads them.
 */
import { Type, type Static, type TBoolean, type TProperties } from '@sinclair/typebox';
import { PII_ACTIONS, REDACTION_RULES, type RedactionRule } from './redaction-schema.js';
import { DetectConfigSchema } from './detect-config-schema.js';
import { NotifyConfigSchema } from './notify-config-schema.js';

const FieldMapping = Type.Record(Type.String(), Type.String(), {
  description: 'normalized field name → dotted path in the source record',
});

export const FORMATS = [
  'nginx-combined',
  'nginx-json',
  'kong',
  'envoy-text',
  'envoy-json',
  'traefik',
  'aws-apigw',
  'azure-apim',
  'generic-json',
] as const;
export type LogFormat = (typeof FORMATS)[number];
export const FormatOrAuto = Type.Union([...FORMATS.map((f) => Type.Literal(f)), Type.Literal('auto')]);

/** A config section: unknown keys are refused (a typo must not silently fall back to a default). */
function section<T extends TProperties>(properties: T) {
  return Type.Object(properties, { default: {}, additionalProperties: false });
}

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ default: './data', minLength: 1 }),
    host: Type.String({ default: '127.0.0.1', minLength: 1 }),
    port: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    clickhouse: section(
      {
        url: Type.Optional(Type.String({ pattern: '^https?://' })),
        username: Type.String({ default: 'default' }),
        password: Type.String({ default: '' }),
        queryUsername: Type.Optional(Type.String({ minLength: 1, description: 'on a server: the read-only user analyst SQL runs as (GRANT SELECT on the tables open to SQL); default: username' })),
        queryPassword: Type.Optional(Type.String()),
        database: Type.String({ default: 'gatewatch', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
        retentionDays: Type.Integer({ default: 90, minimum: 1, maximum: 36500 }),
        requestTimeoutMs: Type.Integer({ default: 60_000, minimum: 1000 }),
      },
    ),
    kafka: section(
      {
        brokers: Type.Array(Type.String({ pattern: '^[^\\s,]+:\\d+$' }), { default: [] }),
        clientId: Type.String({ default: 'gatewatch' }),
        topic: Type.String({ default: 'gateway-logs', minLength: 1 }),
        dlqTopic: Type.String({ default: 'gateway-logs-dlq', minLength: 1 }),
        groupId: Type.String({ default: 'gatewatch-ingest', minLength: 1 }),
        topicFormats: Type.Record(Type.String(), FormatOrAuto, {
          default: {},
          description: 'per-topic format override; topics not listed are auto-detected',
        }),
        fromBeginning: Type.Boolean({ default: true }),
        sessionTimeoutMs: Type.Integer({
          default: 10_000,
          minimum: 6000,
          description: 'how long a silent worker keeps its partitions before the group reassigns them (a killed worker\'s partitions are consumed again about this long after; heartbeats go every tenth of it, also during long writes)',
        }),
      },
    ),
    ingest: section(
      {
        batchMaxRows: Type.Integer({ default: 20_000, minimum: 1, maximum: 1_000_000 }),
        batchMaxAgeMs: Type.Integer({ default: 1000, minimum: 10, maximum: 600_000 }),
        maxRecordBytes: Type.Integer({ default: 1_048_576, minimum: 1024 }),
        maxBodyBytes: Type.Integer({ default: 64 * 1_048_576, minimum: 1024, description: 'largest POST /v1/ingest body as sent (compressed or not); more is 413' }),
        maxDecodedBytes: Type.Integer({ default: 256 * 1_048_576, minimum: 1024, description: 'largest POST /v1/ingest body once decompressed (gzip, deflate, br); more is 413' }),
        maxDepth: Type.Integer({ default: 64, minimum: 2, maximum: 1000, description: 'deepest nesting of a JSON array body; deeper is refused whole (400, one dead letter)' }),
        maxRecordsPerRequest: Type.Integer({ default: 100_000, minimum: 1, description: 'records in one POST /v1/ingest; more is refused whole (413, one dead letter)' }),
        maxDeadLettersPerRequest: Type.Integer({ default: 100, minimum: 1, description: 'dead letters kept from one request; the rest are counted in one summary letter (reason more_rejected)' }),
        storeHeaders: Type.Boolean({ default: true, description: 'store the request headers the gateway logged (redacted) in events.headers' }),
        maxFutureSkewSec: Type.Integer({ default: 300, minimum: 0 }),
        maxEventAgeDays: Type.Optional(Type.Integer({ minimum: 1, description: 'default: clickhouse.retentionDays' })),
        trustedProxies: Type.Array(Type.String(), {
          default: [],
          description: 'CIDRs whose X-Forwarded-For is believed; from anyone else it is ignored',
        }),
        storeRetryMaxMs: Type.Integer({ default: 5000, minimum: 100, description: 'longest wait between attempts while ClickHouse is down: ingest resumes at most this long after it is back' }),
        pipelineThreads: Type.Union([Type.Integer({ minimum: 0, maximum: 16 }), Type.Literal('auto')], {
          default: 'auto',
          // threads that parse, redact, enrich and encode Kafka records beside the consumer
          description: 'an integer from 0 (in the consumer thread) to 16, or "auto": 1 beside the embedded engine, one per core (up to 4) with a ClickHouse server',
        }),
        nginxJsonFields: Type.Optional(FieldMapping),
        genericFields: Type.Optional(FieldMapping),
      },
    ),
    api: section(
      {
        queryTimeoutSec: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),
        queryMaxRowsToRead: Type.Integer({ default: 2_000_000_000, minimum: 1 }),
        queryMaxResultRows: Type.Integer({ default: 100_000, minimum: 1 }),
        queryMaxResultBytes: Type.Integer({ default: 100 * 1_048_576, minimum: 1024 }),
        queryMaxMemoryBytes: Type.Integer({ default: 2 * 1024 ** 3, minimum: 1_048_576 }),
        requestTimeoutMs: Type.Integer({ default: 120_000, minimum: 1000 }),
        rateLimitPerMin: Type.Integer({ default: 1200, minimum: 1, description: 'requests per verified API key (per client address on the routes that need none) per minute' }),
        authFailureLimit: Type.Integer({ default: 20, minimum: 1, maximum: 1_000_000, description: 'failed authentications (401) from one client address (an IPv6 /64) per window before its further requests get 429 without their key being checked' }),
        authFailureWindowSec: Type.Integer({ default: 60, minimum: 1, maximum: 86_400, description: 'the window of api.authFailureLimit, in seconds' }),
        streamsPerKey: Type.Integer({ default: 5, minimum: 1, maximum: 10_000, description: 'open GET /v1/alerts/stream connections per API key (per API process)' }),
        trustedProxies: Type.Array(Type.String(), {
          default: [],
          description: "CIDRs of reverse proxies in front of the API whose X-Forwarded-For names the client (for the per-address limits); from anyone else it is ignored",
        }),
      },
    ),
    enrichment: section(
      {
        geoip: Type.Boolean({ default: true }),
        asn: Type.Boolean({ default: true }),
        cacheSize: Type.Integer({ default: 100_000, minimum: 0 }),
        cityDbDir: Type.Optional(Type.String()),
        asnDbDir: Type.Optional(Type.String()),
      },
    ),
    redaction: section(
      {
        rules: Type.Object(
          Object.fromEntries(REDACTION_RULES.map((r) => [r, Type.Boolean({ default: true })])) as Record<RedactionRule, TBoolean>,
          { default: {}, additionalProperties: false, description: 'rule toggles: every rule is on unless set to false' },
        ),
        extraHeaderNames: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'more words that make a header secret (matched anywhere in the lower-cased name)',
        }),
        extraParamNames: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'more query, form and field names whose value is secret' }),
        extraPatterns: Type.Array(
          Type.Object(
            { name: Type.String({ pattern: '^[a-z0-9_]{1,40}$' }), regex: Type.String({ minLength: 1, maxLength: 2000, description: 'RE2 syntax (linear time)' }) },
            { additionalProperties: false },
          ),
          { default: [] },
        ),
        privacyMode: Type.Boolean({ default: false, description: 'GDPR: pseudonymise principals, client IPs and e-mail addresses with the keyed HMAC' }),
        pii: Type.Object(
          {
            email: Type.Union(PII_ACTIONS.map((a) => Type.Literal(a)), { default: 'keep' }),
            clientIp: Type.Union(PII_ACTIONS.map((a) => Type.Literal(a)), { default: 'keep' }),
            principal: Type.Union([Type.Literal('keep'), Type.Literal('hash')], { default: 'keep' }),
          },
          { default: {}, additionalProperties: false },
        ),
      },
    ),
    detect: DetectConfigSchema,
    notify: NotifyConfigSchema,
    fingerprintKey: Type.Optional(
      Type.String({ minLength: 32, description: 'HMAC key for principal fingerprints; default: generated once into dataDir' }),
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
