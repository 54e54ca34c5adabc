/**
 * npm run bench:ingest [-- --records N --partitions P --threads T --batch ROWS --runs full,discarded,http]
 *
 * BENCH_NODE_ARGS passes Node flags to the worker process (for example
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`: one profile per thread).
 *
 * Pushes N records (default 1,000,000) through Kafka → parse → redact → enrich → ClickHouse
 * and prints records/s per stage and end to end, plus the worker's peak RSS. The end-to-end
 * run is a real `gatewatch ingest` process (so its RSS is its own) against a real broker
 * (started here unless KAFKA_BROKERS is set) and the embedded ClickHouse engine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { startBroker } from '../../infra/kafka/broker.js';
import { validateConfig } from '../../services/shared/config.js';
import { openStore } from '../../services/storage/clickhouse.js';
import { migrate } from '../../services/storage/migrate.js';
import { createRecordParser } from '../../services/ingest/parsers/parse-record.js';
import { buildPipeline } from '../../services/ingest/build-pipeline.js';
import { createClickHouseEventSink, encodeEvents } from '../../services/storage/clickhouse-event-sink.js';
import type { NormalizedEvent } from '../../schemas/event-schema.js';
import { tmpDir } from '../integration/helpers.js';
import { benchRecords } from './bench-data.js';
import { useRunTmpDir } from '../run-tmp.js';

// the run's temporary files (data directories, broker logs) under one folder, removed at exit
useRunTmpDir('gatewatch-bench-run-', { signals: true });

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('records', 1_000_000);
const PARTITIONS = arg('partitions', 4);
/** pipeline threads of the worker (ingest.pipelineThreads); default: the worker's default */
const THREADS = process.argv.includes('--threads') ? arg('threads', 1) : undefined;
const SAMPLE = Math.min(N, 200_000);
const log = pino({ level: 'warn' });
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gatewatch.js');

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
console.log(`records: ${N.toLocaleString('en-US')} (5 formats, 50k client IPs), partitions: ${PARTITIONS}, pipeline threads: ${THREADS ?? 'default'}\n`);
const records = benchRecords(N);
const sample = records.slice(0, SAMPLE);

// ---- stage 1: parse only
const parse = createRecordParser({ maxRecordBytes: 1_048_576 });
let t = performance.now();
for (const r of sample) parse(r);
const parseMs = performance.now() - t;

// ---- stage 2: the whole pipeline (parse + redact + principal + GeoIP/ASN enrichment)
const dataDir = tmpDir('gw-bench-');
const config = validateConfig({ dataDir, logLevel: 'warn', fingerprintKey: 'bench-fingerprint-key-0123456789abcdef', ingest: { batchMaxRows: 50_000 } });
const pipeline = await buildPipeline(config, log);
const events: NormalizedEvent[] = [];
t = performance.now();
for (const r of sample) for (const o of pipeline(r)) if (o.kind === 'ok') events.push(o.event);
const pipelineMs = performance.now() - t;

// ---- stage 3: ClickHouse insert (embedded engine, 50k-row JSONEachRow batches with dedup tokens)
const insertDir = tmpDir('gw-bench-insert-');
const store = await openStore(validateConfig({ dataDir: insertDir }));
await migrate(store, 90, log);
const sink = createClickHouseEventSink(store);
t = performance.now();
for (let i = 0; i < events.length; i += 50_000) await sink.insertRows(encodeEvents(events.slice(i, i + 50_000)), `bench-${i}`);
const insertMs = performance.now() - t;
await store.close();

// ---- Kafka: produce, then consume-only throughput
const broker = process.env.KAFKA_BROKERS ? undefined : await startBroker({ heapMb: 1024 });
const brokers = process.env.KAFKA_BROKERS?.split(',') ?? broker!.brokers;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const kafka = new Kafka({ brokers, clientId: 'bench', logLevel: logLevel.NOTHING });
const topic = `bench-${Date.now()}`;
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
t = performance.now();
for (let i = 0; i < N; i += 5000) {
  await producer.send({ topic, acks: 1, messages: records.slice(i, i + 5000).map((value) => ({ value })) });
}
const produceMs = performance.now() - t;
await producer.disconnect();

