/**
 * The batch journal: before a Kafka batch is inserted, its offset range is recorded. A worker
 * that takes over a partition (after a crash between insert and offset commit) replays the
 * journalled ranges exactly, so the same deduplication token covers the same records and
 * ClickHouse drops the second copy. Without it, batch boundaries would depend on fetch sizes
 * and timing, and a redelivered range would be stored again under a new token.
 *
 * Claims fence a worker that lost a partition but still has a write in flight: the new owner
 * claims the partition before it reads the journal, and every write checks the newest claim is
 * still its own before inserting. Either the old owner's journal entry landed before the new
 * owner read the journal (the range is rebuilt exactly, and deduplicated), or the old owner's
 * check comes after the new claim and it stands down.
 */
import type { Store } from './clickhouse.js';
import { StoreUnavailableError, errorMessage } from '../shared/errors.js';
import { microsToCh } from './time.js';

export interface OffsetRange {
  first: bigint;
  last: bigint;
}

export interface BatchJournal {
  record(group: string, topic: string, partition: number, range: OffsetRange): Promise<void>;
  /** Journalled ranges not yet behind `from` (the committed offset), oldest first. */
  pending(group: string, topic: string, partition: number, from: bigint): Promise<OffsetRange[]>;
  /** this worker owns the partition from now on (written before `pending` is read) */
  claim(group: string, topic: string, partition: number, holder: string): Promise<void>;
  /** the worker that claimed the partition last ('' when none has) */
  holder(group: string, topic: string, partition: number): Promise<string>;
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
    async claim(group, topic, partition, holder) {
      try {
        // after the newest claim, whatever this machine's clock says (another worker's may be ahead)
        const [row] = await (
          await client.query({
            query: `SELECT toUnixTimestamp64Micro(max(claimed_at)) AS at FROM ${db}.ingest_claims
                    WHERE consumer_group = {group:String} AND topic = {topic:String} AND partition = {partition:Int32}`,
            query_params: { group, topic, partition },
            format: 'JSONEachRow',
          })
        ).json<{ at: string | number }>();
        const at = Math.max(Date.now() * 1000, Number(row?.at ?? 0) + 1);
        await client.insert({ table: `${db}.ingest_claims`, values: [{ consumer_group: group, topic, partition, holder, claimed_at: microsToCh(at) }], format: 'JSONEachRow' });
      } catch (err) {
        throw new StoreUnavailableError(`partition claim failed: ${errorMessage(err)}`, err);
      }
    },
    async holder(group, topic, partition) {
      try {
        const [row] = await (
          await client.query({
            query: `SELECT argMax(holder, claimed_at) AS holder FROM ${db}.ingest_claims
                    WHERE consumer_group = {group:String} AND topic = {topic:String} AND partition = {partition:Int32}`,
            query_params: { group, topic, partition },
            format: 'JSONEachRow',
          })
        ).json<{ holder: string }>();
        return row?.holder ?? '';
      } catch (err) {
        throw new StoreUnavailableError(`partition claim read failed: ${errorMessage(err)}`, err);
      }
    },
  };
}
