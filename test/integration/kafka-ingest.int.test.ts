/**
 * The Kafka ingest worker against the real broker and the real ClickHouse engine: mixed
 * formats end to end, dead letters with reasons, a store that fails and recovers, and a crash
 * between insert and commit. Invariants asserted: nothing lost, nothing stored twice,
 * every partition committed to its end.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startPipelineThreads, type ChunkProcessor } from '../../services/ingest/pipeline-threads.js';
import { createClickHouseEventSink, type EventSink } from '../../services/storage/clickhouse-event-sink.js';
import { createClickHouseBatchJournal } from '../../services/storage/batch-journal.js';
import { KafkaIngestWorker } from '../../services/ingest/kafka-ingest-worker.js';
import { createKafkaIngest } from '../../services/ingest/ingest-gateway.js';
import { buildRedactor } from '../../services/ingest/build-pipeline.js';
import { makeDeadLetter } from '../../services/ingest/pipeline/process-record.js';
import { StoreUnavailableError } from '../../services/shared/errors.js';
import type { Config } from '../../schemas/config-schema.js';
import { JWT_ALICE } from '../fixtures/gateway-logs.js';
import { mixedRecords } from './kafka-fixtures.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { silentLog, testConfig, tmpDir, unique, waitFor } from './helpers.js';
import { fullyCommitted as committedFor, produce as produceTo } from './kafka-helpers.js';

const brokers = inject('kafkaBrokers');
const kafka = new Kafka({ brokers, clientId: 'test', logLevel: logLevel.NOTHING });
let rt: Runtime;
const produce = (topic: string, values: string[], partitions?: number) => produceTo(kafka, topic, values, partitions);
const fullyCommitted = (groupId: string, topic: string) => committedFor(kafka, groupId, topic);

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  rt = await openRuntime(testConfig({ clickhouse: { retentionDays: 3650 } }), { role: 'test', log: silentLog });
});
afterAll(async () => rt?.close());

async function count(sql: string): Promise<number> {
  const r = (await (await rt.store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as Array<{ n: string | number }>;
  return Number(r[0]?.n ?? 0);
}

const processors: ChunkProcessor[] = [];
afterAll(async () => {
  await Promise.all(processors.map((p) => p.close()));
});

/** The worker as the ingest role builds it: the pipeline in threads (two here, so fetches are split between them). */
async function startWorker(config: Config, sink: EventSink, threadEntry?: URL): Promise<KafkaIngestWorker> {
  const processor = await startPipelineThreads(config, silentLog, 2, { metrics: rt.metrics, ...(threadEntry ? { entry: threadEntry } : {}) });
  processors.push(processor);
  const worker = new KafkaIngestWorker({
    kafka: new Kafka({ brokers, clientId: 'gatewatch-test', logLevel: logLevel.NOTHING }),
    config,
    processor,
    sink,
    journal: createClickHouseBatchJournal(rt.store),
    metrics: rt.metrics,
    log: silentLog,
  });
  await worker.start();
  return worker;
}

function configFor(topic: string, extra: Record<string, unknown> = {}): Config {
  return testConfig({
    clickhouse: { retentionDays: 3650 },
    kafka: { brokers, topic, dlqTopic: `${topic}-dlq`, groupId: `${topic}-group` },
    ingest: { batchMaxRows: 400, batchMaxAgeMs: 200, storeRetryMaxMs: 300, ...extra },
  });
}

