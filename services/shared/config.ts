/**
 * Reads the environment and the config file in one place and returns a validated, typed
 * Config, or throws a ConfigError naming the first bad key. Nothing else reads process.env.
 */
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import ipaddr from 'ipaddr.js';
import { RE2JS } from 're2js';
import { ConfigSchema, type Config } from '../../schemas/config-schema.js';
import { EmailChannelSchema, WebhookChannelSchema } from '../../schemas/notify-config-schema.js';
import { ConfigError, errorMessage } from './errors.js';

type Env = Record<string, string | undefined>;

/** Environment variables and the config key each one sets. */
const ENV_KEYS: Array<[string, string, (v: string) => unknown]> = [
  ['GATEWATCH_DATA_DIR', 'dataDir', (v) => v],
  ['HOST', 'host', (v) => v],
  ['PORT', 'port', (v) => integer('PORT', v)],
  ['GATEWATCH_LOG_LEVEL', 'logLevel', (v) => v],
  ['CLICKHOUSE_URL', 'clickhouse.url', (v) => v],
  ['CLICKHOUSE_USER', 'clickhouse.username', (v) => v],
  ['CLICKHOUSE_PASSWORD', 'clickhouse.password', (v) => v],
  ['CLICKHOUSE_DATABASE', 'clickhouse.database', (v) => v],
  ['CLICKHOUSE_QUERY_USER', 'clickhouse.queryUsername', (v) => v],
  ['CLICKHOUSE_QUERY_PASSWORD', 'clickhouse.queryPassword', (v) => v],
  ['KAFKA_BROKERS', 'kafka.brokers', (v) => v.split(',').map((b) => b.trim()).filter(Boolean)],
  ['KAFKA_TOPIC', 'kafka.topic', (v) => v],
  ['GATEWATCH_FINGERPRINT_KEY', 'fingerprintKey', (v) => v],
  ['GATEWATCH_PRIVACY_MODE', 'redaction.privacyMode', (v) => boolean('GATEWATCH_PRIVACY_MODE', v)],
  ['GATEWATCH_NOTIFY_INSTANCE', 'notify.instance', (v) => v],
  ['GATEWATCH_PIPELINE_THREADS', 'ingest.pipelineThreads', (v) => (v.trim() === 'auto' ? 'auto' : integer('GATEWATCH_PIPELINE_THREADS', v))],
];