const consumer = kafka.consumer({ groupId: `${topic}-read`, maxBytesPerPartition: 16 * 2 ** 20, maxBytes: 64 * 2 ** 20 });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let consumed = 0;
let consumeStart = 0;
const consumeMs = await new Promise<number>((resolve) => {
  void consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      if (!consumeStart) consumeStart = performance.now();
      consumed += batch.messages.length;
      if (consumed >= N) resolve(performance.now() - consumeStart);
    },
  });
});
await consumer.disconnect();

// ---- end to end: a real `gatewatch ingest` process
const cfgFile = join(dataDir, 'bench-config.json');
const groupId = `${topic}-gatewatch`;
writeFileSync(cfgFile, JSON.stringify({ kafka: { groupId, dlqTopic: `${topic}-dlq` }, ingest: { batchMaxRows: arg('batch', 20_000), batchMaxAgeMs: 1000 } }));
const env = { ...process.env, ...(THREADS !== undefined ? { GATEWATCH_PIPELINE_THREADS: String(THREADS) } : {}), KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, GATEWATCH_DATA_DIR: dataDir, GATEWATCH_CONFIG: cfgFile, GATEWATCH_LOG_LEVEL: 'warn', GATEWATCH_FINGERPRINT_KEY: 'bench-fingerprint-key-0123456789abcdef' };

/** CPU seconds (user + system) a process has used, from /proc */
const cpuSeconds = (pid: number | undefined) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
};

interface Run {
  spawnedAt: number;
  firstCommitAt: number;
  doneAt: number;
  peakRssKb: number;
  workerCpu: number;
  brokerCpu: number;
  /** the ClickHouse process of an http run */
  server?: { peakRssKb: number; cpu: number };
}

