/**
 * The batch journal and the partition claims alone against the real engine: journalled ranges
 * not yet committed come back oldest first; the newest claim names the owner, whatever the
 * claimant's clock says, so a worker that lost a partition finds out before it inserts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { createClickHouseBatchJournal } from '../../services/storage/batch-journal.js';
import { silentLog, testConfig, unique } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await openRuntime(testConfig(), { role: 'test', log: silentLog });
});
afterAll(async () => {
  await rt?.close();
});

describe('the batch journal', () => {
  it('gives back the ranges at or after the committed offset, oldest first', async () => {
    const journal = createClickHouseBatchJournal(rt.store);
    const topic = unique('journal');
    for (const [first, last] of [[200n, 299n], [0n, 99n], [100n, 199n]] as const) await journal.record('g', topic, 0, { first, last });
    await journal.record('g', topic, 1, { first: 0n, last: 9n });
    expect(await journal.pending('g', topic, 0, 100n)).toEqual([{ first: 100n, last: 199n }, { first: 200n, last: 299n }]);
    expect(await journal.pending('g', topic, 0, 300n)).toEqual([]);
    expect(await journal.pending('other', topic, 0, 0n)).toEqual([]);
  });

  it('names the newest claimant of a partition as its owner, even when its clock is behind the previous one', async () => {
    const journal = createClickHouseBatchJournal(rt.store);
    const topic = unique('claims');
    expect(await journal.holder('g', topic, 0)).toBe('');
    await journal.claim('g', topic, 0, 'worker-a');
    expect(await journal.holder('g', topic, 0)).toBe('worker-a');
    // a claim written by a machine whose clock runs an hour ahead
    await rt.store.client.insert({ table: 'gatewatch.ingest_claims', format: 'JSONEachRow', values: [{ consumer_group: 'g', topic, partition: 0, holder: 'worker-fast-clock', claimed_at: new Date(Date.now() + 3_600_000).toISOString().replace('T', ' ').replace('Z', '') }] });
    expect(await journal.holder('g', topic, 0)).toBe('worker-fast-clock');
    // the next owner's claim still wins: it is written after the newest one, not at its own clock
    await journal.claim('g', topic, 0, 'worker-b');
    expect(await journal.holder('g', topic, 0)).toBe('worker-b');
    // claims are per group, topic and partition
    expect(await journal.holder('g', topic, 1)).toBe('');
    expect(await journal.holder('other', topic, 0)).toBe('');
  });
});
