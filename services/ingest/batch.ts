/**
 * A batch under construction: stored events and dead letters, plus the counts the metrics
 * need once the batch is written. Shared by the Kafka worker, HTTP ingest and replay.
 */
import type { LogFormat } from '../../schemas/config-schema.js';
import type { NormalizedEvent } from '../../schemas/event-schema.js';
import type { Logger } from 'pino';
import type { Metrics } from '../shared/metrics.js';
import type { DeadLetterSource, EventSink } from './clickhouse-event-sink.js';
import type { DeadLetter, RecordOutcome } from './pipeline/process-record.js';

export class Batch {
  readonly events: NormalizedEvent[] = [];
  readonly letters: Array<DeadLetter & DeadLetterSource> = [];
  private readonly formats = new Map<string, number>();
  private readonly redactions = new Map<string, number>();

  add(outcomes: RecordOutcome[], source: DeadLetterSource): void {
    for (const o of outcomes) {
      if (o.kind === 'ok') {
        this.events.push(o.event);
        this.formats.set(o.format, (this.formats.get(o.format) ?? 0) + 1);
        for (const [t, n] of o.redactions) this.redactions.set(t, (this.redactions.get(t) ?? 0) + n);
      } else {
        this.letters.push({ ...o.letter, ...source });
      }
    }
  }

  get size(): number {
    return this.events.length + this.letters.length;
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
    metrics.batchRows.observe(this.events.length);
  }
}

/** Writes a batch's events and dead letters, each insert under its own derived token. */
export async function writeBatch(sink: EventSink, batch: Batch, token: string, metrics: Metrics): Promise<void> {
  const end = metrics.insertSeconds.startTimer();
  await sink.insertEvents(batch.events, `${token}:events`);
  await sink.insertDeadLetters(batch.letters, `${token}:dlq`);
  end();
}