describe('Kafka → ClickHouse', () => {
  it('stores a few thousand mixed-format records, dead-letters the bad ones with reasons', async () => {
    const topic = unique('mixed');
    const records = mixedRecords(3000, topic);
    await produce(topic, records.map((r) => r.value));
    const config = configFor(topic);
    const worker = await startWorker(config, createClickHouseEventSink(rt.store));
    try {
      const good = records.filter((r) => r.good).length;
      await waitFor(() => fullyCommitted(config.kafka.groupId, topic), (d) => d, { what: 'all offsets committed' });
      expect(await count(`SELECT count() AS n FROM events WHERE request_id LIKE '${topic}-%' OR path LIKE '/n/${topic}-%'`)).toBe(good);
      expect(await count(`SELECT uniqExact(if(request_id != '', request_id, path)) AS n FROM events WHERE request_id LIKE '${topic}-%' OR path LIKE '/n/${topic}-%'`)).toBe(good);
      expect(await count(`SELECT count() AS n FROM dead_letters WHERE topic = '${topic}'`)).toBe(300);

      const byFormat = (await (await rt.store.client.query({ query: `SELECT source_format AS f, count() AS n FROM events WHERE request_id LIKE '${topic}-%' OR path LIKE '/n/${topic}-%' GROUP BY f ORDER BY f`, format: 'JSONEachRow' })).json()) as Array<{ f: string; n: number }>;
      expect(byFormat.map((r) => [r.f, Number(r.n)])).toEqual([['aws-apigw', 300], ['azure-apim', 300], ['envoy-json', 300], ['envoy-text', 300], ['generic-json', 300], ['kong', 300], ['nginx-combined', 300], ['nginx-json', 300], ['traefik', 300]]);

      const [nginx] = (await (await rt.store.client.query({ query: `SELECT * EXCEPT ingest_time, toString(client_ip) AS ip FROM events WHERE path = '/n/${topic}-10'`, format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>;
      expect({ ...nginx, bytes_in: Number(nginx!.bytes_in), bytes_out: Number(nginx!.bytes_out) }).toEqual({
        event_time: '2026-11-28 10:10:00.000', gateway: 'nginx', source_format: 'nginx-combined', request_id: '', method: 'GET', host: '',
        path: `/n/${topic}-10`, route: `/n/${topic}-10`, query: 'api_key=[REDACTED:param]', status: 200, latency_ms: 0, bytes_in: 0, bytes_out: 10,
        client_ip: '::ffff:198.51.100.10', ip: '::ffff:198.51.100.10', principal_type: 'api_key', principal_id: expect.stringMatching(/^fp:[0-9a-f]{32}$/),
        auth_outcome: 'success', user_agent: 'k6', headers: {}, country: '', city: '', lat: null, lon: null, asn: 0, as_org: '', redacted_fields: 1,
      });
      const [jwtRow] = (await (await rt.store.client.query({ query: `SELECT principal_type, principal_id, query, route FROM events WHERE request_id = '${topic}-1'`, format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>;
      expect(jwtRow).toEqual({ principal_type: 'jwt_sub', principal_id: 'alice', query: 'page=2&access_token=[REDACTED:param]', route: '/api/v1/users/{id}/orders' });

      // the dead-letter topic carries each bad record once, with its reason, redacted
      const reasons = new Map<string, number>();
      let seen = 0;
      let leaked = false;
      const consumer = kafka.consumer({ groupId: unique('dlq-reader') });
      await consumer.connect();
      await consumer.subscribe({ topic: config.kafka.dlqTopic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const letter = JSON.parse(message.value!.toString()) as { reason: string; topic: string; record: string };
          if (letter.topic !== topic) return;
          seen++;
          reasons.set(letter.reason, (reasons.get(letter.reason) ?? 0) + 1);
          if (letter.record.includes(JWT_ALICE.split('.')[1]!)) leaked = true;
        },
      });
      await waitFor(async () => seen, (n) => n >= 300, { what: 'dead letters on the DLQ topic' });
      await consumer.disconnect();
      expect(seen).toBe(300);
      expect(leaked).toBe(false);
      // the four kinds of bad record, 75 of each: truncated JSON, control characters, a Kong
      // record with a garbage timestamp, words
      expect(Object.fromEntries(reasons)).toEqual({ invalid_json: 75, unknown_format: 150, invalid_field: 75 });
    } finally {
      await worker.stop();
    }
  });

  it('holds its batches while the store is down and stores each record once when it is back', async () => {
    const topic = unique('outage');
    const records = mixedRecords(2000, topic).filter((r) => r.good);
    await produce(topic, records.map((r) => r.value));
    const real = createClickHouseEventSink(rt.store);
    let down = true;
    let refused = 0;
    let lostAcks = 0;
    const flaky: EventSink = {
      async insertRows(rows, token) {
        if (down) {
          refused++;
          throw new StoreUnavailableError('connection refused (injected)');
        }
        await real.insertRows(rows, token);
        // the write landed but the acknowledgement is lost: the retry must not store it twice
        if (lostAcks++ < 3) throw new StoreUnavailableError('socket hang up after write (injected)');
      },
      insertDeadLetters: (l, t) => real.insertDeadLetters(l, t),
    };
    const config = configFor(topic);
    const worker = await startWorker(config, flaky);
    try {
      await waitFor(async () => refused, (n) => n >= 5, { what: 'the worker to hit the outage' });
      expect(await fullyCommitted(config.kafka.groupId, topic)).toBe(false);
      expect(await count(`SELECT count() AS n FROM events WHERE request_id LIKE '${topic}-%' OR path LIKE '/n/${topic}-%'`)).toBe(0);
      down = false;
      await waitFor(() => fullyCommitted(config.kafka.groupId, topic), (d) => d, { what: 'all offsets committed after recovery' });
      const where = `request_id LIKE '${topic}-%' OR path LIKE '/n/${topic}-%'`;
      expect(await count(`SELECT count() AS n FROM events WHERE ${where}`)).toBe(records.length);
      expect(await count(`SELECT uniqExact(if(request_id != '', request_id, path)) AS n FROM events WHERE ${where}`)).toBe(records.length);
    } finally {
      await worker.stop();
    }
  });

  it('loses nothing and stores nothing twice when a pipeline thread dies mid-stream', async () => {
    const topic = unique('thread-death');
    const records = mixedRecords(1500, topic).filter((r) => r.good);
    const values = records.map((r) => r.value);
    values.splice(700, 0, 'die-once'); // kills the thread that gets it, the first time
    await produce(topic, values, 1);
    process.env.GW_DIE_ONCE_FILE = join(tmpDir('gw-die-'), 'died');
    const config = configFor(topic);
    const worker = await startWorker(config, createClickHouseEventSink(rt.store), new URL('./dying-pipeline-thread.mjs', import.meta.url));
    try {
      await waitFor(() => fullyCommitted(config.kafka.groupId, topic), (d) => d, { what: 'all offsets committed after the thread restarted' });
      expect(existsSync(process.env.GW_DIE_ONCE_FILE)).toBe(true); // it did die…
      expect((await rt.metrics.pipelineThreadFailures.get()).values[0]?.value).toBe(1); // …and the operator sees it
      const where = `request_id LIKE '${topic}-%' OR path LIKE '/n/${topic}-%'`;
      expect(await count(`SELECT count() AS n FROM events WHERE ${where}`)).toBe(records.length);
      expect(await count(`SELECT uniqExact(if(request_id != '', request_id, path)) AS n FROM events WHERE ${where}`)).toBe(records.length);
      expect(await count(`SELECT count() AS n FROM dead_letters WHERE topic = '${topic}' AND record = 'die-once'`)).toBe(1);
    } finally {
      await worker.stop();
      delete process.env.GW_DIE_ONCE_FILE;
    }
  });

  it('rebuilds the same batch after a failure between insert and commit, so nothing is stored twice', { timeout: 120_000 }, async () => {
    const topic = unique('crash');
    const records = mixedRecords(1500, topic).filter((r) => r.good);
    await produce(topic, records.map((r) => r.value), 1);
    const real = createClickHouseEventSink(rt.store);
    let inserts = 0;
    const crashing: EventSink = {
      async insertRows(rows, token) {
        await real.insertRows(rows, token);
        // after the second batch is stored, die before the offset commit (not retriable)
        if (++inserts === 2) throw new Error('process died after insert (injected)');
      },
      insertDeadLetters: (l, t) => real.insertDeadLetters(l, t),
    };
    const config = configFor(topic, { batchMaxRows: 300, batchMaxAgeMs: 1000 });
    const worker = await startWorker(config, crashing);
    try {
      await waitFor(() => fullyCommitted(config.kafka.groupId, topic), (d) => d, { what: 'all offsets committed after the consumer restarted', timeoutMs: 90_000 });
      const where = `request_id LIKE '${topic}-%' OR path LIKE '/n/${topic}-%'`;
      expect(inserts).toBeGreaterThan(records.length / 300); // the crashed batch was written again…
      expect(await count(`SELECT count() AS n FROM events WHERE ${where}`)).toBe(records.length); // …and stored once
      expect(await count(`SELECT uniqExact(if(request_id != '', request_id, path)) AS n FROM events WHERE ${where}`)).toBe(records.length);
    } finally {
      await worker.stop();
    }
  });

  it('in Kafka mode, HTTP-shipped records go through the topic and keep their ?format= pin', async () => {
    const topic = unique('http-kafka');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    // idempotent: a retried send must not put a record on the topic twice, or the counts below lie
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const redactor = buildRedactor(rt.config, silentLog);
    const gateway = createKafkaIngest({ producer, topic, refusals: { sink: createClickHouseEventSink(rt.store), metrics: rt.metrics, letter: (raw, reason, detail) => makeDeadLetter(redactor, raw, reason, detail) } });
    // a generic-JSON record that would be auto-detected as Kong: the pin must win
    const line = JSON.stringify({ started_at: Date.UTC(2026, 10, 28, 9), request: { method: 'GET' }, latencies: {}, timestamp: '2026-11-28T09:00:00Z', method: 'get', url: `/pinned/${topic}`, status: 201 });
    const result = await gateway.submit([line, line], 'generic-json', { source: 'http' });
    expect(result).toMatchObject({ received: 2, queued: 2, stored: 0 });
    await producer.disconnect();
    const config = configFor(topic);
    const worker = await startWorker(config, createClickHouseEventSink(rt.store));
    try {
      await waitFor(() => fullyCommitted(config.kafka.groupId, topic), (d) => d, { what: 'offsets committed' });
      const stored = (await (await rt.store.client.query({ query: `SELECT source_format, status FROM events WHERE path = '/pinned/${topic}'`, format: 'JSONEachRow' })).json()) as Array<{ source_format: string; status: number }>;
      expect(stored).toEqual([{ source_format: 'generic-json', status: 201 }, { source_format: 'generic-json', status: 201 }]);
    } finally {
      await worker.stop();
    }
  });
});
