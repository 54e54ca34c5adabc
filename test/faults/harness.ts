/**
 * The fault suite's parts: a broker of its own (so that it can be restarted), the store as a
 * separate process (the embedded engine behind ClickHouse's HTTP interface, so that it can be
 * stopped, restarted, and shared by several workers), `gatewatch ingest` processes, a feeder
 * that produces a known set of records, and the exact counts every test ends with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../infra/kafka/broker.js';
import { openStore } from '../../services/storage/clickhouse.js';
import { migrate } from '../../services/storage/migrate.js';
import { mixedRecords, type Produced } from '../integration/kafka-fixtures.js';
import { silentLog, testConfig, tmpDir, waitFor } from '../integration/helpers.js';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gatewatch.js');
const STORE_PROCESS = join(import.meta.dirname, '..', 'bench', 'chdb-http-process.ts');
const PASSWORD = 'faults-store-pw';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A broker that can be stopped and started again on the same port and data. */
export interface Broker {
  brokers: string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function ownBroker(): Promise<Broker> {
  const dataDir = tmpDir('gw-faults-kafka-');
  let running: RunningBroker = await startBroker({ dataDir, keepData: true, heapMb: 512 });
  const { port, controllerPort } = running;
  let up = true;
  return {
    brokers: running.brokers,
    async stop() {
      await running.stop();
      up = false;
    },
    async start() {
      running = await startBroker({ dataDir, keepData: true, heapMb: 512, port, controllerPort });
      up = true;
    },
    async close() {
      if (up) await running.stop();
    },
  };
}

/** The store in a process of its own, on a fixed port, so that it can be stopped and come back. */
export interface StoreProcess {
  url: string;
  dataDir: string;
  client: ClickHouseClient;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function storeProcess(dataDir = join(tmpDir('gw-faults-store-'), 'engine')): Promise<StoreProcess> {
  mkdirSync(dataDir, { recursive: true });
  let child: ChildProcess | undefined;
  let port = 0;
  const launch = async () => {
    const c = spawn(process.execPath, ['--import', 'tsx', STORE_PROCESS, dataDir, PASSWORD, ...(port ? [String(port)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
      });
      c.once('exit', (code) => reject(new Error(`the store process exited (${code}): ${err}`)));
    });
    child = c;
    port = Number(new URL(url).port);
    return url;
  };
  const url = await launch();
  const client = createClient({ url, username: 'gatewatch', password: PASSWORD, request_timeout: 60_000 });
  // the schema, once, before any worker starts (workers started together would race to create it)
  const store = await openStore(testConfig({ clickhouse: { url, username: 'gatewatch', password: PASSWORD, retentionDays: 3650 } }));
  await migrate(store, 3650, silentLog);
  await store.close();
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await done;
  };
  return {
    url,
    dataDir,
    client,
    stop,
    async start() {
      await launch();
    },
    async close() {
      await client.close();
      await stop();
    },
  };
}

/** Offsets of a group on a topic, per partition: committed and end. */
export async function offsets(kafka: Kafka, groupId: string, topic: string): Promise<{ committed: number[]; end: number[] } | undefined> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const ends = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
    const [c] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = ends.map((e) => Math.max(0, Number(c?.partitions.find((p) => p.partition === e.partition)?.offset ?? 0)));
    return { committed, end: ends.map((e) => Number(e.high)) };
  } catch {
    return undefined; // coordinator or broker not ready: ask again
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * A known set of records fed to a topic in chunks at a steady pace. Sends are not retried: a
 * retried send can put a record on the topic twice and make the counts lie, so a failed send
 * fails the test. `pause()` waits for the send in flight (before a broker is stopped).
 */
export interface Feeder {
  records: Produced[];
  sent(): number;
  pause(): Promise<void>;
  resume(): void;
  /** resolves once every record is on the topic */
  done: Promise<void>;
  close(): Promise<void>;
}

export async function feeder(kafka: Kafka, topic: string, opts: { records: number; partitions: number; chunk?: number; everyMs?: number }): Promise<Feeder> {
  const records = mixedRecords(opts.records, topic);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: opts.partitions }], waitForLeaders: true });
  await admin.disconnect();
  const connect = async () => {
    const p = kafka.producer({ maxInFlightRequests: 1, retry: { retries: 0 } });
    await p.connect();
    return p;
  };
  let producer: Producer = await connect();
  let next = 0;
  let paused = false;
  let inFlight: Promise<void> = Promise.resolve();
  let resumeNow: () => void = () => {};
  const chunk = opts.chunk ?? 500;
  const done = (async () => {
    while (next < records.length) {
      if (paused) {
        await new Promise<void>((r) => (resumeNow = r));
        producer = await connect();
        continue;
      }
      const part = records.slice(next, next + chunk);
      inFlight = producer.send({ topic, acks: -1, timeout: 30_000, messages: part.map((r, j) => ({ key: String(next + j), value: r.value })) }).then(() => undefined);
      await inFlight;
      next += part.length;
      await sleep(opts.everyMs ?? 100);
    }
  })();
  done.catch(() => undefined);
  return {
    records,
    sent: () => next,
    async pause() {
      paused = true;
      await inFlight;
      await producer.disconnect().catch(() => undefined);
    },
    resume() {
      paused = false;
      resumeNow();
    },
    done,
    async close() {
      await producer.disconnect().catch(() => undefined);
    },
  };
}

