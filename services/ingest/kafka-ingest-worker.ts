/**
 * Kafka → ClickHouse ingest worker, one member of a consumer group.
 *
 * Invariants:
 * - An offset is committed only after ClickHouse acknowledged every record before it
 *   (events and dead letters), so a crash loses nothing: uncommitted records come again.
 * - Every insert is a journalled offset range with a token derived from that range, so
 *   records that come again are not stored twice (see batch-journal.ts).
 * - A worker inserts a batch only while the newest claim on its partition is its own, so one
 *   that lost the partition in a rebalance and still has a write in flight stands down instead
 *   of storing records the new owner will store again.
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
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { retryUntil, sleep } from '../shared/retry.js';
import { Batch, writeBatch } from './batch.js';
import { batchToken, type BatchJournal, type OffsetRange } from '../storage/batch-journal.js';
import type { EventSink } from '../storage/clickhouse-event-sink.js';
import type { ChunkProcessor } from './pipeline-threads.js';
import type { ProcessedChunk } from './pipeline/process-chunk.js';

export const FORMAT_HEADER = 'gatewatch-format';

/** ClickHouse's answers when its data volume is full (NOT_ENOUGH_SPACE, ENOSPC) */
const DISK_FULL = /NOT_ENOUGH_SPACE|not enough space|No space left on device|ENOSPC|errno: 28\b/i;

/** kafkajs' signal that the group is rebalancing (its own test, which it does not export) */
const isRebalancing = (err: unknown) => ['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION'].includes(String((err as { type?: unknown } | null)?.type ?? ''));

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
  /** set when the partition was rewound or reassigned: queued writes of this state are void */
  dead?: boolean;
}

export interface KafkaIngestWorkerDeps {
  kafka: Kafka;
  config: Config;
  /** runs the pipeline over a fetched batch (in pipeline threads, or inline) */
  processor: ChunkProcessor;
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
  /** the write chain: each batch's journal → insert → DLQ → commit, in order */
  private inflight: Promise<void> = Promise.resolve();
  private heartbeat: () => Promise<void> = async () => {};
  private keepAlive: NodeJS.Timeout | undefined;
  private diskFull = false;
  private get heartbeatMs(): number {
    return Math.max(500, Math.floor(this.deps.config.kafka.sessionTimeoutMs / 10));
  }
  private readonly abort = new AbortController();
  /** this process in the partition claims (services/storage/batch-journal.ts) */
  private readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(private readonly deps: KafkaIngestWorkerDeps) {
    const { kafka, config } = deps;
    this.group = config.kafka.groupId;
    this.now = deps.now ?? Date.now;
    this.consumer = kafka.consumer({
      groupId: this.group,
      // bounded fetches keep memory flat: a batch is at most a few fetches' worth of records
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatMs,
      // a fetch on a quiet topic returns within a second, so a rebalance is noticed that soon
      maxWaitTimeInMs: 1000,
      // a lost broker is asked again at most every 2 s, and the consumer restarts 2 s after
      // giving up, so consumption resumes within seconds of the broker's return (kafkajs'
      // defaults back off to 30 s)
      retry: { retries: 8, initialRetryTime: 250, maxRetryTime: 2000 },
    });
    this.producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      // A new generation restarts fetching at the committed offsets: whatever was buffered
      // (not yet journalled) will come again, and journalled ranges must be re-read.
      void this.mutex.run(async () => {
        for (const st of this.partitions.values()) st.dead = true;
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
      // with pipeline threads, the next partitions' fetches are processed while one is placed
      // and written; placing (state, offsets, batches) stays one at a time under the mutex
      partitionsConsumedConcurrently: Math.max(1, this.deps.processor.threads * 2),
      eachBatch: (payload) => {
        const parts = this.process(payload);
        parts.catch(() => undefined); // seen, and handled, by consume
        return this.mutex.run(() => this.onBatch(payload, parts));
      },
    });
    // kafkajs heartbeats between batches only: a write that takes long (a slow insert, a store
    // that is down) would otherwise cost the worker its partitions after the session timeout
    this.keepAlive = setInterval(() => void this.heartbeat().catch(() => undefined), this.heartbeatMs);
    const tick = Math.max(10, Math.floor(config.ingest.batchMaxAgeMs / 2));
    this.timer = setInterval(() => void this.mutex.run(() => this.flushAged()), tick);
    log.info({ topic: config.kafka.topic, group: this.group }, 'kafka ingest worker started');
  }

