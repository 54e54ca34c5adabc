/**
 * Analyst SQL against an attacker holding an analyst key, on the real embedded engine and on
 * the server path (ClickHouse's HTTP interface): the hostile corpus (test/fixtures/hostile-sql.ts),
 * every table function and every function the running ClickHouse has beyond the allow-lists,
 * a 10 MB query; none may read a file, a secret, a forbidden table or a setting, or stop the
 * service. Then what the console, the dashboard and the docs do must still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { ApiKeyStore } from '../../services/storage/api-keys.js';
import { createAuditLog } from '../../services/storage/audit-log.js';
import { buildApp, type App } from '../../services/api/app.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createSilenceStore } from '../../services/storage/silence-store.js';
import { CLI_KEY_FILE } from '../../services/api/api-role.js';
import { isAllowedFunction, TABLE_FUNCTIONS } from '../../services/api/sql-guard/sql-policy.js';
import { startChdbHttpServer, type ChdbHttpServer } from '../clickhouse-http/chdb-http-server.js';
import { HOSTILE_SQL } from '../fixtures/hostile-sql.js';
import { EXAMPLES } from '../../dashboards/web/sql-examples.js';
import { silentLog, testConfig, tmpDir } from './helpers.js';

interface World {
  rt: Runtime;
  app: App;
  analyst: string;
  dataDir: string;
  canary: string;
  /** strings no answer to an analyst may contain */
  secrets: string[];
  server?: ChdbHttpServer;
}

async function makeWorld(kind: 'embedded' | 'http'): Promise<World> {
  const dataDir = tmpDir('gw-sqlguard-');
  const limits = { api: { queryTimeoutSec: 3, queryMaxMemoryBytes: 256 * 1024 * 1024 } };
  let server: ChdbHttpServer | undefined;
  let config;
  if (kind === 'http') {
    server = await startChdbHttpServer({ path: tmpDir('gw-sqlguard-ch-'), users: { gatewatch: { password: 'service-pw' }, gatewatch_query: { password: 'query-pw', readonly: true } } });
    config = testConfig({ dataDir, ...limits, clickhouse: { url: server.url, username: 'gatewatch', password: 'service-pw', queryUsername: 'gatewatch_query', queryPassword: 'query-pw' } });
  } else {
    config = testConfig({ dataDir, ...limits });
  }
  const rt = await openRuntime(config, { role: 'test', log: silentLog });
  const gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
  const keys = new ApiKeyStore(rt.store);
  const analyst = (await keys.create('analyst', 'analyst')).key;
  const cli = (await keys.create('local cli', 'admin')).key;
  writeFileSync(join(dataDir, CLI_KEY_FILE), `${cli}\n`, { mode: 0o600 });
  const fingerprint = `fpk-${randomBytes(16).toString('hex')}`;
  writeFileSync(join(dataDir, 'fingerprint.key'), fingerprint, { mode: 0o600 });
  const canaryText = `canary-${randomBytes(16).toString('hex')}`;
  const canary = join(dataDir, 'canary.txt');
  writeFileSync(canary, canaryText);
  const app = await buildApp({ config, store: rt.store, keys, audit: createAuditLog(rt.store), ingest: gateway, metrics: rt.metrics, log: silentLog, readiness: [], alerts: createClickHouseAlertStore(rt.store), silences: createSilenceStore(rt.store) });
  // a little history to query
  const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ time: new Date(Date.now() - 60_000 + i).toISOString(), method: 'GET', path: `/v1/items/${i}`, status: 200, client_ip: `198.51.100.${i}`, request_id: `req-${i}` }));
  const ingested = await app.inject({ method: 'POST', url: '/v1/ingest', headers: { authorization: `Bearer ${(await keys.create('gw', 'ingest')).key}`, 'content-type': 'application/x-ndjson' }, payload: lines.join('\n') });
  expect(ingested.statusCode, ingested.body).toBe(200);
  const secret = (k: string) => k.split('_').slice(2).join('_');
  const hashOf = (k: string) => createHash('sha256').update(secret(k)).digest('hex');
  return {
    rt, app, analyst, dataDir, canary, server,
    secrets: [cli, secret(cli), hashOf(cli), hashOf(analyst), fingerprint, config.fingerprintKey ?? fingerprint, canaryText, 'root:x:0:0', 'service-pw', 'query-pw'],
  };
}

async function closeWorld(w: World | undefined): Promise<void> {
  await w?.app.close();
  await w?.rt.close();
  await w?.server?.close();
}

const fill = (w: World, sql: string) => sql.replaceAll('$DATA', w.dataDir).replaceAll('$CANARY', w.canary);

async function ask(w: World, sql: string, format?: string) {
  return w.app.inject({ method: 'POST', url: '/v1/query', headers: { authorization: `Bearer ${w.analyst}` }, payload: { sql, ...(format ? { format } : {}) } });
}

