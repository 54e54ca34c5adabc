import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../services/shared/config.js';
import { ConfigError } from '../../services/shared/errors.js';
import { pipelineThreadCount } from '../../services/ingest/pipeline-threads.js';

function file(content: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'gw-cfg-')), 'config.json');
  writeFileSync(p, content);
  return p;
}

describe('configuration', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ dataDir: './data', port: 8080, host: '127.0.0.1', clickhouse: { database: 'gatewatch', retentionDays: 90 }, kafka: { brokers: [], topic: 'gateway-logs' } });
  });

  it('reads the environment', () => {
    const c = loadConfig({ PORT: '9090', KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093', CLICKHOUSE_URL: 'http://127.0.0.1:8123', GATEWATCH_DATA_DIR: '/tmp/x' });
    expect(c.port).toBe(9090);
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(c.clickhouse.url).toBe('http://127.0.0.1:8123');
    expect(c.dataDir).toBe('/tmp/x');
    expect(c.ingest.pipelineThreads).toBe('auto');
    expect(loadConfig({ GATEWATCH_PIPELINE_THREADS: '0' }).ingest.pipelineThreads).toBe(0);
    expect(loadConfig({ GATEWATCH_PIPELINE_THREADS: ' auto ' }).ingest.pipelineThreads).toBe('auto');
    // auto: one per core, up to two beside the embedded engine and up to four with a server
    expect(pipelineThreadCount(loadConfig({}), 8)).toBe(2);
    expect(pipelineThreadCount(loadConfig({}), 1)).toBe(1);
    expect(pipelineThreadCount(c, 2)).toBe(2);
    expect(pipelineThreadCount(c, 8)).toBe(4);
    expect(pipelineThreadCount(loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123', GATEWATCH_PIPELINE_THREADS: '3' }), 8)).toBe(3);
  });

  it.each([
    ['a non-numeric PORT', { PORT: '80a' }, 'PORT'],
    ['a port out of range', { PORT: '70000' }, 'port'],
    ['a broker without a port', { KAFKA_BROKERS: 'localhost' }, 'kafka.brokers[0]'],
    ['a ClickHouse URL that is not HTTP', { CLICKHOUSE_URL: 'tcp://x:9000' }, 'clickhouse.url'],
    ['a short fingerprint key', { GATEWATCH_FINGERPRINT_KEY: 'short' }, 'fingerprintKey'],
    ['a missing config file', { GATEWATCH_CONFIG: '/nonexistent/gw.json' }, 'GATEWATCH_CONFIG'],
    ['a config file that is not JSON', { GATEWATCH_CONFIG: file('{ nope') }, 'GATEWATCH_CONFIG'],
    ['an unknown key (a typo)', { GATEWATCH_CONFIG: file('{"ingest":{"batchMaxRow":5}}') }, 'ingest.batchMaxRow'],
    ['a wrong type', { GATEWATCH_CONFIG: file('{"clickhouse":{"retentionDays":"ninety"}}') }, 'clickhouse.retentionDays'],
    ['a bad trusted proxy', { GATEWATCH_CONFIG: file('{"ingest":{"trustedProxies":["10.0.0.0/8","10.0.0.300"]}}') }, 'ingest.trustedProxies[1]'],
    ['an invalid regex', { GATEWATCH_CONFIG: file('{"redaction":{"extraPatterns":[{"name":"x","regex":"(unclosed"}]}}') }, 'redaction.extraPatterns[0].regex'],
    ['a backtracking-only regex (lookahead)', { GATEWATCH_CONFIG: file('{"redaction":{"extraPatterns":[{"name":"x","regex":"a(?=b)"}]}}') }, 'redaction.extraPatterns[0].regex'],
    ['a regex matching the empty string', { GATEWATCH_CONFIG: file('{"redaction":{"extraPatterns":[{"name":"x","regex":"a*"}]}}') }, 'redaction.extraPatterns[0].regex'],
    ['two patterns with one name', { GATEWATCH_CONFIG: file('{"redaction":{"extraPatterns":[{"name":"x","regex":"a"},{"name":"x","regex":"b"}]}}') }, 'redaction.extraPatterns[1].name'],
    ['an unknown redaction rule', { GATEWATCH_CONFIG: file('{"redaction":{"rules":{"jwts":false}}}') }, 'redaction.rules.jwts'],
    ['an unknown PII action', { GATEWATCH_CONFIG: file('{"redaction":{"pii":{"email":"encrypt"}}}') }, 'redaction.pii.email'],
    ['masking principals (it would merge them)', { GATEWATCH_CONFIG: file('{"redaction":{"pii":{"principal":"mask"}}}') }, 'redaction.pii.principal'],
    ['pipeline threads that are not a number', { GATEWATCH_PIPELINE_THREADS: 'two' }, 'GATEWATCH_PIPELINE_THREADS'],
    ['more pipeline threads than allowed', { GATEWATCH_PIPELINE_THREADS: '64' }, 'ingest.pipelineThreads'],
    ['pipeline threads neither a number nor auto (config file)', { GATEWATCH_CONFIG: file('{"ingest":{"pipelineThreads":"many"}}') }, 'ingest.pipelineThreads'],
    ['a privacy mode that is not a boolean', { GATEWATCH_PRIVACY_MODE: 'maybe' }, 'GATEWATCH_PRIVACY_MODE'],
    ['a detection cycle longer than a detector window', { GATEWATCH_CONFIG: file('{"detect":{"cycleSec":600}}') }, 'detect.cycleSec'],
    ['a detection cycle that does not divide a minute', { GATEWATCH_CONFIG: file('{"detect":{"cycleSec":7}}') }, 'detect.cycleSec'],
    ['an unknown detector', { GATEWATCH_CONFIG: file('{"detect":{"detectors":{"brute":{"enabled":false}}}}') }, 'detect.detectors.brute'],
    ['a negative threshold', { GATEWATCH_CONFIG: file('{"detect":{"detectors":{"brute_force":{"minFailures":-1}}}}') }, 'detect.detectors.brute_force.minFailures'],
    ['a bad allow-list CIDR', { GATEWATCH_CONFIG: file('{"detect":{"allow":{"cidrs":["10.0.0.0/33"]}}}') }, 'detect.allow.cidrs[0]'],
    ['a webhook secret too short to sign with', { GATEWATCH_CONFIG: file('{"notify":{"channels":[{"type":"webhook","name":"w","url":"https://x.example/h","secret":"short"}]}}') }, 'notify.channels[0].secret'],
    ['a webhook URL that is not http(s)', { GATEWATCH_CONFIG: file('{"notify":{"channels":[{"type":"webhook","name":"w","url":"file:///etc/passwd","secret":"0123456789abcdef0"}]}}') }, 'notify.channels[0].url'],
    ['two channels with one name', { GATEWATCH_CONFIG: file('{"notify":{"channels":[{"type":"webhook","name":"w","url":"https://a.example","secret":"0123456789abcdef0"},{"type":"webhook","name":"w","url":"https://b.example","secret":"0123456789abcdef0"}]}}') }, 'notify.channels[1].name'],
    ['an unknown per-topic format', { GATEWATCH_CONFIG: file('{"kafka":{"topicFormats":{"t":"apache"}}}') }, 'kafka.topicFormats.t'],
  ])('refuses %s, naming the key', (_n, env, key) => {
    let caught: unknown;
    try {
      loadConfig(env as Record<string, string>);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe(key);
    expect((caught as Error).message).toContain(key);
  });
});
