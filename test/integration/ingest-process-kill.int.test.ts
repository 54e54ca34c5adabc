/**
 * The real thing: `gatewatch ingest` as a child process, SIGKILLed mid-stream, restarted, then
 * stopped with SIGTERM. Whatever the kill interrupted (a batch being built, journalled,
 * inserted or committed), every record must be stored exactly once.
 */
import { describe, expect, inject, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { mixedRecords } from './kafka-fixtures.js';
import { tmpDir, unique, waitFor } from './helpers.js';

const brokers = inject('kafkaBrokers');
const kafka = new Kafka({ brokers, clientId: 'kill-test', logLevel: logLevel.NOTHING });
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gatewatch.js');

async function committedTotal(groupId: string, topic: string): Promise<{ committed: number; end: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [c] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = (c?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    return { committed, end: ends.reduce((n, e) => n + Number(e.high), 0) };
  } catch {
    return { committed: -1, end: -2 }; // coordinator not ready yet: ask again
  } finally {
    await admin.disconnect();
  }
}

describe('gatewatch ingest killed mid-stream', () => {
  it('loses nothing and stores nothing twice across SIGKILL and restart', { timeout: 240_000 }, async () => {
    process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
    const topic = unique('kill');
    const groupId = `${topic}-group`;
    const dataDir = tmpDir();
    const configFile = join(dataDir, '..', `${topic}.json`);
    writeFileSync(configFile, JSON.stringify({ clickhouse: { retentionDays: 3650 }, kafka: { groupId, dlqTopic: `${topic}-dlq`, sessionTimeoutMs: 6000 }, ingest: { batchMaxRows: 250, batchMaxAgeMs: 300 } }));
    const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, GATEWATCH_DATA_DIR: dataDir, GATEWATCH_CONFIG: configFile, GATEWATCH_LOG_LEVEL: 'warn', GATEWATCH_FINGERPRINT_KEY: 'kill-test-fingerprint-key-0123456789' };

    const records = mixedRecords(24_000, topic);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    // no retries: a retried send could put a record on the topic twice (see kafka-helpers.ts)
    const producer = kafka.producer({ maxInFlightRequests: 1, retry: { retries: 0 } });
    await producer.connect();
    const send = async (part: typeof records) => {
      for (let i = 0; i < part.length; i += 1000) await producer.send({ topic, acks: -1, timeout: 30_000, messages: part.slice(i, i + 1000).map((r) => ({ value: r.value })) });
    };
    await send(records.slice(0, 16_000));

    const run = (): ChildProcess => spawn(process.execPath, [BIN, 'ingest'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const first = run();
    let stderr = '';
    first.stderr?.on('data', (d) => (stderr += d));
    await waitFor(() => committedTotal(groupId, topic), (p) => p.committed > 0, { what: 'first commits', timeoutMs: 60_000 });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await committedTotal(groupId, topic);
    expect(atKill.committed).toBeLessThan(atKill.end); // it really died mid-stream

    await send(records.slice(16_000));
    await producer.disconnect();
    const second = run();
    second.stderr?.on('data', (d) => (stderr += d));
    await waitFor(() => committedTotal(groupId, topic), (p) => p.committed === p.end && p.end === records.length, { what: 'all offsets committed after restart', timeoutMs: 150_000 });
    second.kill('SIGTERM');
    const code = await new Promise((r) => second.once('exit', r));
    expect(code).toBe(0); // graceful: flushed, committed, closed

    const good = records.filter((r) => r.good).length;
    const q = spawnSync(process.execPath, [BIN, 'query', `SELECT count() AS n, uniqExact(if(request_id != '', request_id, path)) AS u, (SELECT count() FROM dead_letters) AS d FROM events FORMAT JSONEachRow`], { env, encoding: 'utf8' });
    expect(q.status, q.stderr).toBe(0);
    const r = JSON.parse(q.stdout) as { n: number; u: number; d: number };
    expect({ n: Number(r.n), u: Number(r.u), d: Number(r.d) }).toEqual({ n: good, u: good, d: records.length - good });
    expect(stderr).not.toMatch(/"level":50/);
  });
});
