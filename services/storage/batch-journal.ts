/**
 * The batch journal: before a Kafka batch is inserted, its offset range is recorded. A worker
 * that takes over a partition (after a crash between insert and offset commit) replays the
 * journalled ranges exactly, so the same deduplication token covers the same records and
 * ClickHouse drops the second copy. Without it, batch boundaries would depend on fetch sizes
 * and timing, and a redelivered range would be stored again under a new token.
 */
import type { Store } from '../shared/clickhouse.js';
import { StoreUnavailableError, errorMessage } from '../shared/errors.js';

export interface OffsetRange {
  first: bigint;
  last: bigint;
}

export interface BatchJournal {
  record(group: string, topic: string, partition: number, range: OffsetRange): Promise<void>;
  /** Journalled ranges not yet behind `from` (the committed offset), oldest first. */
  pending(group: string, topic: string, partition: number, from: bigint): Promise<OffsetRange[]>;
}

export function batchToken(group: string, topic: string, partition: number, range: OffsetRange): string {
  return `kafka:${group}:${topic}:${partition}:${range.first}-${range.last}`;
}

export function createClickHouseBatchJournal(store: Store): BatchJournal {
  const { client, db } = store;
  return {
    async record(group, topic, partition, range) {
      try {
        await client.insert({
          table: `${db}.ingest_batches`,
          values: [{ consumer_group: group, topic, partition, first_offset: range.first.toString(), last_offset: range.last.toString() }],
          format: 'JSONEachRow',
        });
      } catch (err) {
        throw new StoreUnavailableError(`journal write failed: ${errorMessage(err)}`, err);
      }
    },
    async pending(group, topic, partition, from) {
      try {
        const rows = await (
          await client.query({
            query: `SELECT toString(first_offset) AS first, toString(last_offset) AS last
                    FROM ${db}.ingest_batches FINAL
                    WHERE consumer_group = {group:String} AND topic = {topic:String}
                      AND partition = {partition:Int32} AND last_offset >= {from:Int64}
                    ORDER BY first_offset`,
            query_params: { group, topic, partition, from: from.toString() },
            format: 'JSONEachRow',
          })
        ).json<{ first: string; last: string }>();
        return rows.map((r) => ({ first: BigInt(r.first), last: BigInt(r.last) })).filter((r) => r.first >= from);
      } catch (err) {
        throw new StoreUnavailableError(`journal read failed: ${errorMessage(err)}`, err);
      }
    },
  };
}
