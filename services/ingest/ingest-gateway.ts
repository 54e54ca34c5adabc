/**
 * Where records pushed over HTTP (or replayed from files) go. Embedded mode: straight through
 * the pipeline into ClickHouse, in batches. Kafka mode: onto the ingest topic, so that the
 * consumer group does the work and HTTP-shipped logs get the same guarantees as the rest.
 */
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { LogFormat } from '../../schemas/config-schema.js';
import type { Metrics } from '../shared/metrics.js';
import { Batch, writeBatch } from './batch.js';
import type { EventSink } from '../storage/clickhouse-event-sink.js';
import { FORMAT_HEADER } from './kafka-ingest-worker.js';
import type { DeadLetter, ProcessRecord } from './pipeline/process-record.js';
import type { RejectReason } from './parsers/parse-result.js';

export interface IngestResult {
  received: number;
  /** events written to ClickHouse (embedded mode) */
  stored: number;
  /** records dead-lettered, with reasons (embedded mode) */
  rejected: number;
  /** records handed to Kafka (Kafka mode); parsing happens in the workers */
  queued: number;
  reasons: Record<string, number>;
  /** the first few rejections, by position in the request */
  errors: Array<{ index: number; reason: string; detail: string }>;
  /** event-time range of the stored events (embedded mode), ISO 8601 */
  eventTimes?: { min: string; max: string };
}

export interface SubmitOptions {
  source: string;
  /** the caller's key for this submission: the same key (from the same sender) is stored once */
  idempotencyKey?: string;
  /**
   * Who sent it (over HTTP, the API key's id). An idempotency key is scoped by its sender, so
   * that one sender cannot pre-claim another's batches by sending their keys first. Callers
   * on the network must pass it; in-process callers (replay) may leave it out.
   */
  sender?: string;
}

export interface IngestGateway {
  readonly mode: 'direct' | 'kafka';
  submit(records: Array<string | Buffer>, hint: LogFormat | 'auto', opts: SubmitOptions): Promise<IngestResult>;
}

/** The gateway behind POST /v1/ingest: it can also refuse a request whole, and say so once. */
export interface HttpIngestGateway extends IngestGateway {
  /** a whole submission refused before its records were read: one dead letter (its start, redacted) in `dead_letters` */
  refuse(raw: Buffer | string, reason: RejectReason, detail: string, opts: SubmitOptions): Promise<void>;
}

/** What one request may hold (ingest.* in the configuration). */
export interface IngestLimits {
  /** bytes once decompressed */
  maxDecodedBytes: number;
  /** nesting of a JSON array body */
  maxDepth: number;
  /** records in one request */
  maxRecords: number;
  /** dead letters kept from one request; the rest are counted in one summary letter */
  maxDeadLetters: number;
}

/**
 * The base of a submission's deduplication tokens (each chunk adds `:<n>`, each insert
 * `:events`/`:dlq`). They live in ClickHouse (`non_replicated_deduplication_window`), so a
 * repeat is dropped after a restart too. Without an idempotency key every submission is new.
 */
export function submissionToken(opts: SubmitOptions, fresh: () => string = randomUUID): string {
  if (!opts.idempotencyKey) return `${opts.source}:${fresh()}`;
  // API key ids are 12 hex digits (no ':'), so `<sender>:` cannot be forged from inside a key
  return opts.sender !== undefined ? `${opts.source}:${opts.sender}:${opts.idempotencyKey}` : `${opts.source}:${opts.idempotencyKey}`;
}

const MAX_ERRORS = 20;

/** One refused submission's dead letter, written at once (a summary of why, not its records). */
async function writeRefusal(sink: EventSink, metrics: Metrics, letter: DeadLetter, opts: SubmitOptions): Promise<void> {
  await sink.insertDeadLetters([{ ...letter, source: opts.source, offset: '-1' }], `${submissionToken(opts)}:refused`);
  metrics.records.inc({ outcome: 'dead_lettered', format: 'unknown', source: opts.source });
  metrics.deadLetters.inc({ reason: letter.reason });
}

