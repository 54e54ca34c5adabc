/**
 * Migrations at start-up: every table exists once, a changed retention reaches the events and
 * every rollup, and the rollups made with uniqExact states are rebuilt as arrays with the same counts.
 */
import { describe, expect, it } from 'vitest';
import { openRuntime } from '../../services/shared/runtime.js';
import { ROLLUPS, rollupDdl, type Rollup } from '../../schemas/rollups.js';
import { MIGRATIONS } from '../../schemas/migrations/index.js';
import type { NormalizedEvent } from '../../schemas/event-schema.js';
import { openStore } from '../../services/storage/clickhouse.js';
import { migrate } from '../../services/storage/migrate.js';
import { createClickHouseEventSink, encodeEvents } from '../../services/storage/clickhouse-event-sink.js';
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
      // migration 10: fewer merges of the tables written at the event rate, and only those
      for (const t of ['events', ...ROLLUPS.map((r) => r.table)]) expect(ddl.get(t), t).toMatch(/merge_selector_base = 10\b/);
      expect(ddl.get('alerts')).not.toMatch(/merge_selector_base/);
      const versions = (await (await rt.store.client.query({ query: 'SELECT version FROM schema_migrations FINAL ORDER BY version', format: 'JSONEachRow' })).json()) as Array<{ version: number }>;
      expect(versions.map((v) => Number(v.version))).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await rt.close();
    }
  });
});