  /** Flushes what is buffered, commits it, leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    if (this.timer) clearInterval(this.timer);
    if (this.keepAlive) clearInterval(this.keepAlive);
    try {
      await this.mutex.run(async () => {
        // a half-rebuilt journalled range is left to the next owner, which rebuilds it whole
        for (const st of this.partitions.values()) if (st.first !== undefined && !st.fromPlan && !st.dead) await this.flush(st);
        this.running = false; // the final writes get one attempt each: a store that is down now stays down for us
        await this.inflight;
      });
    } catch (err) {
      this.deps.log.warn({ err: errorMessage(err) }, 'final flush failed: uncommitted records will be redelivered');
    }
    this.running = false;
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
  private rewind(st: PartitionState, err: unknown): void {
    if (!this.running || st.dead) return;
    st.dead = true;
    const key = `${st.topic}/${st.partition}`;
    if (this.partitions.get(key) === st) this.partitions.delete(key);
    this.deps.log.error({ err: errorMessage(err), topic: st.topic, partition: st.partition, rewindTo: st.committed.toString() }, 'batch failed: rewinding to the last committed offset');
    try {
      this.consumer.seek({ topic: st.topic, partition: st.partition, offset: st.committed.toString() });
    } catch (seekErr) {
      // not assigned any more (a rebalance came first): the next owner starts at the committed offset anyway
      this.deps.log.warn({ err: errorMessage(seekErr), topic: st.topic, partition: st.partition }, 'rewind skipped');
    }
  }

  /**
   * The pipeline over a fetched batch. Pure (no state of the worker is touched), so it runs
   * outside the mutex, beside the placing of another partition's batch.
   */
  private async process({ batch }: EachBatchPayload): Promise<ProcessedChunk[]> {
    if (batch.messages.length === 0) return [];
    const topicHint = this.deps.config.kafka.topicFormats[batch.topic] ?? 'auto';
    const hints = batch.messages.map((m) => {
      const header = m.headers?.[FORMAT_HEADER]?.toString();
      return header && (FORMATS as readonly string[]).includes(header) ? (header as LogFormat) : topicHint;
    });
    return this.deps.processor.process(batch.messages.map((m) => m.value), hints);
  }

  private async onBatch(payload: EachBatchPayload, processed: Promise<ProcessedChunk[]>): Promise<void> {
    this.heartbeat = payload.heartbeat;
    try {
      await this.consume(payload, processed);
    } catch (err) {
      const st = this.partitions.get(`${payload.batch.topic}/${payload.batch.partition}`);
      if (isRebalancing(err)) {
        // not a failure: the group is moving partitions. What this batch placed is dropped (the
        // next owner reads it again from the committed offset) and kafkajs rejoins at once
        if (st) {
          st.dead = true;
          this.partitions.delete(`${st.topic}/${st.partition}`);
        }
        throw err;
      }
      if (st) this.rewind(st, err);
      await sleep(1000, this.abort.signal);
    }
  }

