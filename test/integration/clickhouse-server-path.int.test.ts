/**
 * The server path (`CLICKHOUSE_URL`): @clickhouse/client over HTTP, as a deployment with a
 * ClickHouse server runs it. No server runs here, so the engine answers behind ClickHouse's HTTP
 * interface (test/clickhouse-http/chdb-http-server.ts): migrations, the ingest insert with its
 * deduplication token, analyst SQL as the read-only user, refusals and errors go over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openStore, type Store } from '../../services/storage/clickhouse.js';
import { migrate } from '../../services/storage/migrate.js';
import { MIGRATIONS } from '../../schemas/migrations/index.js';
import { createClickHouseEventSink, encodeEvents } from '../../services/storage/clickhouse-event-sink.js';
import type { NormalizedEvent } from '../../schemas/event-schema.js';
import { startChdbHttpServer, type ChdbHttpServer } from '../clickhouse-http/chdb-http-server.js';
import { silentLog, testConfig, tmpDir } from './helpers.js';

const event = (i: number): NormalizedEvent => ({
  event_time: new Date(Date.now() - 60_000 + i).toISOString(), gateway: 'gw', source_format: 'kong', request_id: `r${i}`, method: 'GET', host: 'api.example.com', path: `/v1/users/${i}`, route: '/v1/users/{id}', query: '',
  status: i % 5 === 0 ? 401 : 200, latency_ms: 3, bytes_in: 10, bytes_out: 20, client_ip: `203.0.113.${i % 200}`, principal: { type: 'jwt_sub', id: `user-${i % 7}` }, auth_outcome: i % 5 === 0 ? 'failure' : 'success',
  user_agent: 'ua', headers: { accept: '*/*' }, country: 'FR', city: 'Paris', lat: 48.85, lon: 2.35, asn: 3215, as_org: 'Orange', redacted_fields: 0,
});

describe('the server path, over HTTP', () => {
  let server: ChdbHttpServer;
  let store: Store;
  const config = () => testConfig({ clickhouse: { url: server.url, username: 'gatewatch', password: 'service-pw', queryUsername: 'gatewatch_query', queryPassword: 'query-pw' } });

  beforeAll(async () => {
    server = await startChdbHttpServer({ path: tmpDir('gw-chhttp-'), users: { gatewatch: { password: 'service-pw' }, gatewatch_query: { password: 'query-pw', readonly: true } } });
    store = await openStore(config());
  });
  afterAll(async () => {
    await store?.close();
    await server?.close();
  });

  it('migrates, stores a batch once however often it is sent, and feeds the rollups', async () => {
    expect(store.embedded).toBe(false);
    const { applied } = await migrate(store, 30, silentLog);
    expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
    const sink = createClickHouseEventSink(store);
    const rows = encodeEvents(Array.from({ length: 500 }, (_, i) => event(i)));
    await sink.insertRows(rows, 'batch-1');
    await sink.insertRows(rows, 'batch-1'); // redelivered: dropped by its token
    await sink.insertRows(encodeEvents([event(1000)]), 'batch-2');
    const count = async (sql: string) => Number((await (await store.client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);
    expect(await count('SELECT count() AS n FROM gatewatch.events')).toBe(501);
    expect(await count('SELECT sum(requests) AS n FROM gatewatch.rollup_route_1m')).toBe(501);
    expect(await count('SELECT sum(failures) AS n FROM gatewatch.rollup_ip_1m')).toBe(101);
    expect(await count("SELECT uniqExactArray(principals) AS n FROM gatewatch.rollup_route_1m")).toBe(7);
    expect(server.stats.inserts['gatewatch.events']).toBe(3); // the redelivered batch did reach the server
    expect((await (await store.client.query({ query: "SELECT value FROM system.settings WHERE name = 'readonly'", format: 'JSONEachRow' })).json<{ value: string }>())[0]!.value).toBe('0');
  });

  it('runs analyst SQL as the read-only user, with its limits, and refuses writes and OUTFILE', async () => {
    const text = async (sql: string) => {
      let out = '';
      for await (const c of await store.readOnly(sql)) out += Buffer.isBuffer(c) ? c.toString('utf8') : String(c);
      return out;
    };
    expect(await text('SELECT count() FROM events FORMAT TSV')).toBe('501\n');
    expect(await text("SELECT currentUser() AS u, getSetting('readonly') AS r FORMAT TSV")).toBe('default\t1\n'); // the engine has no users: the user is checked at the door
    await expect(text('INSERT INTO events (gateway) VALUES (1)')).rejects.toThrow(/readonly|READONLY/);
    await expect(text("SELECT 1 INTO OUTFILE '/tmp/gatewatch-outfile-test'")).rejects.toThrow(/OUTFILE/);
    expect(await store.format('select 1')).toBe('SELECT 1');
  });

  it("answers a wrong password and the engine's errors the way a server does, and the client writes none of it to the console", async () => {
    const console_ = [vi.spyOn(console, 'error'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'log')];
    await expect(openStore(testConfig({ clickhouse: { url: server.url, username: 'gatewatch', password: 'nope' } }))).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' });
    await expect(store.client.query({ query: 'SELEC 1' })).rejects.toMatchObject({ code: '62' });
    await expect(store.client.query({ query: 'SELECT * FROM gatewatch.no_such_table' })).rejects.toMatchObject({ code: '60' });
    await expect(store.readOnly("SELECT 'sk_live_4eC39HqLyjWDarjtT1zdp7dc' FROM no_such_table")).rejects.toThrow();
    // errors reach our logs through the callers, scrubbed; the HTTP client's own logger is off
    for (const spy of console_) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
  });
});
