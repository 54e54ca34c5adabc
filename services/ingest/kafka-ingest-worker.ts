/**
 * Kafka → ClickHouse ingest worker, one member of a consumer group.
 *
 * Invariants:
 * - An offset is committed only after ClickHouse acknowledged every record before it
 *   (events and dead letters), so a crash loses nothing: uncommitted records come again.
 * - Every insert is a journalled offset range with a token derived from that range, so
 *   records that come again are not stored twice (see batch-journal.ts).
 * - A record that cannot be parsed is an outcome (dead letter), not an exception: it never
 *   stops the worker or its batch.
 * - While ClickHouse is unavailable the worker holds its batch and retries with backoff,
 *   heartbeating so it keeps its partitions; it neither crashes nor skips.
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config, LogFormat } from '../../schemas/config-schema.js';
import { FORMATS } from '../../schemas/config-schema.js';
import { errorMessage } from '../shared/errors.js';
import type { Metrics } from '../shared/metrics.js';
import { Mutex } from '../shared/mutex.js';
import { retryUntil, sleep } from '../shared/retry.js';
import { Batch, writeBatch } from './batch.js';
import { batchToken, type BatchJournal, type OffsetRange } from './batch-journal.js';
import type { EventSink } from './clickhouse-event-sink.js';
import type { ProcessRecord } from './pipeline/process-record.js';

export const FORMAT_HEADER = 'gatewatch-format';

interface PartitionState {
  topic: string;
  partition: number;
  batch: Batch;
  first?: bigint;
  last?: bigint;
  openedAt: number;
  /** journalled ranges to rebuild exactly; undefined until read after (re)assignment */
  plans?: OffsetRange[];
  fromPlan: boolean;
  /** the offset this worker knows to be committed: where to rewind to after a failure */
  committed: bigint;
}

export interface KafkaIngestWorkerDeps {
  kafka: Kafka;
  config: Config;
  processRecord: ProcessRecord;
  sink: EventSink;
  journal: BatchJournal;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
}

