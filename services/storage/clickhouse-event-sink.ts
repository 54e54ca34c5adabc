/**
 * Writes normalized events and dead letters to ClickHouse. Every insert carries an
 * insert_deduplication_token chosen by the caller, so writing the same batch twice (a retry
 * after a timeout, a redelivered Kafka batch) stores it once.
 */
import type { NormalizedEvent } from '../../schemas/event-schema.js';
import type { Store } from './clickhouse.js';
import { StoreUnavailableError, errorMessage } from '../shared/errors.js';
import type { DeadLetter } from '../ingest/pipeline/process-record.js';
import { EVENT_COLUMNS, RowWriter } from '../ingest/row-writer.js';

export interface DeadLetterSource {
  source: string;
  topic?: string;
  partition?: number;
  offset?: string;
}

/** Events already encoded as JSONCompactEachRow lines in EVENT_COLUMNS order (see row-writer.ts). */
export interface EncodedRows {
  body: Buffer;
  rows: number;
}

export interface EventSink {
  insertRows(rows: EncodedRows, dedupToken: string): Promise<void>;
  insertDeadLetters(letters: Array<DeadLetter & DeadLetterSource>, dedupToken: string): Promise<void>;
}

/** Encodes events for EventSink.insertRows (tools and tests that hold event objects). */
export function encodeEvents(events: NormalizedEvent[]): EncodedRows {
  const w = new RowWriter();
  for (const e of events) w.write(e);
  return { body: w.bytes(), rows: w.rows };
}

// a retried block is dropped by the rollup views too, not only by the table; the eight rollup
// views of an insert run side by side (+8 % rows/s measured, see benchmarks.md)
const insertSettings = (token: string) => ({ insert_deduplication_token: token, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1, parallel_view_processing: 1 }) as const;

export function createClickHouseEventSink(store: Store): EventSink {
  async function guarded(table: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      // Every failed write is retriable from the caller's point of view: it still holds the
      // batch, and the token makes the retry safe. The message says what ClickHouse said.
      throw new StoreUnavailableError(`insert into ${table} failed: ${errorMessage(err)}`, err);
    }
  }
  return {
    insertRows: async ({ body, rows }, token) => {
      if (rows === 0) return;
      await guarded('events', () => store.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body, settings: insertSettings(token) }));
    },
    insertDeadLetters: async (letters, token) => {
      if (letters.length === 0) return;
      const values = letters.map((l) => ({
        source: l.source,
        topic: l.topic ?? '',
        partition: l.partition ?? -1,
        offset: l.offset ?? '-1',
        reason: l.reason,
        detail: l.detail,
        record: l.record,
      }));
      await guarded('dead_letters', () => store.client.insert({ table: `${store.db}.dead_letters`, values, format: 'JSONEachRow', clickhouse_settings: insertSettings(token) }));
    },
  };
}
