import type { Logger } from 'pino';
import { MIGRATIONS, type Migration } from '../../schemas/migrations/index.js';
import { ROLLUPS } from '../../schemas/rollups.js';
import type { Store } from './clickhouse.js';

export interface MigrateResult {
  applied: number[];
  ttlChanged: boolean;
}

/**
 * Applies pending migrations in version order and brings the events TTL in line with the
 * configured retention. Safe to run at every start-up, from several processes: statements
 * are idempotent and a version is recorded only after all its statements succeeded.
 */
export async function migrate(
  store: Store,
  retentionDays: number,
  log: Logger,
  migrations: Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  const { client, db } = store;
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations
      (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rows = await (
    await client.query({ query: `SELECT version FROM ${db}.schema_migrations FINAL`, format: 'JSONEachRow' })
  ).json<{ version: number }>();
  const done = new Set(rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    if (m.requiresMergeTreeSetting && !(await knowsMergeTreeSetting(store, m.requiresMergeTreeSetting))) {
      log.warn({ version: m.version, name: m.name, setting: m.requiresMergeTreeSetting }, 'migration skipped: this ClickHouse has no such MergeTree setting');
    } else for (const statement of m.statements({ db, retentionDays })) await client.command({ query: statement });
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    });
    log.info({ version: m.version, name: m.name }, 'migration applied');
    applied.push(m.version);
  }
  const ttlChanged = await alignRetention(store, retentionDays, log);
  return { applied, ttlChanged };
}

async function knowsMergeTreeSetting(store: Store, name: string): Promise<boolean> {
  const rows = await (
    await store.client.query({ query: 'SELECT name FROM system.merge_tree_settings WHERE name = {name:String}', query_params: { name }, format: 'JSONEachRow' })
  ).json<{ name: string }>();
  return rows.length > 0;
}

/** Tables whose TTL follows `retentionDays`: the events and every rollup built from them. */
const RETAINED: Array<{ table: string; ttl: string; pattern: RegExp }> = [
  { table: 'events', ttl: 'toDateTime(event_time)', pattern: /TTL toDateTime\(event_time\) \+ (?:INTERVAL|toIntervalDay\()\s*(\d+)/ },
  ...ROLLUPS.map((r) => ({ table: r.table, ttl: 'minute', pattern: /TTL minute \+ (?:INTERVAL|toIntervalDay\()\s*(\d+)/ })),
];

async function alignRetention(store: Store, retentionDays: number, log: Logger): Promise<boolean> {
  const { client, db } = store;
  const rows = await (
    await client.query({
      query: `SELECT name, create_table_query FROM system.tables WHERE database = {db:String}`,
      query_params: { db },
      format: 'JSONEachRow',
    })
  ).json<{ name: string; create_table_query: string }>();
  const ddl = new Map(rows.map((r) => [r.name, r.create_table_query]));
  let changed = false;
  for (const t of RETAINED) {
    const current = t.pattern.exec(ddl.get(t.table) ?? '')?.[1];
    if (current === undefined || Number(current) === retentionDays) continue;
    await client.command({ query: `ALTER TABLE ${db}.${t.table} MODIFY TTL ${t.ttl} + INTERVAL ${retentionDays} DAY` });
    log.info({ table: t.table, from: Number(current), to: retentionDays }, 'retention changed');
    changed = true;
  }
  return changed;
}