/** Rows stored for a topic's records: count and unique markers of events, count and unique offsets of dead letters. */
export async function stored(client: ClickHouseClient, topic: string): Promise<{ n: number; u: number; d: number; du: number }> {
  const [r] = (await (
    await client.query({
      query: `SELECT count() AS n, uniqExact(if(request_id != '', request_id, path)) AS u,
                     (SELECT count() FROM gatewatch.dead_letters WHERE topic = {topic:String}) AS d,
                     (SELECT uniqExact(partition, offset) FROM gatewatch.dead_letters WHERE topic = {topic:String}) AS du
                FROM gatewatch.events WHERE position(if(request_id != '', request_id, path), {topic:String}) > 0`,
      query_params: { topic },
      format: 'JSONEachRow',
    })
  ).json()) as Array<{ n: string; u: string; d: string; du: string }>;
  return { n: Number(r!.n), u: Number(r!.u), d: Number(r!.d), du: Number(r!.du) };
}

/** What a topic's records should end as: the good ones stored once each, the bad ones dead-lettered once each. */
export const expected = (records: Produced[]) => {
  const good = records.filter((r) => r.good).length;
  return { n: good, u: good, d: records.length - good, du: records.length - good };
};

/** `gatewatch ingest` as a child process on the fault suite's broker and store. */
export interface Worker {
  name: string;
  child: ChildProcess;
  output: string[];
  /** resolves with the exit code (null when killed by a signal) */
  exited: Promise<number | null>;
}

export function ingestEnv(opts: { brokers: string[]; topic: string; storeUrl: string; dir: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_BROKERS: opts.brokers.join(','),
    KAFKA_TOPIC: opts.topic,
    CLICKHOUSE_URL: opts.storeUrl,
    CLICKHOUSE_USER: 'gatewatch',
    CLICKHOUSE_PASSWORD: PASSWORD,
    GATEWATCH_DATA_DIR: opts.dir,
    GATEWATCH_LOG_LEVEL: 'warn',
    GATEWATCH_FINGERPRINT_KEY: 'faults-fingerprint-key-0123456789',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
}

/** A config file for the workers of one test (the group, the dead-letter topic, small batches). */
export function workerConfig(dir: string, topic: string, extra: { kafka?: Record<string, unknown>; ingest?: Record<string, unknown> } = {}): string {
  const file = join(dir, `${topic}.json`);
  writeFileSync(file, JSON.stringify({ clickhouse: { retentionDays: 3650 }, kafka: { groupId: `${topic}-group`, dlqTopic: `${topic}-dlq`, ...extra.kafka }, ingest: { batchMaxRows: 250, batchMaxAgeMs: 300, ...extra.ingest } }));
  return file;
}

export function startWorker(name: string, env: NodeJS.ProcessEnv, configFile: string): Worker {
  const child = spawn(process.execPath, [BIN, 'ingest'], { env: { ...env, GATEWATCH_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { name, child, output, exited };
}

export async function kill(w: Worker, signal: NodeJS.Signals): Promise<number | null> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill(signal);
  return w.exited;
}

/** Waits until every partition's committed offset has passed `marks` (offsets seen at a moment); returns how long it took. */
export async function passed(kafka: Kafka, groupId: string, topic: string, marks: number[], what: string, timeoutMs = 120_000): Promise<number> {
  const t0 = Date.now();
  await waitFor(() => offsets(kafka, groupId, topic), (o) => o !== undefined && marks.every((m, i) => (o.committed[i] ?? 0) > m || (m === o.end[i] && o.committed[i] === m)), { what, timeoutMs });
  return Date.now() - t0;
}

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: 'faults', logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1000 } });
}