describe('a migration that needs a MergeTree setting', () => {
  it('is skipped, recorded and logged where the server does not know the setting, and applied where it does', async () => {
    const store = await openStore(testConfig({ dataDir: tmpDir('gw-migrate-req-') }));
    const warnings: unknown[] = [];
    const log = { ...silentLog, info: () => undefined, warn: (o: unknown) => warnings.push(o) } as unknown as typeof silentLog;
    try {
      const table = (v: number) => `CREATE TABLE IF NOT EXISTS ${store.db}.m${v} (x UInt8) ENGINE = MergeTree ORDER BY x`;
      const result = await migrate(store, 30, log, [
        { version: 1, name: 'unknown setting', requiresMergeTreeSetting: 'no_such_setting_anywhere', statements: () => [table(1), `ALTER TABLE ${store.db}.m1 MODIFY SETTING no_such_setting_anywhere = 1`] },
        { version: 2, name: 'known setting', requiresMergeTreeSetting: 'merge_selector_base', statements: () => [table(2), `ALTER TABLE ${store.db}.m2 MODIFY SETTING merge_selector_base = 7`] },
      ]);
      expect(result.applied).toEqual([1, 2]);
      expect(warnings).toEqual([{ version: 1, name: 'unknown setting', setting: 'no_such_setting_anywhere' }]);
      const tables = (await (await store.client.query({ query: `SELECT name, create_table_query AS ddl FROM system.tables WHERE database = '${store.db}' AND name IN ('m1', 'm2')`, format: 'JSONEachRow' })).json()) as Array<{ name: string; ddl: string }>;
      expect(tables.map((t) => t.name)).toEqual(['m2']);
      expect(tables[0]!.ddl).toMatch(/merge_selector_base = 7/);
      // recorded: a second start applies nothing
      expect((await migrate(store, 30, log, [{ version: 1, name: 'unknown setting', requiresMergeTreeSetting: 'no_such_setting_anywhere', statements: () => [table(1)] }])).applied).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

/** The rollups as migration 5 first made them: distinct sets as uniqExact states. */
const withStates = (r: Rollup): Rollup => ({
  ...r,
  values: r.values.map((v) => {
    const type = /^SimpleAggregateFunction\(groupUniqArrayArray, Array\((\w+)\)\)$/.exec(v.type)?.[1];
    if (!type) return v;
    const conditional = v.expr.startsWith('groupUniqArrayIf(');
    return {
      ...v,
      type: conditional ? `AggregateFunction(uniqExactIf, ${type}, UInt8)` : `AggregateFunction(uniqExact, ${type})`,
      expr: v.expr.replace(/^groupUniqArrayIf\(/, 'uniqExactIfState(').replace(/^groupUniqArray\(/, 'uniqExactState('),
    };
  }),
});

function failedLogin(ip: string, principal: string, minute: string): NormalizedEvent {
  return {
    event_time: `${minute}:07.000Z`, gateway: 'gw', source_format: 'kong', request_id: '', method: 'POST', host: 'h', path: `/v1/orders/${principal}`, route: '/v1/orders/{id}', query: '',
    status: 401, latency_ms: 3, bytes_in: 10, bytes_out: 20, client_ip: ip, principal: { type: 'basic', id: principal }, auth_outcome: 'failure',
    user_agent: 'ua', headers: {}, country: 'FR', city: 'Paris', lat: 48.85, lon: 2.35, asn: 3215, as_org: 'Orange', redacted_fields: 0,
  };
}

describe('migration 9', () => {
  it('rebuilds the rollups that held uniqExact states as arrays of values, from the events, with the same counts', async () => {
    const dataDir = tmpDir('gw-migrate9-');
    const minute = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16);
    const before = MIGRATIONS.filter((m) => m.version <= 8).map((m) =>
      m.version !== 5 ? m : { ...m, statements: (ctx: { db: string; retentionDays: number }) => [...m.statements(ctx).filter((s) => !s.includes('rollup_')), ...ROLLUPS.flatMap((r) => rollupDdl(ctx.db, withStates(r), ctx.retentionDays))] },
    );
    const store = await openStore(testConfig({ dataDir }));
    try {
      await migrate(store, 30, silentLog, before);
      const q = async (sql: string) => (await (await store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>;
      const insert = (events: NormalizedEvent[], token: string) => createClickHouseEventSink(store).insertRows(encodeEvents(events), token);
      // one address failing as 7 principals, another failing as 1; alice and bob from 2 addresses
      await insert([...['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'].map((p) => failedLogin('203.0.113.7', p, minute)), failedLogin('198.51.100.9', 'alice', minute), failedLogin('198.51.100.9', 'bob', minute)], 'm9-1');
      const ipsPerPrincipal = "SELECT principal_id, toString(uniqExactIfMerge(failed_ips)) AS n FROM rollup_principal_1m GROUP BY principal_id ORDER BY principal_id";
      const statesIp = await q("SELECT toString(client_ip) AS ip, toString(uniqExactIfMerge(failed_principals)) AS n, toString(sum(requests)) AS r FROM rollup_ip_1m GROUP BY ip ORDER BY ip");
      const statesPrincipal = await q(ipsPerPrincipal);
      expect(statesIp).toEqual([{ ip: '::ffff:198.51.100.9', n: '2', r: '2' }, { ip: '::ffff:203.0.113.7', n: '7', r: '7' }]);

      const { applied } = await migrate(store, 30, silentLog);
      expect(applied).toEqual(MIGRATIONS.map((m) => m.version).filter((v) => v >= 9));
      const types = await q("SELECT table, name, type FROM system.columns WHERE database = 'gatewatch' AND table LIKE 'rollup_%' AND type LIKE '%AggregateFunction(uniq%'");
      expect(types).toEqual([]);
      expect(await q("SELECT toString(client_ip) AS ip, toString(uniqExactArray(failed_principals)) AS n, toString(sum(requests)) AS r FROM rollup_ip_1m GROUP BY ip ORDER BY ip")).toEqual(statesIp);
      expect(await q(ipsPerPrincipal.replace('uniqExactIfMerge(failed_ips)', 'uniqExactArray(failed_ips)'))).toEqual(statesPrincipal);
      // the rebuilt views keep counting, and a value seen again is not counted twice
      await insert([failedLogin('203.0.113.7', 'alice', minute), failedLogin('203.0.113.7', 'heidi', minute)], 'm9-2');
      expect(await q("SELECT toString(uniqExactArray(failed_principals)) AS n, toString(sum(requests)) AS r FROM rollup_ip_1m WHERE client_ip = toIPv6('203.0.113.7')")).toEqual([{ n: '8', r: '9' }]);
      // run again (an interrupted upgrade): nothing is applied twice
      expect((await migrate(store, 30, silentLog)).applied).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