/** Runs a worker process until its group has committed all N records; SIGTERM after. */
async function measure(args: string[], group: string, extraEnv: Record<string, string> = {}, serverPid?: number): Promise<Run> {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(' ') ?? []), ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'inherit', 'inherit'] });
  const spawnedAt = performance.now();
  let peakRssKb = 0;
  let firstCommitAt = 0;
  let workerCpu0 = 0;
  let brokerCpu0 = 0;
  let serverCpu0 = 0;
  const committed = async () => {
    try {
      const [c] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return (c?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    } catch {
      return 0;
    }
  };
  for (;;) {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peakRssKb = Math.max(peakRssKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      /* process gone */
    }
    const c = await committed();
    if (c > 0 && !firstCommitAt) {
      firstCommitAt = performance.now();
      workerCpu0 = cpuSeconds(child.pid);
      brokerCpu0 = cpuSeconds(broker?.process.pid);
      serverCpu0 = cpuSeconds(serverPid);
    }
    if (c >= N) break;
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const doneAt = performance.now();
  const run: Run = { spawnedAt, firstCommitAt, doneAt, peakRssKb, workerCpu: cpuSeconds(child.pid) - workerCpu0, brokerCpu: broker ? cpuSeconds(broker.process.pid) - brokerCpu0 : NaN };
  if (serverPid) run.server = { peakRssKb: Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${serverPid}/status`, 'utf8'))?.[1] ?? 0), cpu: cpuSeconds(serverPid) - serverCpu0 };
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return run;
}

const runsIdx = process.argv.indexOf('--runs');
const RUNS = new Set((runsIdx > 0 ? process.argv[runsIdx + 1]! : 'full,discarded').split(','));
const full = RUNS.has('full') ? await measure([BIN, 'ingest'], groupId) : undefined;
// the same worker with every insert discarded: what the process does besides the engine
// (the share it keeps when ClickHouse runs as a server elsewhere)
const discarded = !RUNS.has('discarded') ? undefined : await measure([join(import.meta.dirname, 'run-bundled.mjs'), join(import.meta.dirname, 'ingest-worker-discarding.ts')], `${topic}-discarding`, { BENCH_GROUP: `${topic}-discarding` });
// the worker on the server path: its inserts go over HTTP to the engine in a process of its
// own, as to a ClickHouse server (which cannot run here); that process shares the two cores
let http: (Run & { stored: number }) | undefined;
if (RUNS.has('http')) {
  const password = 'bench-clickhouse-password';
  const server = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'chdb-http-process.ts'), join(dataDir, 'clickhouse-http'), password], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout!.once('data', (d: Buffer) => resolve(d.toString('utf8').trim()));
    server.once('exit', (code) => reject(new Error(`the ClickHouse HTTP process exited with ${code}`)));
  });
  // a consumer group of its own: it reads the topic from the start, like the first run
  const httpConfig = join(dataDir, 'bench-config-http.json');
  writeFileSync(httpConfig, JSON.stringify({ kafka: { groupId: `${topic}-http`, dlqTopic: `${topic}-dlq` }, ingest: { batchMaxRows: arg('batch', 20_000), batchMaxAgeMs: 1000 } }));
  const run = await measure([BIN, 'ingest'], `${topic}-http`, { CLICKHOUSE_URL: url, CLICKHOUSE_USER: 'gatewatch', CLICKHOUSE_PASSWORD: password, GATEWATCH_CONFIG: httpConfig }, server.pid);
  const res = await fetch(url, { method: 'POST', body: 'SELECT count() FROM gatewatch.events', headers: { authorization: `Basic ${Buffer.from(`gatewatch:${password}`).toString('base64')}` } });
  http = { ...run, stored: Number((await res.text()).trim()) };
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}
await admin.disconnect();
await broker?.stop();

const q = full ? spawnSync(process.execPath, [BIN, 'query', 'SELECT count() FROM events FORMAT TSV'], { env, encoding: 'utf8' }) : undefined;
const stored = Number(q?.stdout.trim());

console.log('stage                                   records/s   (single thread, in-process, ' + SAMPLE.toLocaleString('en-US') + ' records)');
console.log(`parse                                   ${rate(SAMPLE, parseMs).padStart(10)}`);
console.log(`parse + redact + principal + GeoIP/ASN  ${rate(SAMPLE, pipelineMs).padStart(10)}`);
console.log(`ClickHouse insert (chDB, 50k batches)   ${rate(events.length, insertMs).padStart(10)}`);
console.log(`Kafka produce (kafkajs, acks=1)         ${rate(N, produceMs).padStart(10)}`);
console.log(`Kafka consume only (kafkajs)            ${rate(N, consumeMs).padStart(10)}`);
function report(title: string, r: Run): void {
  const cores = (cpu: number) => (cpu / ((r.doneAt - r.firstCommitAt) / 1000)).toFixed(2);
  console.log('');
  console.log(title);
  console.log(`  from process start       ${rate(N, r.doneAt - r.spawnedAt).padStart(10)} records/s  (${((r.doneAt - r.spawnedAt) / 1000).toFixed(1)} s, includes start-up)`);
  console.log(`  from first commit        ${rate(N, r.doneAt - r.firstCommitAt).padStart(10)} records/s  (${((r.doneAt - r.firstCommitAt) / 1000).toFixed(1)} s)`);
  console.log(`  CPU, first commit to end  worker ${cores(r.workerCpu)} cores, broker ${cores(r.brokerCpu)} cores (of ${cpus().length})`);
  console.log(`  peak RSS                 ${(r.peakRssKb / 1024).toFixed(0).padStart(10)} MB`);
}
if (full) {
  report(`end to end, one gatewatch ingest process, ${N.toLocaleString('en-US')} records:`, full);
  console.log(`  rows stored              ${stored.toLocaleString('en-US').padStart(10)}  (expected ${N.toLocaleString('en-US')})`);
}
if (discarded) report('the same worker with its inserts discarded (no engine in the process; not a product mode):', discarded);
if (http) {
  report('the worker on the server path (CLICKHOUSE_URL): inserts over HTTP to the engine in another process, on the same two cores:', http);
  const seconds = (http.doneAt - http.firstCommitAt) / 1000;
  console.log(`  the ClickHouse process      ${(http.server!.cpu / seconds).toFixed(2)} cores, peak RSS ${(http.server!.peakRssKb / 1024).toFixed(0)} MB`);
  console.log(`  rows stored              ${http.stored.toLocaleString('en-US').padStart(10)}  (expected ${N.toLocaleString('en-US')})`);
}
process.exit((!full || stored === N) && (!http || http.stored === N) ? 0 : 1);