function integer(name: string, v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new ConfigError(name, `expected an integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function boolean(name: string, v: string): boolean {
  const t = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(t)) return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(v)}`);
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('GATEWATCH_CONFIG', `cannot read ${path}: ${errorMessage(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('GATEWATCH_CONFIG', `${path} is not valid JSON: ${errorMessage(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('GATEWATCH_CONFIG', `${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** JSON Pointer (/a/b/0) → config key (a.b[0]). */
function keyOf(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '') || '(root)';
}

export function loadConfig(env: Env = process.env, overrides: Record<string, unknown> = {}): Config {
  const raw: Record<string, unknown> = env.GATEWATCH_CONFIG ? readConfigFile(env.GATEWATCH_CONFIG) : {};
  for (const [name, key, convert] of ENV_KEYS) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(raw, key, convert(v));
  }
  for (const [key, value] of Object.entries(overrides)) setPath(raw, key, value);
  return validateConfig(raw);
}

export function validateConfig(raw: unknown): Config {
  const withDefaults = Value.Default(ConfigSchema, structuredClone(raw));
  checkChannels(withDefaults);
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const key = keyOf(first.path);
    const hint = first.schema.description ? ` (${first.schema.description})` : '';
    throw new ConfigError(key, `${first.message}${hint}; got ${JSON.stringify(first.value)}`);
  }
  const config = withDefaults as Config;
  checkSemantics(config);
  return config;
}

/**
 * A channel is one of several shapes chosen by `type`; checked against its own shape first, so
 * the message names the bad field (`notify.channels[0].secret`), not just the channel.
 */
function checkChannels(raw: unknown): void {
  const channels = (raw as { notify?: { channels?: unknown } })?.notify?.channels;
  if (!Array.isArray(channels)) return;
  channels.forEach((c: unknown, i) => {
    const type = (c as { type?: unknown })?.type;
    const schema = type === 'webhook' ? WebhookChannelSchema : type === 'email' ? EmailChannelSchema : undefined;
    if (!schema) throw new ConfigError(`notify.channels[${i}].type`, `expected "webhook" or "email"; got ${JSON.stringify(type)}`);
    const withDefaults = Value.Default(schema, c);
    const first = Value.Errors(schema, withDefaults).First();
    if (first) throw new ConfigError(`notify.channels[${i}]${keyOf(first.path) ? `.${keyOf(first.path)}` : ''}`, `${first.message}; got ${JSON.stringify(first.value)}`);
  });
}

/** What the schema cannot say: CIDRs parse, regexes compile. */
function checkSemantics(config: Config): void {
  const cidrLists = [
    ['ingest.trustedProxies', config.ingest.trustedProxies],
    ['api.trustedProxies', config.api.trustedProxies],
    ['detect.allow.cidrs', config.detect.allow.cidrs],
    ['detect.corporateEgress.cidrs', config.detect.corporateEgress.cidrs],
  ] as const;
  for (const [key, list] of cidrLists) {
    list.forEach((cidr, i) => {
      try {
        if (cidr.includes('/')) ipaddr.parseCIDR(cidr);
        else ipaddr.parse(cidr);
      } catch {
        throw new ConfigError(`${key}[${i}]`, `not an IP address or CIDR: ${JSON.stringify(cidr)}`);
      }
    });
  }
  const c = config.detect.cycleSec;
  if (!((c < 60 && 60 % c === 0) || (c % 60 === 0 && 3600 % c === 0))) {
    throw new ConfigError('detect.cycleSec', `${c} s must divide a minute (1, 2, 5, 10, 15, 20, 30) or be whole minutes dividing an hour`);
  }
  const names = new Set<string>();
  config.notify.channels.forEach((c, i) => {
    if (names.has(c.name)) throw new ConfigError(`notify.channels[${i}].name`, `duplicate channel name ${JSON.stringify(c.name)}`);
    names.add(c.name);
    if (c.type !== 'webhook') return;
    try {
      new URL(c.url);
    } catch {
      throw new ConfigError(`notify.channels[${i}].url`, `not a URL: ${JSON.stringify(c.url)}`);
    }
  });
  const [index, count] = config.notify.instance.split('/').map(Number) as [number, number];
  if (!(count >= 1 && index < count)) throw new ConfigError('notify.instance', `"${config.notify.instance}": the index (from 0) must be below the count, as in 0/2 and 1/2`);
  // A cycle longer than the window it scores would leave minutes unscored between cycles.
  for (const [name, d] of Object.entries(config.detect.detectors)) {
    const windowMin = 'windowMin' in d ? d.windowMin : undefined;
    if (windowMin !== undefined && config.detect.cycleSec > windowMin * 60) {
      throw new ConfigError('detect.cycleSec', `${config.detect.cycleSec} s is longer than the ${windowMin}-minute window of detector ${name}: data between cycles would go unscored`);
    }
  }
  // Operator patterns run on RE2: linear time on any input, so a pattern cannot turn a
  // hostile log line into a ReDoS. Backreferences and lookarounds are refused here.
  const seen = new Set<string>();
  config.redaction.extraPatterns.forEach((p, i) => {
    let re: RE2JS;
    try {
      re = RE2JS.compile(p.regex);
    } catch (err) {
      throw new ConfigError(`redaction.extraPatterns[${i}].regex`, `not a valid RE2 pattern (linear-time syntax: no backreferences or lookarounds): ${errorMessage(err)}`);
    }
    if (re.matches('')) throw new ConfigError(`redaction.extraPatterns[${i}].regex`, 'matches the empty string: it would mark every position of every value');
    if (seen.has(p.name)) throw new ConfigError(`redaction.extraPatterns[${i}].name`, `duplicate pattern name ${JSON.stringify(p.name)}`);
    seen.add(p.name);
  });
}