export class KafkaIngestWorker {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly mutex = new Mutex();
  private readonly partitions = new Map<string, PartitionState>();
  private readonly group: string;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private crashed: string | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly deps: KafkaIngestWorkerDeps) {
    const { kafka, config } = deps;
    this.group = config.kafka.groupId;
    this.now = deps.now ?? Date.now;
    this.consumer = kafka.consumer({
      groupId: this.group,
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.max(1000, Math.floor(config.kafka.sessionTimeoutMs / 10)),
      retry: { retries: 10 },
    });
    this.producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      // A new generation restarts fetching at the committed offsets: whatever was buffered
      // (not yet journalled) will come again, and journalled ranges must be re-read.
      void this.mutex.run(async () => {
        this.partitions.clear();
        deps.log.info({ assignment: e.payload.memberAssignment }, 'partitions assigned');
      });
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.crashed = e.payload.restart ? undefined : errorMessage(e.payload.error);
      const entry = { err: errorMessage(e.payload.error), restart: e.payload.restart };
      if (e.payload.restart) deps.log.warn(entry, 'consumer failed and restarts');
      else deps.log.error(entry, 'consumer crashed and stopped');
    });
  }

  async start(): Promise<void> {
    const { config, log } = this.deps;
    await this.ensureTopics();
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [config.kafka.topic, ...Object.keys(config.kafka.topicFormats).filter((t) => t !== config.kafka.topic)], fromBeginning: config.kafka.fromBeginning });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.mutex.run(() => this.onBatch(payload)),
    });
    const tick = Math.max(10, Math.floor(config.ingest.batchMaxAgeMs / 2));
    this.timer = setInterval(() => void this.mutex.run(() => this.flushAged()), tick);
    log.info({ topic: config.kafka.topic, group: this.group }, 'kafka ingest worker started');
  }

  /** Flushes what is buffered, commits it, leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    try {
      await this.mutex.run(async () => {
        // a half-rebuilt journalled range is left to the next owner, which rebuilds it whole
        for (const st of this.partitions.values()) if (st.first !== undefined && !st.fromPlan) await this.flush(st, async () => {});
      });
    } catch (err) {
      this.deps.log.warn({ err: errorMessage(err) }, 'final flush failed: uncommitted records will be redelivered');
    }
    this.abort.abort();
    await this.consumer.disconnect();
    await this.producer.disconnect();
    this.deps.log.info('kafka ingest worker stopped');
  }

  /** For /readyz: the worker runs and its consumer group is stable (not rebalancing, not dead). */
  async checkReady(): Promise<void> {
    if (!this.running) throw new Error('ingest worker is not running');
    if (this.crashed) throw new Error(`consumer crashed: ${this.crashed}`);
    const group = await this.consumer.describeGroup();
    if (group.state !== 'Stable') throw new Error(`consumer group is ${group.state}`);
  }

  private async ensureTopics(): Promise<void> {
    const { kafka, config } = this.deps;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const wanted = [config.kafka.topic, config.kafka.dlqTopic].filter((t) => !existing.has(t));
      if (wanted.length) await admin.createTopics({ topics: wanted.map((topic) => ({ topic })), waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }

  /** State of a partition; created at its first batch after (re)assignment or a rewind, when fetching starts at the committed offset. */
  private state(topic: string, partition: number, firstOffset: string): PartitionState {
    const key = `${topic}/${partition}`;
    let st = this.partitions.get(key);
    if (!st) {
      st = { topic, partition, batch: new Batch(), openedAt: this.now(), fromPlan: false, committed: BigInt(firstOffset) };
      this.partitions.set(key, st);
    }
    return st;
  }

  /**
   * A failure that retrying cannot fix (a bug, an insert that died after writing) leaves the
   * buffered records resolved but not stored. Drop the partition's state and rewind to the
   * committed offset: the records come again and the journal rebuilds the same batches.
   */
  private async onBatch(payload: EachBatchPayload): Promise<void> {
    try {
      await this.consume(payload);
    } catch (err) {
      if (!this.running) return;
      const { topic, partition } = payload.batch;
      const st = this.partitions.get(`${topic}/${partition}`);
      this.partitions.delete(`${topic}/${partition}`);
      this.deps.log.error({ err: errorMessage(err), topic, partition, rewindTo: st?.committed.toString() }, 'batch failed: rewinding to the last committed offset');
      if (st) this.consumer.seek({ topic, partition, offset: st.committed.toString() });
      await sleep(1000, this.abort.signal);
    }
  }

  private async consume({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!this.running || batch.messages.length === 0) return;
    const { config, processRecord, journal, metrics } = this.deps;
    const st = this.state(batch.topic, batch.partition, batch.messages[0]!.offset);
    if (st.plans === undefined) {
      const from = BigInt(batch.messages[0]!.offset);
      st.plans = await this.withStoreRetry(() => journal.pending(this.group, st.topic, st.partition, from), heartbeat);
      if (st.plans.length) this.deps.log.info({ topic: st.topic, partition: st.partition, ranges: st.plans.length }, 'rebuilding journalled batches');
    }
    const topicHint = config.kafka.topicFormats[batch.topic] ?? 'auto';
    for (const m of batch.messages) {
      if (!isRunning() || isStale() || !this.running) return;
      const offset = BigInt(m.offset);
      // journalled ranges whose records are gone (retention, compaction) are nothing to rebuild
      while (st.first === undefined && st.plans[0] && offset > st.plans[0].last) st.plans.shift();
      const plan = st.plans[0];
      // a batch never straddles the edge of a journalled range
      if (st.first !== undefined && plan && (st.fromPlan ? offset > plan.last : offset >= plan.first)) await this.flush(st, heartbeat);
      if (st.first === undefined) {
        st.first = offset;
        st.openedAt = this.now();
        st.fromPlan = plan !== undefined && offset >= plan.first && offset <= plan.last;
      }
      st.last = offset;
      if (m.value !== null) {
        const header = m.headers?.[FORMAT_HEADER]?.toString();
        const hint = header && (FORMATS as readonly string[]).includes(header) ? (header as LogFormat) : topicHint;
        st.batch.add(processRecord(m.value, hint), { source: 'kafka', topic: st.topic, partition: st.partition, offset: m.offset });
      }
      resolveOffset(m.offset);
      const due = st.fromPlan ? offset >= st.plans[0]!.last : st.batch.size >= config.ingest.batchMaxRows;
      if (due) await this.flush(st, heartbeat);
    }
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    if (!st.fromPlan && st.first !== undefined && this.now() - st.openedAt >= config.ingest.batchMaxAgeMs) await this.flush(st, heartbeat);
    await heartbeat();
  }

  private async flushAged(): Promise<void> {
    if (!this.running) return;
    for (const [key, st] of this.partitions) {
      if (st.first === undefined || st.fromPlan || this.now() - st.openedAt < this.deps.config.ingest.batchMaxAgeMs) continue;
      try {
        await this.flush(st, async () => {});
      } catch (err) {
        if (!this.running) return;
        this.partitions.delete(key);
        this.deps.log.error({ err: errorMessage(err), topic: st.topic, partition: st.partition, rewindTo: st.committed.toString() }, 'timed flush failed: rewinding to the last committed offset');
        this.consumer.seek({ topic: st.topic, partition: st.partition, offset: st.committed.toString() });
      }
    }
  }

  /** Journal (unless rebuilding a journalled range), insert, dead-letter, commit; then reset. */
  private async flush(st: PartitionState, heartbeat: () => Promise<void>): Promise<void> {
    if (st.first === undefined || st.last === undefined) return;
    const range = { first: st.first, last: st.last };
    const { journal, sink, metrics, log } = this.deps;
    const fromPlan = st.fromPlan;
    if (!fromPlan) await this.withStoreRetry(() => journal.record(this.group, st.topic, st.partition, range), heartbeat);
    const token = batchToken(this.group, st.topic, st.partition, range);
    await this.withStoreRetry(() => writeBatch(sink, st.batch, token, metrics), heartbeat);
    if (st.batch.letters.length) await this.produceDeadLetters(st);
    await this.consumer.commitOffsets([{ topic: st.topic, partition: st.partition, offset: (range.last + 1n).toString() }]);
    st.committed = range.last + 1n;
    st.batch.count(metrics, 'kafka');
    log.debug({ topic: st.topic, partition: st.partition, first: range.first.toString(), last: range.last.toString(), events: st.batch.events.length, deadLetters: st.batch.letters.length, replayed: fromPlan }, 'batch stored and committed');
    if (fromPlan) st.plans?.shift();
    st.batch = new Batch();
    delete st.first;
    delete st.last;
    st.fromPlan = false;
  }

  private async produceDeadLetters(st: PartitionState): Promise<void> {
    const { config } = this.deps;
    await this.producer.send({
      topic: config.kafka.dlqTopic,
      acks: -1,
      messages: st.batch.letters.map((l) => ({
        key: `${st.topic}:${st.partition}:${l.offset}`,
        value: JSON.stringify({ reason: l.reason, detail: l.detail, format: l.format ?? null, topic: l.topic, partition: l.partition, offset: l.offset, record: l.record }),
        headers: { 'gatewatch-reason': l.reason },
      })),
    });
  }

  private withStoreRetry<T>(fn: () => Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
    const { log, metrics, config } = this.deps;
    return retryUntil(fn, {
      baseMs: 200,
      maxMs: config.ingest.storeRetryMaxMs,
      shouldContinue: () => this.running,
      signal: this.abort.signal,
      onRetry: async (err, attempt, waitMs) => {
        metrics.storeFailures.inc();
        log.warn({ err: errorMessage(err), attempt, waitMs }, 'ClickHouse unavailable: holding the batch and retrying');
        await heartbeat().catch(() => undefined);
      },
    });
  }
}
