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
import type { ProcessRecord } from './pipeline/process-record.js';

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

export function createDirectIngest(deps: { processRecord: ProcessRecord; sink: EventSink; metrics: Metrics; batchMaxRows: number; log?: Logger }): IngestGateway {
  return {
    mode: 'direct',
    async submit(records, hint, opts) {
      const result: IngestResult = { received: records.length, stored: 0, rejected: 0, queued: 0, reasons: {}, errors: [] };
      const base = submissionToken(opts);
      let batch = new Batch();
      let chunk = 0;
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
        batch.add(outcomes, { source: opts.source, offset: String(i) });
        if (batch.size >= deps.batchMaxRows) await flush();
      }
      if (batch.size > 0) await flush();
      return result;
    },
  };
}

export function createKafkaIngest(deps: { producer: Producer; topic: string }): IngestGateway {
  return {
    mode: 'kafka',
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
