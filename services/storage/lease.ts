/**
 * A lease held in the store, for work that must run in one process at a time however many are
 * started (detection cycles; one notifier shard): started twice by mistake or for failover, the
 * second process stands by and takes over when the first dies (its lease expires) or stops
 * (it releases the lease).
 *
 * ClickHouse has no compare-and-set, so taking a lease is write-then-read: a contender that
 * finds the lease free (absent, expired or its own) writes itself as holder with a version of
 * wall-clock microseconds and random low digits, waits for concurrent writers to land, and
 * reads back: the highest version holds it, and every contender reads the same one. A holder
 * renews when half its time is left, after checking it still holds it, so at worst two
 * processes overlap for one cycle after a pause longer than the lease (each cycle checks first).
 */
import { hostname } from 'node:os';
import { randomBytes, randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from './clickhouse.js';
import { msToCh as toCh } from './time.js';

export interface Lease {
  /** this process's name in the lease table */
  readonly holder: string;
  /** true when this process holds the lease now (taking or renewing it as needed) */
  hold(): Promise<boolean>;
  /** gives the lease up at once (a clean stop), so a standby takes over without waiting */
  release(): Promise<void>;
}

/** how long concurrent writers are given to land before the read that decides */
const SETTLE_MS = 150;

export function createLease(store: Store, name: string, opts: { ttlMs: number; log: Logger; now?: () => number }): Lease {
  const { client, db } = store;
  const now = opts.now ?? Date.now;
  const holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  let heldUntil = 0;
  let lastOther = '';

  async function current(): Promise<{ holder: string; expires: number } | undefined> {
    const [r] = await (
      await client.query({ query: `SELECT holder, toUnixTimestamp64Milli(expires_at) AS expires FROM ${db}.leases FINAL WHERE name = {name:String}`, query_params: { name }, format: 'JSONEachRow' })
    ).json<{ holder: string; expires: number | string }>();
    return r ? { holder: r.holder, expires: Number(r.expires) } : undefined;
  }

  async function write(expires: number): Promise<void> {
    const t = now();
    await client.insert({ table: `${db}.leases`, format: 'JSONEachRow', values: [{ name, holder, expires_at: toCh(expires), updated_at: toCh(t), version: t * 1000 + randomInt(1000) }] });
  }

  return {
    holder,
    async hold() {
      const t = now();
      if (heldUntil - t > opts.ttlMs / 2) return true;
      const before = await current();
      if (before && before.holder !== holder && before.expires > t) {
        if (heldUntil) opts.log.warn({ lease: name, holder: before.holder }, 'lost the lease to another process: standing by');
        else if (lastOther !== before.holder) opts.log.info({ lease: name, holder: before.holder, until: new Date(before.expires).toISOString() }, 'another process holds the lease: standing by');
        lastOther = before.holder;
        heldUntil = 0;
        return false;
      }
      await write(t + opts.ttlMs);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const after = await current();
      if (after?.holder !== holder) {
        heldUntil = 0;
        return false;
      }
      if (!heldUntil) opts.log.info({ lease: name, holder, previous: before?.holder ?? null }, 'took the lease');
      heldUntil = t + opts.ttlMs;
      lastOther = '';
      return true;
    },
    async release() {
      if (!heldUntil) return;
      heldUntil = 0;
      const c = await current();
      if (c?.holder === holder) await write(now());
    },
  };
}
