/** Migrations at start-up: every table exists once, and a changed retention reaches the events and every rollup. */
import { describe, expect, it } from 'vitest';
import { openRuntime } from '../../services/shared/runtime.js';
import { ROLLUPS } from '../../schemas/rollups.js';
import { silentLog, testConfig, tmpDir } from './helpers.js';

describe('migrations', () => {
  it('create the rollups and views, and realign every TTL when retention changes', async () => {
    const dataDir = tmpDir('gw-migrate-');
    const first = await openRuntime(testConfig({ dataDir, clickhouse: { retentionDays: 30 } }), { role: 'test', log: silentLog });
    await first.close();
    const rt = await openRuntime(testConfig({ dataDir, clickhouse: { retentionDays: 45 } }), { role: 'test', log: silentLog });
    try {
      const tables = (await (await rt.store.client.query({ query: "SELECT name, create_table_query AS ddl FROM system.tables WHERE database = 'gatewatch'", format: 'JSONEachRow' })).json()) as Array<{ name: string; ddl: string }>;
      const ddl = new Map(tables.map((t) => [t.name, t.ddl]));
      for (const r of ROLLUPS) {
        expect(ddl.has(`${r.table}_mv`), `${r.table}_mv`).toBe(true);
        expect(ddl.get(r.table)).toMatch(/TTL minute \+ (INTERVAL 45 DAY|toIntervalDay\(45\))/);
      }
      expect(ddl.get('events')).toMatch(/(INTERVAL 45 DAY|toIntervalDay\(45\))/);
      const versions = (await (await rt.store.client.query({ query: 'SELECT version FROM schema_migrations FINAL ORDER BY version', format: 'JSONEachRow' })).json()) as Array<{ version: number }>;
      expect(versions.map((v) => Number(v.version))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      await rt.close();
    }
  });
});
