/**
 * A batch under construction: encoded event rows and dead letters, plus the counts the
 * metrics need once the batch is written. Shared by the Kafka worker, HTTP ingest and replay.
 * Events are kept as encoded rows only (see row-writer.ts), never as objects.
 */
import { FORMATS, type LogFormat } from '../../schemas/config-schema.js';
import type { Logger } from 'pino';
import type { Metrics } from '../shared/metrics.js';
import type { DeadLetterSource, EventSink } from '../storage/clickhouse-event-sink.js';
import type { DeadLetter, RecordOutcome } from './pipeline/process-record.js';
import type { ProcessedChunk } from './pipeline/process-chunk.js';
import { RowWriter } from './row-writer.js';

interface Slice {
  buf: Uint8Array;
  start: number;
  end: number;
}

export class Batch {
  readonly letters: Array<DeadLetter & DeadLetterSource> = [];
  /** events in the batch */
  rows = 0;
  private readonly slices: Slice[] = [];
  private own: RowWriter | undefined;
  private readonly formats = new Map<string, number>();
  private readonly redactions = new Map<string, number>();

  /** Outcomes of the pipeline run here (HTTP ingest, replay): events are encoded now. */
  add(outcomes: RecordOutcome[], source: DeadLetterSource): void {
    for (const o of outcomes) {
      if (o.kind === 'ok') {
        (this.own ??= new RowWriter(256 * 1024)).write(o.event);
        this.rows++;
        this.formats.set(o.format, (this.formats.get(o.format) ?? 0) + 1);
        for (const [t, n] of o.redactions) this.redactions.set(t, (this.redactions.get(t) ?? 0) + n);
      } else {
        this.letters.push({ ...o.letter, ...source });
      }
    }
  }

  /** Message i of a chunk the pipeline processed (possibly in another thread). */
  addProcessed(c: ProcessedChunk, i: number, source: DeadLetterSource): void {
    const n = c.events[i]!;
    if (n > 0) {
      const start = c.rowEnds[i]!;
      const end = c.rowEnds[i + 1]!;
      const last = this.slices[this.slices.length - 1];
      // consecutive messages of one chunk are one contiguous slice
      if (last && last.buf === c.rows && last.end === start) last.end = end;
      else this.slices.push({ buf: c.rows, start, end });
      this.rows += n;
      const format = FORMATS[c.formats[i]!];
      if (format) this.formats.set(format, (this.formats.get(format) ?? 0) + n);
    }
    for (let k = c.redStart[i]!; k < c.redStart[i + 1]!; k++) {
      const type = c.redTypes[c.redPairs[2 * k]!]!;
      this.redactions.set(type, (this.redactions.get(type) ?? 0) + c.redPairs[2 * k + 1]!);
    }
    const letters = c.letters.get(i);
    if (letters) for (const l of letters) this.letters.push({ ...l, ...source });
  }

  get size(): number {
    return this.rows + this.letters.length;
  }

  /** The batch's rows as one JSONCompactEachRow body (one copy when they came in pieces). */
  body(): Buffer {
    const parts = this.slices.map((s) => Buffer.from(s.buf.buffer, s.buf.byteOffset + s.start, s.end - s.start));
    if (this.own) parts.push(this.own.bytes());
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Records the batch in the metrics (and each dead letter in the debug log) once it is safely stored. */
  count(metrics: Metrics, source: string, log?: Logger): void {
    for (const [format, n] of this.formats) metrics.records.inc({ outcome: 'stored', format, source }, n);
    for (const l of this.letters) {
      // the letter is redacted already; the logger's own net runs over it once more
      log?.debug({ source, topic: l.topic, partition: l.partition, offset: l.offset, reason: l.reason, detail: l.detail }, 'record dead-lettered');
      metrics.records.inc({ outcome: 'dead_lettered', format: (l.format ?? 'unknown') as LogFormat | 'unknown', source });
      metrics.deadLetters.inc({ reason: l.reason });
    }
    for (const [type, n] of this.redactions) metrics.redactions.inc({ type }, n);
    metrics.batches.inc({ source });
    metrics.batchRows.observe(this.rows);
  }
}

/** Writes a batch's events and dead letters, each insert under its own derived token. */
export async function writeBatch(sink: EventSink, batch: Batch, token: string, metrics: Metrics): Promise<void> {
  const end = metrics.insertSeconds.startTimer();
  await sink.insertRows({ body: batch.body(), rows: batch.rows }, `${token}:events`);
  await sink.insertDeadLetters(batch.letters, `${token}:dlq`);
  end();
}
