/**
 * The redaction promise, end to end: the secret corpus (every gateway format, 40+ kinds of
 * credentials in every position) goes through the real Kafka broker, the real ingest worker
 * and the real ClickHouse engine; then every stored column of every row, the dead-letter
 * table, the dead-letter topic and our own log output are searched for every planted secret,
 * raw, URL-encoded and base64. None may be found. The other way round, ordinary values
 * (order ids, UUIDs, timestamps, versions) must be stored exactly as sent.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Writable } from 'node:stream';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { createLogger } from '../../services/shared/logger.js';
import { buildPipeline } from '../../services/ingest/build-pipeline.js';
import { inlineChunkProcessor } from '../../services/ingest/pipeline-threads.js';
import { createClickHouseEventSink } from '../../services/storage/clickhouse-event-sink.js';
import { createClickHouseBatchJournal } from '../../services/storage/batch-journal.js';
import { KafkaIngestWorker } from '../../services/ingest/kafka-ingest-worker.js';
import { createDirectIngest } from '../../services/ingest/ingest-gateway.js';
import { FORMATS, type Config } from '../../schemas/config-schema.js';
import { buildSecretCorpus, type CorpusRecord } from '../fixtures/secret-corpus.js';
import { testConfig, unique, waitFor } from './helpers.js';
import { fullyCommitted, produce, readTopic, testKafka } from './kafka-helpers.js';

const brokers = inject('kafkaBrokers');
const kafka = testKafka(brokers);

/** Every string inside a value (rows, maps, nested JSON), so a check never depends on escaping. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') {
    out.push(v);
    if (v.startsWith('{') || v.startsWith('[')) {
      try {
        strings(JSON.parse(v), out);
      } catch {
        /* not JSON after all */
      }
    }
  } else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) strings(x, strings(k, out));
  return out;
}

function leaksIn(haystack: string, corpus: CorpusRecord[]): string[] {
  const found: string[] = [];
  for (const rec of corpus) for (const s of rec.secrets) for (const f of s.forbidden) if (haystack.includes(f)) found.push(`${rec.format} ${s.kind} (${s.slot}): ${f}`);
  return found;
}

function captureLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, destination };
}