export function createDirectIngest(deps: { processRecord: ProcessRecord; sink: EventSink; metrics: Metrics; batchMaxRows: number; log?: Logger; maxDeadLetters?: number }): HttpIngestGateway {
  const maxLetters = deps.maxDeadLetters ?? 100;
  return {
    mode: 'direct',
    async refuse(raw, reason, detail, opts) {
      await writeRefusal(deps.sink, deps.metrics, deps.processRecord.refuse(raw, reason, detail), opts);
    },
    async submit(records, hint, opts) {
      const result: IngestResult = { received: records.length, stored: 0, rejected: 0, queued: 0, reasons: {}, errors: [] };
      const base = submissionToken(opts);
      let batch = new Batch();
      let chunk = 0;
      // dead letters kept from this request; past the cap only counted, by reason, and said in one last letter
      let kept = 0;
      const over: Record<string, number> = {};
      const flush = async () => {
        await writeBatch(deps.sink, batch, `${base}:${chunk++}`, deps.metrics);
        batch.count(deps.metrics, opts.source, deps.log);
        result.stored += batch.rows;
        batch = new Batch();
      };
      for (let i = 0; i < records.length; i++) {
        const outcomes = deps.processRecord(records[i]!, hint);
        for (const o of outcomes) {
          if (o.kind === 'ok') {
            const t = o.event.event_time;
            if (!result.eventTimes) result.eventTimes = { min: t, max: t };
            else if (t < result.eventTimes.min) result.eventTimes.min = t;
            else if (t > result.eventTimes.max) result.eventTimes.max = t;
            continue;
          }
          result.rejected++;
          result.reasons[o.letter.reason] = (result.reasons[o.letter.reason] ?? 0) + 1;
          if (result.errors.length < MAX_ERRORS) result.errors.push({ index: i, reason: o.letter.reason, detail: o.letter.detail });
        }
        const keep = outcomes.filter((o) => {
          if (o.kind === 'ok' || kept < maxLetters) {
            if (o.kind !== 'ok') kept++;
            return true;
          }
          over[o.letter.reason] = (over[o.letter.reason] ?? 0) + 1;
          return false;
        });
        batch.add(keep, { source: opts.source, offset: String(i) });
        if (batch.size >= deps.batchMaxRows) await flush();
      }
      const more = Object.values(over).reduce((a, b) => a + b, 0);
      if (more > 0) {
        const byReason = Object.entries(over).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ');
        batch.add([{ kind: 'dlq', letter: deps.processRecord.refuse('', 'more_rejected', `${more} more records of this request were refused and not kept (${maxLetters} are kept a request): ${byReason}`) }], { source: opts.source, offset: '-1' });
        for (const [reason, n] of Object.entries(over)) {
          deps.metrics.records.inc({ outcome: 'dead_lettered', format: 'unknown', source: opts.source }, n);
          deps.metrics.deadLetters.inc({ reason }, n);
        }
      }
      if (batch.size > 0) await flush();
      return result;
    },
  };
}

export function createKafkaIngest(deps: { producer: Producer; topic: string; refusals: { sink: EventSink; metrics: Metrics; letter: (raw: Buffer | string, reason: RejectReason, detail: string) => DeadLetter } }): HttpIngestGateway {
  return {
    mode: 'kafka',
    async refuse(raw, reason, detail, opts) {
      // (straight to the table: the records never reach the topic, so no worker sees them)
      await writeRefusal(deps.refusals.sink, deps.refusals.metrics, deps.refusals.letter(raw, reason, detail), opts);
    },
    async submit(records, hint) {
      const headers = hint === 'auto' ? undefined : { [FORMAT_HEADER]: hint };
      for (let i = 0; i < records.length; i += 10_000) {
        await deps.producer.send({
          topic: deps.topic,
          acks: -1,
          messages: records.slice(i, i + 10_000).map((value) => (headers ? { value, headers } : { value })),
        });
      }
      return { received: records.length, stored: 0, rejected: 0, queued: records.length, reasons: {}, errors: [] };
    },
  };
}
