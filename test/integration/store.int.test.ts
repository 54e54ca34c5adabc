/**
 * Store.insertRaw on the embedded engine: encoded rows go in as bytes, their settings hold for
 * that statement only (a deduplication token must not swallow the next insert), and names that
 * are not plain identifiers are refused before anything runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { EVENT_COLUMNS } from '../../services/ingest/row-writer.js';
import { encodeEvents } from '../../services/storage/clickhouse-event-sink.js';
import type { NormalizedEvent } from '../../schemas/event-schema.js';
import { spawnSync } from 'node:child_process';
import { silentLog, testConfig, tmpDir, unique } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await openRuntime(testConfig(), { role: 'test', log: silentLog });
});
afterAll(async () => rt?.close());

function event(path: string): NormalizedEvent {
  return {
    event_time: new Date().toISOString(), gateway: 'test', source_format: 'kong', request_id: '', method: 'GET', host: 'h', path, route: path, query: '',
    status: 200, latency_ms: 1, bytes_in: 0, bytes_out: 10, client_ip: '203.0.113.7', principal: { type: 'anonymous', id: '' }, auth_outcome: 'none',
    user_agent: 'ua', headers: { accept: '*/*' }, country: '', city: '', lat: null, lon: null, asn: 0, as_org: '', redacted_fields: 0,
  };
}

async function stored(prefix: string): Promise<string[]> {
  const rows = (await (await rt.store.client.query({ query: `SELECT path FROM events WHERE startsWith(path, {p:String}) ORDER BY path`, query_params: { p: prefix }, format: 'JSONEachRow' })).json()) as Array<{ path: string }>;
  return rows.map((r) => r.path);
}

describe('Store.insertRaw', () => {
  it('stores encoded rows once per token, and the token does not outlive its statement', async () => {
    const p = `/${unique('raw')}`;
    const insert = (paths: string[], settings?: Record<string, string | number>) =>
      rt.store.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body: encodeEvents(paths.map(event)).body, ...(settings ? { settings } : {}) });
    await insert([`${p}/a`, `${p}/b`], { insert_deduplication_token: `${p}-1`, insert_deduplicate: 1 });
    await insert([`${p}/a`, `${p}/b`], { insert_deduplication_token: `${p}-1`, insert_deduplicate: 1 }); // the same batch again
    expect(await stored(p)).toEqual([`${p}/a`, `${p}/b`]);
    await insert([`${p}/c`]); // no token: had the last one stuck to the session, this would be dropped
    await insert([`${p}/d`], { insert_deduplication_token: `${p}-2`, insert_deduplicate: 1 });
    expect(await stored(p)).toEqual([`${p}/a`, `${p}/b`, `${p}/c`, `${p}/d`]);
    // the header map and the address arrive as typed columns
    const [row] = (await (await rt.store.client.query({ query: `SELECT headers['accept'] AS a, toString(client_ip) AS ip FROM events WHERE path = {p:String}`, query_params: { p: `${p}/a` }, format: 'JSONEachRow' })).json()) as Array<{ a: string; ip: string }>;
    expect(row).toEqual({ a: '*/*', ip: '::ffff:203.0.113.7' });
  });

  it('refuses a table or column that is not a plain identifier, and a body ClickHouse cannot read', async () => {
    const body = encodeEvents([event('/x')]).body;
    await expect(rt.store.insertRaw({ table: 'events; DROP TABLE events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body })).rejects.toThrow(/invalid identifier/);
    await expect(rt.store.insertRaw({ table: 'events', columns: ['path) SELECT 1 --'], format: 'JSONCompactEachRow', body })).rejects.toThrow(/invalid identifier/);
    await expect(rt.store.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body: Buffer.from('[1, 2]\n') })).rejects.toThrow();
    expect(await stored('/x')).toEqual([]);
  });
});

describe('the embedded engine', () => {
  it('is loaded only by a process that opens it: with a ClickHouse server no process pays its ~150 MB', () => {
    // a fresh process: this one has the engine loaded already
    const script = `
      const loaded = () => process.report.getReport().sharedObjects.some((o) => o.includes('libchdb'));
      await import(${JSON.stringify(new URL('../../services/cli/main.ts', import.meta.url).href)});
      const afterImport = loaded();
      const { openStore } = await import(${JSON.stringify(new URL('../../services/storage/clickhouse.ts', import.meta.url).href)});
      const { validateConfig } = await import(${JSON.stringify(new URL('../../services/shared/config.ts', import.meta.url).href)});
      const store = await openStore(validateConfig({ dataDir: ${JSON.stringify(tmpDir('gw-lazy-'))} }));
      console.log(JSON.stringify({ afterImport, afterOpen: loaded() }));
      await store.close();`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, GATEWATCH_LOG_LEVEL: 'silent' } });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ afterImport: false, afterOpen: true });
  });
});