  private async consume({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload, processed: Promise<ProcessedChunk[]>): Promise<void> {
    if (!this.running || batch.messages.length === 0 || isStale()) return;
    const { config, journal, metrics } = this.deps;
    const st = this.state(batch.topic, batch.partition, batch.messages[0]!.offset);
    if (st.plans === undefined) {
      const from = BigInt(batch.messages[0]!.offset);
      // claimed before the journal is read: a previous owner still writing either journalled its
      // batch already (rebuilt below, exactly) or finds this claim and stands down
      await this.withStoreRetry(() => journal.claim(this.group, st.topic, st.partition, this.holder));
      st.plans = await this.withStoreRetry(() => journal.pending(this.group, st.topic, st.partition, from));
      if (st.plans.length) this.deps.log.info({ topic: st.topic, partition: st.partition, ranges: st.plans.length }, 'rebuilding journalled batches');
    }
    // the whole fetch went through the pipeline at once (in pipeline threads when they are
    // on); the loop below only places the results, message by message
    const parts = await processed;
    let part = 0;
    let partStart = 0;
    for (let i = 0; i < batch.messages.length; i++) {
      const m = batch.messages[i]!;
      if (!isRunning() || isStale() || !this.running || st.dead) return;
      const offset = BigInt(m.offset);
      // journalled ranges whose records are gone (retention, compaction) are nothing to rebuild
      while (st.first === undefined && st.plans[0] && offset > st.plans[0].last) st.plans.shift();
      const plan = st.plans[0];
      // a batch never straddles the edge of a journalled range
      if (st.first !== undefined && plan && (st.fromPlan ? offset > plan.last : offset >= plan.first)) {
        await this.flush(st);
        if (st.dead) return;
      }
      if (st.first === undefined) {
        st.first = offset;
        st.openedAt = this.now();
        st.fromPlan = plan !== undefined && offset >= plan.first && offset <= plan.last;
      }
      st.last = offset;
      while (i >= partStart + parts[part]!.count) partStart += parts[part++]!.count;
      if (m.value !== null) st.batch.addProcessed(parts[part]!, i - partStart, { source: 'kafka', topic: st.topic, partition: st.partition, offset: m.offset });
      resolveOffset(m.offset);
      const due = st.fromPlan ? offset >= st.plans[0]!.last : st.batch.size >= config.ingest.batchMaxRows;
      if (due) await this.flush(st);
    }
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    if (!st.dead && !st.fromPlan && st.first !== undefined && this.now() - st.openedAt >= config.ingest.batchMaxAgeMs) await this.flush(st);
    await heartbeat();
  }

  private async flushAged(): Promise<void> {
    if (!this.running) return;
    for (const st of this.partitions.values()) {
      if (st.first !== undefined && !st.fromPlan && !st.dead && this.now() - st.openedAt >= this.deps.config.ingest.batchMaxAgeMs) await this.flush(st);
    }
  }

  /**
   * Hands the partition's batch to the writer and starts a new one. Writes run one at a time,
   * in order (so commits stay in offset order), while the next batch is being parsed: the
   * insert runs in ClickHouse's threads, parsing in the pipeline threads. At most one batch waits behind the
   * running write; flush returns once the write before it has finished.
   */
  private async flush(st: PartitionState): Promise<void> {
    if (st.first === undefined || st.last === undefined) return;
    const job = { range: { first: st.first, last: st.last }, batch: st.batch, fromPlan: st.fromPlan };
    if (st.fromPlan) st.plans?.shift();
    st.batch = new Batch();
    delete st.first;
    delete st.last;
    st.fromPlan = false;
    const previous = this.inflight;
    this.inflight = previous.then(() => (st.dead ? undefined : this.write(st, job))).catch((err: unknown) => this.rewind(st, err));
    await previous;
  }

  /** Journal (unless rebuilding a journalled range), insert, dead-letter, commit. */
  private async write(st: PartitionState, job: { range: OffsetRange; batch: Batch; fromPlan: boolean }): Promise<void> {
    const { journal, sink, metrics, log } = this.deps;
    const { range, batch, fromPlan } = job;
    if (!fromPlan) await this.withStoreRetry(() => journal.record(this.group, st.topic, st.partition, range));
    // still the owner? (checked after the journal entry landed: see the claims in batch-journal.ts)
    const owner = await this.withStoreRetry(() => journal.holder(this.group, st.topic, st.partition));
    if (owner !== this.holder || st.dead) {
      if (!st.dead) this.standDown(st, owner);
      return;
    }
    const token = batchToken(this.group, st.topic, st.partition, range);
    await this.withStoreRetry(() => writeBatch(sink, batch, token, metrics));
    if (batch.letters.length) await this.produceDeadLetters(st, batch);
    if (st.dead) return; // a rebalance took the partition: the next owner commits
    await this.consumer.commitOffsets([{ topic: st.topic, partition: st.partition, offset: (range.last + 1n).toString() }]);
    st.committed = range.last + 1n;
    batch.count(metrics, 'kafka', log);
    log.debug({ topic: st.topic, partition: st.partition, first: range.first.toString(), last: range.last.toString(), events: batch.rows, deadLetters: batch.letters.length, replayed: fromPlan }, 'batch stored and committed');
  }

  /**
   * Another worker claimed the partition (a rebalance this worker has not seen yet): nothing of
   * this state is written or committed; should the partition still be ours, it is read again
   * from the committed offset and claimed anew.
   */
  private standDown(st: PartitionState, owner: string): void {
    st.dead = true;
    const key = `${st.topic}/${st.partition}`;
    if (this.partitions.get(key) === st) this.partitions.delete(key);
    this.deps.log.warn({ topic: st.topic, partition: st.partition, owner }, 'partition claimed by another worker: leaving its records to it');
    try {
      this.consumer.seek({ topic: st.topic, partition: st.partition, offset: st.committed.toString() });
    } catch {
      // not assigned here any more: nothing to read again
    }
  }

  private async produceDeadLetters(st: PartitionState, batch: Batch): Promise<void> {
    const { config } = this.deps;
    await this.producer.send({
      topic: config.kafka.dlqTopic,
      acks: -1,
      messages: batch.letters.map((l) => ({
        key: `${st.topic}:${st.partition}:${l.offset}`,
        value: JSON.stringify({ reason: l.reason, detail: l.detail, format: l.format ?? null, topic: l.topic, partition: l.partition, offset: l.offset, record: l.record }),
        headers: { 'gatewatch-reason': l.reason },
      })),
    });
  }

  private withStoreRetry<T>(fn: () => Promise<T>): Promise<T> {
    const { log, metrics, config } = this.deps;
    return retryUntil(async () => {
      const result = await fn();
      if (this.diskFull) {
        this.diskFull = false;
        log.warn('ClickHouse has disk space again: ingest resumed');
      }
      return result;
    }, {
      baseMs: 200,
      maxMs: config.ingest.storeRetryMaxMs,
      shouldContinue: () => this.running,
      signal: this.abort.signal,
      onRetry: async (err, attempt, waitMs) => {
        metrics.storeFailures.inc();
        const message = errorMessage(err);
        if (DISK_FULL.test(message)) {
          // said once as an error (someone must free space), then as warnings while it lasts
          if (!this.diskFull) log.error({ err: message, attempt, waitMs }, 'ClickHouse is out of disk space: ingest paused, holding the batch (nothing is committed until it is stored); free space on its data volume and ingest resumes by itself');
          else log.warn({ err: message, attempt, waitMs }, 'ClickHouse still out of disk space: holding the batch and retrying');
          this.diskFull = true;
        } else log.warn({ err: message, attempt, waitMs }, 'ClickHouse unavailable: holding the batch and retrying');
        // keep the partitions while waiting: the group would otherwise hand them to another worker
        await this.heartbeat().catch(() => undefined);
      },
    });
  }
}