function expectNoSecret(w: World, body: string, what: string): void {
  for (const s of w.secrets) expect(body.includes(s), `${what} answered with a secret`).toBe(false);
}

/** ClickHouse's own functions and table functions, from the engine under test. */
async function catalogue(w: World): Promise<{ functions: string[]; tableFunctions: string[] }> {
  const q = async (sql: string) => ((await (await w.rt.store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as Array<{ name: string }>).map((r) => r.name);
  return { functions: await q('SELECT name FROM system.functions ORDER BY name'), tableFunctions: await q('SELECT name FROM system.table_functions ORDER BY name') };
}

describe.each(['embedded', 'http'] as const)('analyst SQL against hostile queries (%s)', (kind) => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld(kind);
  }, 120_000);
  afterAll(async () => closeWorld(w));

  it(`refuses or stops each of the ${HOSTILE_SQL.length} hostile queries, and none answers with a secret`, async () => {
    expect(HOSTILE_SQL.length).toBeGreaterThanOrEqual(80);
    const wrong: string[] = [];
    for (const q of HOSTILE_SQL) {
      const res = await ask(w, fill(w, q.sql));
      expectNoSecret(w, res.body, q.name);
      const code = (res.json() as { code?: string }).code;
      const ok =
        q.expect === 'refused' ? res.statusCode === 403 && code === 'sql_not_allowed'
        : q.expect === 'invalid' ? res.statusCode === 400 && code === 'sql_invalid'
        : res.statusCode === 400 && code === 'query_failed' && /timeout|memory limit|limit .*exceeded|too many/i.test(res.body);
      if (!ok) wrong.push(`${q.name}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it('refuses every table function ClickHouse has but the few that only make values', async () => {
    const { tableFunctions } = await catalogue(w);
    expect(tableFunctions.length).toBeGreaterThan(50);
    const wrong: string[] = [];
    for (const name of tableFunctions.filter((n) => !TABLE_FUNCTIONS.includes(n))) {
      let res = await ask(w, `SELECT * FROM ${name}('${w.canary}')`);
      // view() and its kin take a query, not a string
      if (res.statusCode === 400) res = await ask(w, `SELECT * FROM ${name}(SELECT file('${w.canary}'))`);
      if (res.statusCode === 400) res = await ask(w, `SELECT * FROM ${name}(SELECT file('${w.canary}') ELSE null('f String'))`);
      expectNoSecret(w, res.body, name);
      if (res.statusCode !== 403) wrong.push(`${name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it('refuses every function ClickHouse has that is not on the allow-list, as a scalar and in a table expression', async () => {
    const { functions } = await catalogue(w);
    const closed = functions.filter((n) => !isAllowedFunction(n));
    // what the allow-list leaves out: the dangerous ones among them
    for (const must of ['file', 'getSetting', 'getServerSetting', 'joinGet', 'dictGet', 'hostName', 'sleep', 'chdb', 'catboostEvaluate', 'addressToLine']) expect(closed).toContain(must);
    const wrong: string[] = [];
    for (const name of closed) {
      const res = await ask(w, `SELECT \`${name}\`('${w.canary}')`);
      expectNoSecret(w, res.body, name);
      if (res.statusCode !== 403) wrong.push(`${name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it('refuses a 10 MB query with 413 and a query over the length limit with 400, and keeps serving', async () => {
    const huge = `SELECT '${'a'.repeat(10 * 1024 * 1024)}'`;
    const big = await w.app.inject({ method: 'POST', url: '/v1/query', headers: { authorization: `Bearer ${w.analyst}`, 'content-type': 'application/json' }, payload: JSON.stringify({ sql: huge }) });
    expect(big.statusCode).toBe(413);
    const long = await ask(w, `SELECT 1 ${' '.repeat(100_001)}`);
    expect(long.statusCode).toBe(400);
    expect(Number((await ask(w, 'SELECT count() AS n FROM events')).json().data[0].n)).toBe(50);
  });

  it('keeps the service up and the engine writable after the whole corpus', async () => {
    expect((await w.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const res = await ask(w, 'SELECT count() AS n FROM events FORMAT JSONEachRow');
    expect(res.statusCode, res.body).toBe(200);
    expect(Number(JSON.parse(res.body).n)).toBe(50);
    const rows = (await (await w.rt.store.client.query({ query: "SELECT outcome, count() AS n FROM audit_log WHERE action = 'query' GROUP BY outcome", format: 'JSONEachRow' })).json()) as Array<{ outcome: string; n: string }>;
    expect(Number(rows.find((r) => r.outcome === 'refused')?.n ?? 0)).toBeGreaterThan(80);
  });
});

describe('analyst SQL that must keep working', () => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld('embedded');
  }, 120_000);
  afterAll(async () => closeWorld(w));

  const LEGIT = [
    'SELECT count() FROM events',
    "SELECT route, count() AS n, countIf(status >= 500) AS errors, quantile(0.95)(latency_ms) AS p95 FROM events WHERE event_time > now() - INTERVAL 1 DAY GROUP BY route ORDER BY n DESC LIMIT 10",
    'WITH top AS (SELECT client_ip, count() AS n FROM events GROUP BY client_ip ORDER BY n DESC LIMIT 5) SELECT IPv6NumToString(client_ip) AS ip, n FROM top',
    'SELECT toStartOfFiveMinutes(event_time) AS t, uniqExact(client_ip) AS ips FROM events GROUP BY t ORDER BY t WITH FILL',
    "SELECT * FROM events WHERE request_id IN (SELECT request_id FROM events WHERE status = 200 LIMIT 3) ORDER BY event_time DESC LIMIT 5",
    'SELECT a.route, b.n FROM (SELECT route FROM events GROUP BY route) AS a LEFT JOIN (SELECT route, count() AS n FROM events GROUP BY route) AS b ON a.route = b.route',
    'SELECT detector, severity, count() FROM alerts GROUP BY ALL',
    'SELECT sum(requests), uniqExactArray(principals) FROM rollup_route_1m',
    'SELECT number, number * 2 FROM numbers(10) UNION ALL SELECT 1, 2',
    "SELECT row_number() OVER (PARTITION BY route ORDER BY event_time) AS rn, path FROM events LIMIT 5",
    "SELECT arrayMap(x -> x * 2, [1, 2, 3]) AS a, arrayFilter(x -> x > 1, a), CASE WHEN 1 THEN 'y' ELSE 'n' END, if(1, 2, 3), multiIf(0, 1, 2)",
    "SELECT COUNT(*), Sum(status), AVG(latency_ms), lower('X'), substr('abc', 1, 2), DATE_TRUNC('day', now()) FROM events",
    "SELECT sumIf(bytes_out, status = 200), avgOrNull(latency_ms), countDistinct(route), uniqIf(client_ip, status >= 400), argMax(path, event_time) FROM events",
    "SELECT table, name FROM system.columns WHERE database = currentDatabase() ORDER BY table, position",
    'SELECT * FROM events LIMIT 1 BY route',
    'SELECT count() FROM events SETTINGS max_threads = 1, join_use_nulls = 1',
    "SELECT toDateTime('2026-01-01 00:00:00') AS t SETTINGS session_timezone = 'Europe/Paris'",
    'EXPLAIN SELECT count() FROM events WHERE status = 500',
    'EXPLAIN PLAN header = 1 SELECT count() FROM events',
    'EXPLAIN QUERY TREE SELECT count() FROM events',
    'EXPLAIN AST SELECT 1',
    'EXPLAIN PIPELINE SELECT count() FROM events',
    'DESCRIBE TABLE events',
    'DESC alerts',
    'DESCRIBE (SELECT route, count() FROM events GROUP BY route)',
    'SELECT * FROM values(\'a UInt8, b String\', (1, \'x\'), (2, \'y\'))',
    'SELECT count() FROM generate_series(1, 100)',
    "SELECT JSONExtractString('{\"a\":\"b\"}', 'a'), domain('https://example.com/x'), isIPAddressInRange('10.0.0.1', '10.0.0.0/8'), cityHash64('x'), geoDistance(2.35, 48.85, 13.4, 52.5)",
    'SELECT 1 INTERSECT SELECT 1',
    "SELECT e.route FROM events AS e WHERE EXISTS (SELECT 1 FROM alerts) LIMIT 1",
  ];

  it('runs what an analyst writes and the console\'s examples: aggregates, joins, windows, WITH, EXPLAIN, DESCRIBE, safe SETTINGS', async () => {
    const wrong: string[] = [];
    for (const sql of [...LEGIT, ...EXAMPLES.map((e) => e.sql)]) {
      const res = await ask(w, sql);
      if (res.statusCode !== 200) wrong.push(`${sql}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('applies the safe SETTINGS a query asks for, under readonly', async () => {
    const res = await ask(w, "SELECT toString(toDateTime('2026-01-01 00:00:00', 'UTC')) AS t SETTINGS session_timezone = 'Asia/Tokyo', date_time_output_format = 'iso' FORMAT JSONEachRow");
    expect(res.statusCode, res.body).toBe(200);
    // the session after it is back to the defaults
    const after = await ask(w, "SELECT timezone() AS tz FORMAT JSONEachRow");
    expect(JSON.parse(after.body).tz).not.toBe('Asia/Tokyo');
  });

  it('says what it refused, without the engine\'s text', async () => {
    const res = await ask(w, `SELECT file('${w.canary}'), getSetting('readonly') FROM api_keys`);
    expect(res.statusCode).toBe(403);
    const { error } = res.json() as { error: string };
    expect(error).toContain('file()');
    expect(error).toContain('getSetting()');
    expect(error).toContain('table api_keys');
    expect(error).not.toMatch(/DB::Exception|Code: \d+/);
  });
});
