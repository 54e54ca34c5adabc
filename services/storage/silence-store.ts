/** Silences in ClickHouse (`silences`, newest version wins). Expiring one moves its end to now. */
import { randomUUID } from 'node:crypto';
import type { Store } from './clickhouse.js';
import type { Silence, SilenceMatchers } from '../notify/silence-matcher.js';
import { chToIso as iso, msToCh as ch } from './time.js';


export interface SilenceStore {
  create(s: { matchers: SilenceMatchers; startsAt: number; endsAt: number; createdBy: string; comment: string }): Promise<Silence>;
  /** silences not yet ended at `at` (and, with `all`, the ended ones too), newest first */
  list(opts?: { at?: number; all?: boolean }): Promise<Silence[]>;
  expire(id: string, at?: number): Promise<Silence | undefined>;
}

export function createSilenceStore(store: Store, now: () => number = Date.now): SilenceStore {
  const { client, db } = store;
  let version = 0;
  async function write(s: Silence, createdAt: number): Promise<void> {
    version = Math.max(version + 1, now() * 1000);
    await client.insert({
      table: `${db}.silences`,
      format: 'JSONEachRow',
      values: [{ id: s.id, matchers: JSON.stringify(s.matchers), starts_at: ch(Date.parse(s.starts_at)), ends_at: ch(Date.parse(s.ends_at)), created_by: s.created_by, comment: s.comment, created_at: ch(createdAt), version }],
    });
  }
  async function all(): Promise<Silence[]> {
    const rows = await (await client.query({ query: `SELECT id, matchers, toString(starts_at) AS starts_at, toString(ends_at) AS ends_at, created_by, comment FROM ${db}.silences FINAL ORDER BY created_at DESC`, format: 'JSONEachRow' })).json<{ id: string; matchers: string; starts_at: string; ends_at: string; created_by: string; comment: string }>();
    return rows.map((r) => ({ id: r.id, matchers: JSON.parse(r.matchers) as SilenceMatchers, starts_at: iso(r.starts_at), ends_at: iso(r.ends_at), created_by: r.created_by, comment: r.comment }));
  }
  return {
    async create(s) {
      const silence: Silence = { id: randomUUID(), matchers: s.matchers, starts_at: new Date(s.startsAt).toISOString(), ends_at: new Date(s.endsAt).toISOString(), created_by: s.createdBy, comment: s.comment };
      await write(silence, now());
      return silence;
    },
    async list(opts = {}) {
      const at = opts.at ?? now();
      const list = await all();
      return opts.all ? list : list.filter((s) => Date.parse(s.ends_at) > at);
    },
    async expire(id, at = now()) {
      const s = (await all()).find((x) => x.id === id);
      if (!s) return undefined;
      if (Date.parse(s.ends_at) <= at) return s;
      const expired = { ...s, ends_at: new Date(at).toISOString() };
      await write(expired, at);
      return expired;
    },
  };
}