describe('redaction corpus through Kafka, the ingest worker and ClickHouse', () => {
  const tag = unique('corpus');
  const corpus = buildSecretCorpus(tag);
  const good = corpus.filter((r) => r.format !== 'broken');
  const broken = corpus.filter((r) => r.format === 'broken');
  let rt: Runtime;
  let config: Config;
  const log = captureLog();

  beforeAll(async () => {
    process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
    config = testConfig({
      logLevel: 'trace',
      clickhouse: { retentionDays: 3650 },
      kafka: { brokers, topic: tag, dlqTopic: `${tag}-dlq`, groupId: `${tag}-group` },
      ingest: { batchMaxRows: 100, batchMaxAgeMs: 200 },
    });
    const logger = createLogger('trace', { destination: log.destination, redaction: config.redaction, pretty: false });
    rt = await openRuntime(config, { role: 'test', log: logger });
    await produce(kafka, tag, corpus.map((r) => r.raw));
    const worker = new KafkaIngestWorker({
      kafka: testKafka(brokers),
      config,
      // inline: every log line of the pipeline goes to the captured destination
      processor: inlineChunkProcessor(await buildPipeline(config, rt.log)),
      sink: createClickHouseEventSink(rt.store),
      journal: createClickHouseBatchJournal(rt.store),
      metrics: rt.metrics,
      log: rt.log,
    });
    await worker.start();
    try {
      await waitFor(() => fullyCommitted(kafka, config.kafka.groupId, tag), (d) => d, { what: 'the corpus committed' });
    } finally {
      await worker.stop();
    }
  });
  afterAll(async () => rt?.close());

  const rows = async (sql: string) => (await (await rt.store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>;

  it('is big and varied enough to mean something', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    expect(new Set(good.map((r) => r.format))).toEqual(new Set(FORMATS));
    expect(new Set(corpus.flatMap((r) => r.secrets.map((s) => s.kind))).size).toBeGreaterThanOrEqual(25);
    expect(new Set(good.flatMap((r) => r.secrets.map((s) => s.slot.split(' ')[0]))).size).toBeGreaterThanOrEqual(6);
  });

  it('stores every good record and dead-letters every broken one', async () => {
    const stored = await rows(`SELECT count() AS n FROM events WHERE request_id LIKE '${tag}-%' OR path LIKE '%/orders/%'`);
    expect(Number(stored[0]!.n)).toBe(good.length);
    const letters = await rows(`SELECT count() AS n FROM dead_letters WHERE topic = '${tag}'`);
    expect(Number(letters[0]!.n)).toBe(broken.length);
  });

  it('leaves no planted secret in any column of any stored row', async () => {
    const all = await rows(`SELECT * FROM events`);
    expect(all.length).toBeGreaterThanOrEqual(good.length);
    const haystack = strings(all).join('\u0000');
    expect(leaksIn(haystack, corpus)).toEqual([]);
    // every stored row says how much was caught in it, and the metric says by which rule
    expect(all.every((r) => Number(r.redacted_fields) > 0)).toBe(true);
    const metrics = await rt.metrics.registry.metrics();
    for (const type of ['authorization', 'cookie', 'header', 'param', 'path_token', 'jwt', 'github_token', 'card_number', 'private_key', 'encoded']) {
      expect(metrics).toMatch(new RegExp(`gatewatch_redactions_total\\{type="${type}"\\} [1-9]`));
    }
  });

  it('leaves no planted secret in the dead-letter table or the dead-letter topic', async () => {
    const letters = await rows(`SELECT * FROM dead_letters WHERE topic = '${tag}'`);
    expect(letters.length).toBe(broken.length);
    expect(leaksIn(strings(letters).join('\u0000'), corpus)).toEqual([]);
    const dlq = await readTopic(kafka, `${tag}-dlq`);
    expect(dlq.length).toBe(broken.length);
    expect(leaksIn(strings(dlq).join('\u0000') + dlq.join('\u0000'), corpus)).toEqual([]);
    // the reason and the redacted record are still there for the operator
    expect(letters.every((l) => String(l.record).length > 0 && String(l.reason).length > 0)).toBe(true);
  });

  it('leaves no planted secret in our own log output, even when a record is logged by mistake', async () => {
    // the worker logged every dead letter at debug; now log raw records directly, as a careless
    // line of code would: the logger's own net must catch them too
    for (const rec of corpus.slice(0, 60)) rt.log.warn({ record: rec.raw, parsed: JSON.parse(JSON.stringify({ raw: rec.raw })) }, `record ${rec.raw.slice(0, 300)}`);
    await new Promise((r) => setImmediate(r));
    const text = log.lines.join('');
    expect(log.lines.some((l) => l.includes('record dead-lettered'))).toBe(true);
    expect(leaksIn(text + '\u0000' + strings(log.lines.map((l) => JSON.parse(l) as unknown)).join('\u0000'), corpus)).toEqual([]);
  });

  it('leaves no planted secret in alerts, webhook payloads or e-mails built from the stored rows', async () => {
    // detection over the corpus' own range, and an alert whose evidence is every corpus row
    const { startDetectRole } = await import('../../services/detect/detect-role.js');
    const { webhookBody } = await import('../../services/notify/webhook-payload.js');
    const { emailMessage } = await import('../../services/notify/email-message.js');
    const [range] = await rows(`SELECT toUnixTimestamp64Milli(min(event_time)) AS a, toUnixTimestamp64Milli(max(event_time)) AS b FROM events WHERE request_id LIKE '${tag}-%'`);
    await startDetectRole(rt, { schedule: false }).runner.scoreRange({ from: Math.floor(Number(range!.a) / 60_000) * 60_000, to: Math.ceil(Number(range!.b) / 60_000) * 60_000 + 60_000 });
    const stored = await rows(`SELECT * FROM alerts`);
    const evidence = await rows(`SELECT * FROM events WHERE request_id LIKE '${tag}-%' OR path LIKE '%/orders/%'`);
    const alert = {
      id: 'corpus', detector: 'brute_force', severity: 'high' as const, entity: { type: 'ip' as const, value: '198.51.100.1' }, window: { start: new Date().toISOString(), end: new Date().toISOString() },
      observed: 1, expected: 0, score: 1, summary: String(evidence[0]!.path), owasp: 'API2', evidence: { sql: 'SELECT * FROM events', rows: evidence }, detail: { first: evidence[0] },
      status: 'open' as const, windows: 1, first_seen: new Date().toISOString(), last_seen: new Date().toISOString(),
    };
    const channel = { type: 'webhook' as const, name: 'w', url: 'https://example.com', secret: 'x'.repeat(16) };
    const mail = emailMessage(alert, 'https://gw.example');
    const payloads = [webhookBody(channel, alert, 'https://gw.example'), webhookBody({ ...channel, format: 'slack' }, alert, 'https://gw.example'), mail.subject, mail.text, mail.html];
    expect(leaksIn(strings(stored).join('\u0000') + strings(payloads).join('\u0000') + payloads.join('\u0000'), corpus)).toEqual([]);
  });

  it('does not over-redact ordinary values: order ids, UUIDs, timestamps, versions, e-mails', async () => {
    const all = await rows(`SELECT request_id, path, query, headers, event_time FROM events WHERE request_id LIKE '${tag}-%' OR path LIKE '%/orders/%'`);
    const haystack = strings(all).join('\u0000');
    const missing = good.flatMap((r) => [...r.ordinary, ...(r.emails ?? []).map(encodeURIComponent)].filter((o) => !haystack.includes(o)).map((o) => `${r.format}: ${o}`));
    expect(missing).toEqual([]);
    // routes stay useful: ids folded, redaction markers become {token}
    const routes = await rows(`SELECT DISTINCT route FROM events WHERE request_id LIKE '${tag}-%'`);
    expect(routes.map((r) => r.route)).toContain('/orders/{uuid}');
    expect(routes.some((r) => String(r.route).startsWith('/v1/reset/{token}'))).toBe(true);
  });

  it('in privacy mode, stores no client address, principal or e-mail in the clear, and detection keys stay stable', async () => {
    // chDB allows one data directory per process: a second database in the same one
    const privateConfig = testConfig({ dataDir: config.dataDir, redaction: { privacyMode: true }, clickhouse: { retentionDays: 3650, database: 'privacy_mode' } });
    const prt = await openRuntime(privateConfig, { role: 'test', log: rt.log });
    try {
      const gateway = createDirectIngest({ processRecord: await buildPipeline(privateConfig, prt.log), sink: createClickHouseEventSink(prt.store), metrics: prt.metrics, batchMaxRows: 1000 });
      // the good records twice: the same identities must map to the same pseudonyms
      const result = await gateway.submit([...good, ...good].map((r) => r.raw), 'auto', { source: 'test' });
      expect(result.stored).toBe(good.length * 2);
      const all = (await (await prt.store.client.query({ query: 'SELECT *, toString(client_ip) AS ip FROM events', format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>;
      const haystack = strings(all).join('\u0000');
      expect(leaksIn(haystack, corpus)).toEqual([]);
      expect(haystack).not.toMatch(/198\.51\.100\.\d/);
      expect(haystack).not.toMatch(/buyer\.[a-z0-9]{6}(@|%40)example\.net/);
      expect(all.every((r) => String(r.ip).startsWith('fd'))).toBe(true);
      const principals = all.map((r) => String(r.principal_id)).filter(Boolean);
      expect(principals.length).toBeGreaterThan(0);
      expect(principals.every((p) => /^(pn|fp):[0-9a-f]{32}$/.test(p))).toBe(true);
      // stable: each request id appears twice with the same pseudonymous address and principal
      const pairs = new Map<string, string>();
      for (const r of all) {
        const key = `${r.request_id}|${r.path}`;
        const val = `${r.ip}|${r.principal_id}`;
        if (pairs.has(key)) expect(pairs.get(key)).toBe(val);
        else pairs.set(key, val);
      }
    } finally {
      await prt.close();
    }
  });
});
