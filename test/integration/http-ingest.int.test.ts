/**
 * HTTP ingest, read-only SQL and access control against the real embedded ClickHouse engine
 * (chDB), through app.inject and over a real socket.
 */
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createSilenceStore } from '../../services/storage/silence-store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { ApiKeyStore } from '../../services/storage/api-keys.js';
import { createAuditLog } from '../../services/storage/audit-log.js';
import { buildApp, type App } from '../../services/api/app.js';
import { replayFiles } from '../../services/ingest/replay.js';
import type { HttpIngestGateway } from '../../services/ingest/ingest-gateway.js';
import * as fx from '../fixtures/gateway-logs.js';
import { silentLog, testConfig, tmpDir } from './helpers.js';

let rt: Runtime;
let app: App;
let gateway: HttpIngestGateway;
const key: Record<string, string> = {};
const auth = (role: string) => ({ authorization: `Bearer ${key[role]}` });

async function rows<T>(sql: string): Promise<T[]> {
  return (await (await rt.store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];
}

beforeAll(async () => {
  // the fixtures are dated 2026-10/11; retention wide enough that none is "too old"
  const config = testConfig({ clickhouse: { retentionDays: 3650 }, ingest: { trustedProxies: ['10.0.0.0/8'] }, api: { authFailureLimit: 1_000_000 } });
  rt = await openRuntime(config, { role: 'test', log: silentLog });
  gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
  const keys = new ApiKeyStore(rt.store);
  for (const role of ['ingest', 'viewer', 'analyst', 'admin'] as const) key[role] = (await keys.create(`test ${role}`, role)).key;
  const revoked = await keys.create('revoked', 'admin');
  await keys.revoke(revoked.id);
  key.revoked = revoked.key;
  app = await buildApp({ config, store: rt.store, keys, audit: createAuditLog(rt.store), ingest: gateway, metrics: rt.metrics, log: silentLog, readiness: [], alerts: createClickHouseAlertStore(rt.store), silences: createSilenceStore(rt.store) });
  await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await rt?.close();
});

describe('POST /v1/ingest', () => {
  it('stores every documented format sent as NDJSON and answers with counts', async () => {
    const body = [fx.NGINX_COMBINED_XFF, fx.NGINX_JSON, fx.KONG, fx.ENVOY_TEXT, fx.ENVOY_JSON, fx.TRAEFIK, fx.AWS_APIGW, fx.AZURE_APIM, fx.GENERIC, 'garbage line', '{"truncated": '].join('\n');
    const res = await app.inject({ method: 'POST', url: '/v1/ingest', headers: { ...auth('ingest'), 'content-type': 'application/x-ndjson' }, payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: 11, stored: 10, rejected: 2, queued: 0, reasons: { unknown_format: 1, invalid_json: 1 } });
    expect(res.json().errors).toEqual([
      expect.objectContaining({ index: 9, reason: 'unknown_format' }),
      expect.objectContaining({ index: 10, reason: 'invalid_json' }),
    ]);
    const stored = await rows<Record<string, unknown>>(`SELECT * EXCEPT ingest_time, toString(client_ip) AS ip FROM events WHERE source_format != '' ORDER BY event_time`);
    expect(stored).toHaveLength(10);
    // UInt64 is a JSON string on a server and a number on chDB: compare as numbers
    const kongRow = stored.find((r) => r.source_format === 'kong')!;
    const kong = { ...kongRow, bytes_in: Number(kongRow.bytes_in), bytes_out: Number(kongRow.bytes_out) };
    expect(kong).toMatchObject({
      event_time: '2026-11-28 10:00:00.000', gateway: 'kong', request_id: 'kong-req-1', method: 'GET', host: 'httpbin.org',
      path: '/get', route: '/get', query: 'apikey=[REDACTED:param]', status: 200, latency_ms: 1921, bytes_in: 75, bytes_out: 434,
      ip: '::ffff:127.0.0.1', principal_type: 'consumer', principal_id: 'demo', auth_outcome: 'success', user_agent: 'curl/7.37.1',
      country: '', city: '', lat: null, lon: null, asn: 0, as_org: '', redacted_fields: 3,
    });
    const nginx = stored.find((r) => r.source_format === 'nginx-combined')!;
    expect(nginx).toMatchObject({ ip: '::ffff:203.0.113.9', status: 401, auth_outcome: 'failure', principal_type: 'basic', principal_id: 'bob', query: 'next=/home&password=[REDACTED:param]', latency_ms: 12 });
    const envoy = stored.find((r) => r.source_format === 'envoy-json')!;
    expect(envoy).toMatchObject({ ip: '2001:db8::7', event_time: '2026-11-28 10:00:05.123' });
    const azure = stored.filter((r) => r.source_format === 'azure-apim');
    expect(azure.map((r) => r.status)).toEqual([200, 401]);
    // GeoIP and ASN from the real offline databases: 13.66.x is Microsoft in the US
    expect(azure[0]).toMatchObject({ country: 'US', asn: 8075, as_org: expect.stringMatching(/microsoft/i) });
    const all = JSON.stringify(stored);
    for (const secret of [fx.JWT_ALICE, 'YWxhZGRpbjpvcGVuc2VzYW1l', 's3cr3t-session-id', 'kong-secret-key-123456', 'tk_live_0123456789abcdef0123', 'hunter2', 'abc123secretvalue', 'generic-api-key-value-42', '0123456789abcdef0123456789abcdef']) {
      expect(all).not.toContain(secret);
    }
    const dlq = await rows<{ reason: string; source: string; record: string }>('SELECT reason, source, record FROM dead_letters ORDER BY reason');
    expect(dlq).toEqual([
      { reason: 'invalid_json', source: 'http', record: '{"truncated": ' },
      { reason: 'unknown_format', source: 'http', record: 'garbage line' },
    ]);
  });

  it('takes a JSON array, ?format=, and an Idempotency-Key that makes a retry harmless', async () => {
    const line = '192.0.2.50 - - [28/Nov/2026:11:00:00 +0000] "GET /idem HTTP/1.1" 204 0 "-" "-"';
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'POST', url: '/v1/ingest?format=nginx-combined', headers: { ...auth('ingest'), 'content-type': 'application/json', 'idempotency-key': 'batch-42' }, payload: JSON.stringify([line, line]) });
      expect(res.json()).toMatchObject({ received: 2, stored: 2 });
    }
    expect(await rows(`SELECT path FROM events WHERE path = '/idem'`)).toHaveLength(2);
  });

  it.each([
    ['an unknown format', '/v1/ingest?format=apache', 'x', 400, 'invalid_request'],
    ['an empty body', '/v1/ingest', '', 400, 'invalid_body'],
    ['a broken JSON array', '/v1/ingest', '[1, 2', 400, 'invalid_body'],
  ])('refuses %s', async (_n, url, payload, status, code) => {
    const res = await app.inject({ method: 'POST', url, headers: { ...auth('ingest'), 'content-type': 'text/plain' }, payload });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
  });

  it('refuses a body over the size limit with 413 and stores nothing from it', async () => {
    const before = await rows<{ c: string }>('SELECT count() AS c FROM events');
    const big = Buffer.alloc(65 * 1024 * 1024, 0x61);
    const res = await fetch(`${url()}/v1/ingest`, { method: 'POST', headers: { ...auth('ingest'), 'content-type': 'text/plain' }, body: big });
    expect(res.status).toBe(413);
    expect(await rows<{ c: string }>('SELECT count() AS c FROM events')).toEqual(before);
  });
});

describe('POST /v1/ingest as shippers send it', () => {
  const post = (body: Buffer | string, headers: Record<string, string>, query = '') =>
    app.inject({ method: 'POST', url: `/v1/ingest${query}`, headers: { ...auth('ingest'), ...headers }, payload: body });
  const lines = (tag: string, n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ time: new Date(Date.now() - 60_000).toISOString(), method: 'GET', path: `/ship/${tag}/${i}`, status: 200, client_ip: '198.51.100.30' })).join('\n');
  const count = async (sql: string) => Number((await rows<{ n: string }>(sql))[0]!.n);

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('stores a %s body record by record, as Vector and Fluent Bit send it', async (encoding, compress) => {
    const res = await post(compress(Buffer.from(lines(encoding, 100))), { 'content-type': 'application/x-ndjson', 'content-encoding': encoding }, '?format=generic-json');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ received: 100, stored: 100, rejected: 0 });
    expect(await count(`SELECT count() AS n FROM events WHERE startsWith(path, '/ship/${encoding}/')`)).toBe(100);
  });

  it('stops a compression bomb at the decoded-size cap (413) and stores nothing of it', async () => {
    const before = await count('SELECT count() AS n FROM dead_letters');
    const bomb = gzipSync(Buffer.alloc(300 * 1024 * 1024, 0x0a)); // 300 MiB of newlines in ~300 KB
    const res = await post(bomb, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'body_too_large' });
    expect(await count('SELECT count() AS n FROM dead_letters')).toBe(before);
    const broken = await post(Buffer.from('this is not gzip'), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect([broken.statusCode, broken.json().code]).toEqual([400, 'invalid_encoding']);
    const unknown = await post(Buffer.from(lines('zstd', 1)), { 'content-type': 'application/x-ndjson', 'content-encoding': 'zstd' });
    expect([unknown.statusCode, unknown.json().code]).toEqual([415, 'unsupported_encoding']);
  });

  it.each([
    ['XML', 'application/xml', '<log><path>/x</path></log>'],
    ['multipart', 'multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="f"\r\n\r\n{"path":"/x"}\r\n--b--'],
    ['a PNG', 'image/png', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')],
    ['a form', 'application/x-www-form-urlencoded', 'path=/x'],
  ])('refuses %s with 415, reading nothing of it', async (_n, type, body) => {
    const before = await count('SELECT count() AS n FROM dead_letters');
    const res = await post(body, { 'content-type': type });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'unsupported_media_type' });
    expect(res.json().error).toContain('application/x-ndjson');
    expect(await count('SELECT count() AS n FROM dead_letters')).toBe(before);
  });

  it('refuses a JSON array nested 100,000 levels deep with a clear 400 and one dead letter, and goes on serving', async () => {
    const marker = `deep-${Date.now()}`;
    const body = `[{"marker":"${marker}","token":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZWVwIn0.c2lnbmF0dXJlLWRlZXA","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}]`;
    const res = await post(body, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'too_deep' });
    expect(res.json().error).toMatch(/deeper than 64 levels/);
    const letters = await rows<{ reason: string; record: string }>(`SELECT reason, record FROM dead_letters WHERE position(record, '${marker}') > 0`);
    expect(letters.map((l) => l.reason)).toEqual(['too_deep']);
    // its start is kept, redacted like every record, and bounded
    expect(letters[0]!.record).not.toContain('c2lnbmF0dXJlLWRlZXA');
    expect(letters[0]!.record.length).toBeLessThanOrEqual(65_536);
    expect((await post(lines('after-deep', 1), { 'content-type': 'application/x-ndjson' }, '?format=generic-json')).json()).toMatchObject({ stored: 1 });
  });

  it('dead-letters one NDJSON record nested 100,000 levels deep, and stores its neighbours', async () => {
    const marker = `deep-line-${Date.now()}`;
    const deep = `{"marker":"${marker}","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const res = await post([lines('deep-line-before', 1), deep, lines('deep-line-after', 1)].join('\n'), { 'content-type': 'application/x-ndjson' }, '?format=generic-json');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ received: 3, stored: 2, rejected: 1 });
    const letters = await rows<{ reason: string }>(`SELECT reason FROM dead_letters WHERE position(record, '${marker}') > 0`);
    expect(letters).toHaveLength(1);
  });

  it('refuses one 8 MB array of a million tiny objects whole (413, one dead letter), not a million dead letters', async () => {
    const before = await count('SELECT count() AS n FROM dead_letters');
    const body = `[${Array.from({ length: 1_000_000 }, () => '{}').join(',')}]`;
    expect(body.length).toBeGreaterThan(2_000_000);
    const res = await post(body, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'too_many_records' });
    expect(res.json().error).toMatch(/more than 100000 records/);
    expect(await count('SELECT count() AS n FROM dead_letters')).toBe(before + 1);
    expect(await count(`SELECT count() AS n FROM dead_letters WHERE reason = 'too_large' AND position(detail, 'request of more than 100000 records') > 0`)).toBe(1);
  });

  it('keeps the first 100 dead letters of a request and counts the rest in one summary letter', async () => {
    const marker = `cap-${Date.now()}`;
    const bad = Array.from({ length: 5000 }, (_, i) => (i % 2 ? `{"broken-${marker}-${i}": ` : `plain garbage ${marker} ${i}`));
    const res = await post([...bad, lines('cap-good', 3)].join('\n'), { 'content-type': 'text/plain' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: 5003, stored: 3, rejected: 5000, reasons: { invalid_json: 2500, unknown_format: 2500 } });
    expect(await count(`SELECT count() AS n FROM dead_letters WHERE position(record, '${marker}') > 0`)).toBe(100);
    const [summary] = await rows<{ detail: string }>(`SELECT detail FROM dead_letters WHERE reason = 'more_rejected' AND position(detail, '4900 more records') > 0`);
    expect(summary!.detail).toMatch(/4900 more records of this request were refused and not kept \(100 are kept a request\): (invalid_json|unknown_format) 2450, (invalid_json|unknown_format) 2450/);
  });
});

describe('access control', () => {
  it.each([
    ['no key', {}, 'POST', '/v1/ingest', 401],
    ['a malformed key', { authorization: 'Bearer nope' }, 'POST', '/v1/ingest', 401],
    ['a well-formed unknown key', { authorization: 'Bearer gw_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 'POST', '/v1/ingest', 401],
    ['a revoked key', 'revoked', 'POST', '/v1/ingest', 401],
    ['a viewer pushing logs', 'viewer', 'POST', '/v1/ingest', 403],
    ['an analyst pushing logs', 'analyst', 'POST', '/v1/ingest', 403],
    ['an ingest key running SQL', 'ingest', 'POST', '/v1/query', 403],
    ['a viewer running SQL', 'viewer', 'POST', '/v1/query', 403],
    ['an ingest key reading metrics', 'ingest', 'GET', '/metrics', 403],
  ])('%s gets %s', async (_n, who, method, path, status) => {
    const headers = typeof who === 'string' ? auth(who) : who;
    const res = await app.inject({ method: method as 'GET' | 'POST', url: path, headers: { ...headers, 'content-type': 'application/json' }, payload: method === 'POST' ? JSON.stringify({ sql: 'SELECT 1' }) : undefined });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(status === 401 ? 'unauthenticated' : 'forbidden');
  });

  it('lets an admin do everything and serves /healthz without a key', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: auth('admin') })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });

  it('exposes ingest metrics to a viewer', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth('viewer') });
    expect(res.body).toMatch(/gatewatch_ingest_records_total\{outcome="stored",format="kong",source="http"\} 1/);
    // (every refused record is counted, those past a request's dead-letter cap too: 1 + 2,500 from the tests above)
    expect(res.body).toMatch(/gatewatch_ingest_dead_letters_total\{reason="invalid_json"\} 2501\n/);
    expect(res.body).toMatch(/gatewatch_ingest_dead_letters_total\{reason="too_deep"\} 1\n/);
    expect(res.body).toMatch(/gatewatch_redactions_total\{type="param"\}/);
  });
});

describe('POST /v1/query', () => {
  it('answers SQL in JSON by default and in the FORMAT asked for', async () => {
    const json = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql: 'SELECT count() AS n FROM events WHERE gateway = {g:String}'.replace('{g:String}', "'kong'") } });
    expect(json.statusCode).toBe(200);
    expect(json.json().data.map((r: { n: unknown }) => Number(r.n))).toEqual([1]);
    const csv = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql: "SELECT method, status FROM events WHERE source_format = 'kong' FORMAT CSVWithNames" } });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body).toBe('"method","status"\n"GET",200\n');
  });

  it.each([
    ['INSERT', "INSERT INTO events (path) VALUES ('x')"],
    ['ALTER', 'ALTER TABLE events DELETE WHERE 1'],
    ['DROP', 'DROP TABLE events'],
    ['TRUNCATE', 'TRUNCATE TABLE events'],
    ['SYSTEM', 'SYSTEM DROP MARK CACHE'],
    ['SET readonly=0', 'SET readonly = 0'],
    ['a SETTINGS override', 'SELECT count() FROM events SETTINGS readonly = 0'],
    ['a limit override', 'SELECT count() FROM events SETTINGS max_result_rows = 1000000000'],
    ['file()', "SELECT * FROM file('/etc/passwd', 'LineAsString')"],
    ['url()', "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')"],
    ['remote()', "SELECT * FROM remote('127.0.0.1:9000', system.one)"],
    ['s3()', "SELECT * FROM s3('http://127.0.0.1:1/b/k.csv', 'CSV')"],
    ['a scan past the row limit', 'SELECT count() FROM numbers(100000000000)'],
    ['a billion result rows', 'SELECT number FROM system.numbers LIMIT 1000000000'],
  ])('refuses %s and leaves the data unchanged', async (_n, sql) => {
    const before = await rows('SELECT count() AS c, sum(status) AS s FROM events');
    const res = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql } });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().code).toBe('sql_not_allowed');
    expect(res.json().error.length).toBeGreaterThan(0);
    expect(await rows('SELECT count() AS c, sum(status) AS s FROM events')).toEqual(before);
    expect(await rows("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'events'")).toHaveLength(1);
  });

  it.each([
    ['the API key table', 'SELECT * FROM api_keys', 'api_keys'],
    ['the channel table, fully qualified', 'SELECT sealed FROM gatewatch.channels', 'channels'],
    ['a table hidden in a CTE', 'WITH k AS (SELECT secret_hash FROM api_keys) SELECT count() FROM events WHERE request_id IN (SELECT secret_hash FROM k)', 'api_keys'],
    ['a table in a scalar subquery', 'SELECT (SELECT any(sealed) FROM channels) AS s', 'channels'],
    ['merge() over every table', "SELECT * FROM merge(currentDatabase(), '.*')", 'merge()'],
    ['the ingest journal', 'SELECT * FROM ingest_batches', 'ingest_batches'],
    ['system.users', 'SELECT * FROM system.users', 'system.users'],
    ['a parenthesised query', '(SELECT * FROM api_keys)', 'api_keys'],
  ])('refuses reading %s (403) and names it', async (_n, sql, named) => {
    const res = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql } });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().code).toBe('sql_not_allowed');
    expect(res.json().error).toContain(named);
  });

  it('lets SQL read every table it is open to, and the console\'s schema', async () => {
    const { SQL_TABLES } = await import('../../services/api/routes/query-routes.js');
    for (const t of SQL_TABLES) {
      const res = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql: `SELECT count() FROM ${t}` } });
      expect(res.statusCode, `${t}: ${res.body}`).toBe(200);
    }
    for (const sql of ["SELECT table, name FROM system.columns WHERE database = currentDatabase()", 'EXPLAIN SELECT count() FROM events', 'DESCRIBE TABLE events', 'SELECT sum(number) FROM numbers(10)']) {
      const res = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql } });
      expect(res.statusCode, `${sql}: ${res.body}`).toBe(200);
    }
  });

  it('refuses INTO OUTFILE (which the embedded engine would write even read-only), however it is spelled', async () => {
    const { existsSync } = await import('node:fs');
    const target = join(tmpDir(), 'written.txt');
    for (const sql of [`SELECT 1 INTO OUTFILE '${target}'`, `SELECT 1 INTO/**/OUTFILE '${target}' TRUNCATE`, `SELECT 1 -- x\nINTO\n  OUTFILE '${target}' FORMAT CSV`, `EXPLAIN QUERY TREE SELECT 1 INTO OUTFILE '${target}'`, `(SELECT 1) INTO OUTFILE '${target}'`]) {
      const res = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql } });
      expect([400, 403], sql).toContain(res.statusCode);
      expect(res.json().error, sql).toMatch(/INTO OUTFILE|Syntax error/);
      expect(existsSync(target), sql).toBe(false);
    }
    // a string that merely says it is fine
    const ok = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql: "SELECT 'INTO OUTFILE' AS s, 'a\nINTO OUTFILE x' AS t" } });
    expect(ok.statusCode, ok.body).toBe(200);
    // and a refused statement says what is open
    const insert = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql: "INSERT INTO events (path) VALUES ('x')" } });
    expect(insert.json().error).toMatch(/only SELECT/);
  });

  it("never hands a query that failed half-way through streaming to the next one (chDB would: another analyst's answer)", async () => {
    for (let i = 0; i < 2; i++) {
      const big = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('analyst'), payload: { sql: 'SELECT number FROM numbers(1000000)' } });
      expect(big.json().error).toMatch(/Limit for result exceeded/);
      const next = await app.inject({ method: 'POST', url: '/v1/query', headers: auth('admin'), payload: { sql: 'SELECT 42 AS answer' } });
      expect(next.statusCode, next.body).toBe(200);
      expect(next.json().data).toEqual([{ answer: 42 }]);
    }
  });

  it('audits every query with the key that ran it', async () => {
    const audited = await rows<{ outcome: string; detail: string }>(`SELECT outcome, detail FROM audit_log WHERE action = 'query' ORDER BY at`);
    expect(audited.some((a) => a.outcome === 'refused' && a.detail === 'DROP TABLE events')).toBe(true);
    expect(audited.some((a) => a.outcome === 'ok')).toBe(true);
  });

  it('keeps the store writable after refused queries (settings do not leak into the session)', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/ingest', headers: auth('ingest'), payload: '192.0.2.51 - - [28/Nov/2026:11:00:00 +0000] "GET /after HTTP/1.1" 200 1 "-" "-"' });
    expect(res.json()).toMatchObject({ stored: 1 });
  });
});

describe('replay', () => {
  it('backfills plain and gzip files with original timestamps, once even when replayed twice', async () => {
    const dir = tmpDir();
    const lines = Array.from({ length: 1500 }, (_, i) => `198.51.100.${i % 250} - - [27/Nov/2026:${String(10 + Math.floor(i / 600)).padStart(2, '0')}:${String(Math.floor(i / 10) % 60).padStart(2, '0')}:00 +0000] "GET /replay/${i} HTTP/1.1" 200 ${i} "-" "replayer"`);
    writeFileSync(join(dir, 'a.log'), lines.slice(0, 700).join('\n') + '\nnot a log line\n');
    writeFileSync(join(dir, 'b.log.gz'), gzipSync(lines.slice(700).join('\n')));
    const files = [join(dir, 'a.log'), join(dir, 'b.log.gz')];
    const totals = await replayFiles(files, gateway, { format: 'auto', chunkRecords: 400 });
    expect(totals).toMatchObject({ files: 2, records: 1501, stored: 1500, rejected: 1, reasons: { unknown_format: 1 } });
    await replayFiles(files, gateway, { format: 'auto', chunkRecords: 400 });
    const [r] = await rows<{ n: string; d: string; min: string; max: string }>(`SELECT toString(count()) AS n, toString(uniqExact(path)) AS d, toString(min(event_time)) AS min, toString(max(event_time)) AS max FROM events WHERE user_agent = 'replayer'`);
    expect(r).toEqual({ n: '1500', d: '1500', min: '2026-11-27 10:00:00.000', max: '2026-11-27 12:29:00.000' });
  });
});

function url(): string {
  const a = app.server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

describe('silences over HTTP', () => {
  it('creates, lists and expires a silence for an analyst; refuses a viewer and bad matchers', async () => {
    const body = { matchers: { detector: 'brute_force', entity_type: 'ip', entity_value: '203.0.113.0/24' }, duration_min: 60, comment: 'pen test this afternoon' };
    expect((await app.inject({ method: 'POST', url: '/v1/silences', headers: auth('viewer'), payload: body })).statusCode).toBe(403);
    const created = await app.inject({ method: 'POST', url: '/v1/silences', headers: auth('analyst'), payload: body });
    expect(created.statusCode).toBe(201);
    const s = created.json() as { id: string; ends_at: string; starts_at: string };
    expect(Date.parse(s.ends_at) - Date.parse(s.starts_at)).toBe(3_600_000);
    const listed = (await app.inject({ method: 'GET', url: '/v1/silences', headers: auth('viewer') })).json() as { silences: Array<{ id: string }> };
    expect(listed.silences.map((x) => x.id)).toContain(s.id);

    for (const [bad, message] of [
      [{ matchers: {}, duration_min: 5, comment: 'x' }, 'at least one matcher'],
      [{ matchers: { entity_value: '10.0.0.0/33' }, duration_min: 5, comment: 'x' }, 'not one'],
      [{ matchers: { detector: 'x' }, comment: 'x' }, 'ends_at or duration_min'],
      [{ matchers: { detector: 'x' }, duration_min: 5, comment: 'x', extra: 1 }, ''],
      [{ matchers: { severity: 'catastrophic' }, duration_min: 5, comment: 'x' }, ''],
    ] as const) {
      const res = await app.inject({ method: 'POST', url: '/v1/silences', headers: auth('analyst'), payload: bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.body).toContain(message);
    }

    const expired = await app.inject({ method: 'DELETE', url: `/v1/silences/${s.id}`, headers: auth('analyst') });
    expect(expired.statusCode).toBe(200);
    const active = (await app.inject({ method: 'GET', url: '/v1/silences', headers: auth('viewer') })).json() as { silences: Array<{ id: string }> };
    expect(active.silences.map((x) => x.id)).not.toContain(s.id);
    expect((await app.inject({ method: 'DELETE', url: '/v1/silences/00000000-0000-0000-0000-000000000000', headers: auth('analyst') })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/v1/silences/..%2F..%2Fetc', headers: auth('analyst') })).statusCode).toBe(400);
    const audited = await rows<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'silence.%' ORDER BY at");
    expect(audited.map((a) => a.action)).toEqual(['silence.create', 'silence.expire']);
  });
});

describe('incidents over HTTP', () => {
  it('groups related alerts into one incident, lists it, and keeps an acknowledgement through later grouping; a resolved incident is not reopened by detection', async () => {
    const { createIncidentStore } = await import('../../services/storage/incident-store.js');
    const alertStore = createClickHouseAlertStore(rt.store);
    const incidents = createIncidentStore(rt.store, alertStore);
    const base = Date.UTC(2026, 10, 27, 9);
    const at = (m: number) => new Date(base + m * 60_000).toISOString();
    const mk = (id: string, detector: string, entity: { type: 'ip' | 'route' | 'principal'; value: string }, m: number, severity: 'medium' | 'high' | 'critical', detail: Record<string, unknown> = {}) =>
      ({ id, detector, severity, entity, window: { start: at(m), end: at(m + 5) }, observed: 40, expected: 0, score: 2, summary: `${detector} ${entity.value}`, owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [{ n: 1 }] }, detail, status: 'open' as const, windows: 1, first_seen: at(m), last_seen: at(m + 5) });
    const bf = mk('inc-bf', 'brute_force', { type: 'ip', value: '198.51.100.77' }, 0, 'critical', { target_kind: 'principal', target: 'ivy' });
    const rate = mk('inc-rate', 'failure_rate', { type: 'route', value: '/v1/inc-login' }, 1, 'high', { top_ips: [{ ip: '198.51.100.77', share: 0.9 }] });
    const other = mk('inc-other', 'new_country', { type: 'principal', value: 'zed' }, 2, 'medium');
    await alertStore.save([bf, rate, other]);
    await incidents.place([bf, rate, other], 30);

    const list = (await app.inject({ method: 'GET', url: `/v1/incidents?from=${at(-1)}&to=${at(60)}`, headers: auth('viewer') })).json() as { incidents: Array<{ id: string; title: string; severity: string; status: string; alert_ids: string[] }> };
    expect(list.incidents).toHaveLength(2);
    const attack = list.incidents.find((i) => i.alert_ids.includes('inc-bf'))!;
    expect(attack).toMatchObject({ severity: 'critical', status: 'open', alert_ids: ['inc-bf', 'inc-rate'] });
    expect(attack.title).toBe('brute_force 198.51.100.77 (+1 related alert: failure_rate)');
    const one = (await app.inject({ method: 'GET', url: `/v1/incidents/${attack.id}`, headers: auth('viewer') })).json() as { alerts: Array<{ id: string }> };
    expect(one.alerts.map((a) => a.id)).toEqual(['inc-bf', 'inc-rate']);

    // a viewer may not act; an analyst acknowledges with a reason
    expect((await app.inject({ method: 'POST', url: `/v1/incidents/${attack.id}/ack`, headers: auth('viewer') })).statusCode).toBe(403);
    const ack = await app.inject({ method: 'POST', url: `/v1/incidents/${attack.id}/ack`, headers: auth('analyst'), payload: { comment: 'blocking at the edge' } });
    expect(ack.json()).toMatchObject({ incident: { status: 'acknowledged' } });
    expect((await app.inject({ method: 'POST', url: `/v1/incidents/${attack.id}/ack`, headers: auth('analyst') })).statusCode).toBe(409);

    // detection keeps extending the attack's alerts ten times: the incident grows, the acknowledgement stays
    for (let k = 1; k <= 10; k++) {
      const ext = { ...bf, window: { start: bf.window.start, end: at(5 + k) }, last_seen: at(5 + k), windows: 1 + k };
      await alertStore.save([ext]);
      await incidents.place([ext], 30);
    }
    const after = (await app.inject({ method: 'GET', url: `/v1/incidents/${attack.id}`, headers: auth('viewer') })).json() as { incident: { status: string; last_seen: string }; events: Array<{ action: string; comment: string }> };
    expect(after.incident).toMatchObject({ status: 'acknowledged', last_seen: at(15) });
    expect(after.events.map((e) => [e.action, e.comment])).toEqual([['ack', 'blocking at the edge']]);

    // resolved by a person: the same address attacking again is a new incident, the old one stays resolved
    expect((await app.inject({ method: 'POST', url: `/v1/incidents/${attack.id}/resolve`, headers: auth('analyst'), payload: { comment: 'banned' } })).statusCode).toBe(200);
    const again = mk('inc-bf-2', 'brute_force', { type: 'ip', value: '198.51.100.77' }, 20, 'critical', { target_kind: 'principal', target: 'ivy' });
    await alertStore.save([again]);
    const placed = await incidents.place([again], 30);
    expect(placed.get('inc-bf-2')).not.toBe(attack.id);
    // the resolved incident's own alert coming back (extended) opens a new incident too, and leaves the resolved one as it was
    const back = { ...bf, window: { start: bf.window.start, end: at(40) }, last_seen: at(40), windows: 12 };
    await alertStore.save([back]);
    const placedBack = (await incidents.place([back], 30)).get('inc-bf');
    expect(placedBack).toBeDefined();
    expect(placedBack).not.toBe(attack.id);
    const resolved = (await incidents.get(attack.id))!;
    expect(resolved).toMatchObject({ status: 'resolved', alert_ids: ['inc-bf', 'inc-rate'] });
    const audit = await rows<{ action: string; detail: string }>(`SELECT action, detail FROM audit_log WHERE target = '${attack.id}' ORDER BY at`);
    expect(audit.map((r) => r.action).sort()).toEqual(['incident.ack', 'incident.ack', 'incident.resolve']);
    expect((await app.inject({ method: 'GET', url: '/v1/incidents?status=nope', headers: auth('viewer') })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/v1/incidents/nope', headers: auth('viewer') })).statusCode).toBe(404);
  });
});

describe('alert lifecycle over HTTP', () => {
  it('acknowledges, resolves and reopens with an audit trail, by role, refusing what makes no sense', async () => {
    const { createClickHouseAlertStore: store } = await import('../../services/storage/clickhouse-alert-store.js');
    const now = new Date().toISOString();
    await store(rt.store).save([{ id: 'life-1', detector: 'enumeration', severity: 'high', entity: { type: 'principal', value: 'mallory' }, window: { start: now, end: now }, observed: 80, expected: 50, score: 1.6, summary: 'mallory walked 80 orders', owasp: 'API1', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open', windows: 1, first_seen: now, last_seen: now }]);
    const post = (path: string, role: string, payload?: object) => app.inject({ method: 'POST', url: path, headers: auth(role), ...(payload ? { payload } : {}) });
    expect((await post('/v1/alerts/life-1/ack', 'viewer')).statusCode).toBe(403);
    const acked = await post('/v1/alerts/life-1/ack', 'analyst', { comment: 'looking' });
    expect(acked.statusCode).toBe(200);
    expect(acked.json().alert.status).toBe('acknowledged');
    const again = await post('/v1/alerts/life-1/ack', 'analyst');
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toContain('cannot ack an alert that is acknowledged');
    expect((await post('/v1/alerts/life-1/resolve', 'analyst', { comment: 'false positive: QA job' })).json().alert.status).toBe('resolved');
    expect((await post('/v1/alerts/life-1/reopen', 'analyst', { comment: 'it came back' })).json().alert.status).toBe('open');
    expect((await post('/v1/alerts/nope/ack', 'analyst')).statusCode).toBe(404);
    expect((await post('/v1/alerts/..%2Fetc/ack', 'analyst')).statusCode).toBe(400);
    expect((await post('/v1/alerts/life-1/ack', 'analyst', { comment: 'x', extra: true })).statusCode).toBe(400);

    const detail = await app.inject({ method: 'GET', url: '/v1/alerts/life-1', headers: auth('viewer') });
    expect(detail.statusCode).toBe(200);
    const body = detail.json() as { alert: { status: string }; events: Array<{ action: string; from_status: string; to_status: string; comment: string; actor: string }> };
    expect(body.alert.status).toBe('open');
    expect(body.events.map((e) => [e.action, e.from_status, e.to_status, e.comment])).toEqual([
      ['ack', 'open', 'acknowledged', 'looking'],
      ['resolve', 'acknowledged', 'resolved', 'false positive: QA job'],
      ['reopen', 'resolved', 'open', 'it came back'],
    ]);
    expect(body.events.every((e) => e.actor.length > 0)).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/v1/alerts/missing', headers: auth('viewer') })).statusCode).toBe(404);
  });
});

describe('notifications over HTTP', () => {
  it('lists states for a viewer, refuses a retry to a non-admin, and answers 404 for a notification that is not dead-lettered', async () => {
    const list = await app.inject({ method: 'GET', url: '/v1/notifications?status=dead', headers: auth('viewer') });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ notifications: expect.any(Array) });
    expect((await app.inject({ method: 'GET', url: '/v1/notifications?status=lost', headers: auth('viewer') })).statusCode).toBe(400);
    const body = { alert_id: 'a1', channel: 'soc' };
    expect((await app.inject({ method: 'POST', url: '/v1/notifications/retry', headers: auth('analyst'), payload: body })).statusCode).toBe(403);
    const r = await app.inject({ method: 'POST', url: '/v1/notifications/retry', headers: auth('admin'), payload: body });
    // (a process without a notifier can requeue: the store carries it to the notifier)
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toContain('no dead-lettered notification of alert a1 on channel soc');
    expect((await app.inject({ method: 'POST', url: '/v1/notifications/retry', headers: auth('admin'), payload: { alert_id: '../x', channel: 'soc' } })).statusCode).toBe(400);
  });
});

describe('API keys over HTTP', () => {
  it('lets an admin create, list and revoke keys; the new key works until revoked; nobody else may', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/keys', headers: auth('analyst') })).statusCode).toBe(403);
    const created = await app.inject({ method: 'POST', url: '/v1/keys', headers: auth('admin'), payload: { name: 'kong-eu', role: 'viewer' } });
    expect(created.statusCode).toBe(201);
    const k = created.json() as { id: string; key: string };
    expect(k.key).toMatch(new RegExp(`^gw_${k.id}_[A-Za-z0-9_-]{43}$`));
    const listed = (await app.inject({ method: 'GET', url: '/v1/keys', headers: auth('admin') })).json() as { keys: Array<Record<string, unknown>> };
    expect(listed.keys.find((x) => x.id === k.id)).toMatchObject({ name: 'kong-eu', role: 'viewer', revoked_at: null });
    // the secret part (base64url: it may itself hold '_', so cut by position, not by '_')
    expect(JSON.stringify(listed)).not.toContain(k.key.slice(`gw_${k.id}_`.length));
    const withNew = { authorization: `Bearer ${k.key}` };
    expect((await app.inject({ method: 'GET', url: '/v1/alerts', headers: withNew })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/v1/keys/${k.id}`, headers: auth('admin') })).json()).toEqual({ revoked: true });
    expect((await app.inject({ method: 'GET', url: '/v1/alerts', headers: withNew })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/v1/keys', headers: auth('admin'), payload: { name: 'x', role: 'root' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'DELETE', url: '/v1/keys/000000000000', headers: auth('admin') })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/v1/keys/..%2F', headers: auth('admin') })).statusCode).toBe(400);
  });
});

describe('the dashboard bundle', () => {
  it('goes out brotli- or gzip-compressed as the browser accepts, with an ETag per encoding, and never with a source map', async () => {
    const { brotliDecompressSync, gunzipSync } = await import('node:zlib');
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    const js = /src="\/assets\/(app-[^"]+\.js)"/.exec(page.body)?.[1];
    expect(js, page.body).toBeDefined();
    const plain = await app.inject({ method: 'GET', url: `/assets/${js}` });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toContain('accept-encoding');
    const br = await app.inject({ method: 'GET', url: `/assets/${js}`, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    const gz = await app.inject({ method: 'GET', url: `/assets/${js}`, headers: { 'accept-encoding': 'gzip, br;q=0' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect(new Set([plain.headers.etag, br.headers.etag, gz.headers.etag]).size).toBe(3);
    expect((await app.inject({ method: 'GET', url: `/assets/${js}`, headers: { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) } })).statusCode).toBe(304);
    // no source map: not linked from the bundle, not served
    expect(plain.body).not.toContain('sourceMappingURL');
    expect((await app.inject({ method: 'GET', url: `/assets/${js}.map` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/assets/${js}.br` })).statusCode).toBe(404);
  });
});

describe('GET /docs', () => {
  it('serves the OpenAPI document built from the route schemas, to a viewer', async () => {
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/docs', headers: auth('viewer') });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { summary?: string }>> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/v1/ingest', '/v1/query', '/v1/alerts', '/v1/alerts/{id}', '/v1/alerts/{id}/ack', '/v1/silences', '/v1/keys', '/v1/detect/score', '/v1/notifications']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/v1/query']!.post!.summary).toContain('read-only SQL');
  });
});

describe('rate limits', () => {
  it('limit each key per minute with RateLimit headers, and leave other keys and /healthz alone', async () => {
    const limited = await buildApp({ config: { ...rt.config, api: { ...rt.config.api, rateLimitPerMin: 3 } }, store: rt.store, keys: new ApiKeyStore(rt.store), audit: createAuditLog(rt.store), ingest: gateway, metrics: rt.metrics, log: silentLog, readiness: [], alerts: createClickHouseAlertStore(rt.store), silences: createSilenceStore(rt.store) });
    try {
      const get = (role: string) => limited.inject({ method: 'GET', url: '/v1/alerts', headers: auth(role) });
      const first = await get('viewer');
      expect(first.statusCode).toBe(200);
      expect(first.headers['ratelimit-limit']).toBe('3');
      expect(first.headers['ratelimit-remaining']).toBe('2');
      await get('viewer');
      await get('viewer');
      const over = await get('viewer');
      expect(over.statusCode).toBe(429);
      expect(over.json()).toMatchObject({ code: 'rate_limited' });
      expect(over.headers['retry-after']).toBeDefined();
      expect((await get('analyst')).statusCode).toBe(200); // another key has its own budget
      for (let i = 0; i < 5; i++) expect((await limited.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('GET /v1/alerts filters and pages', () => {
  it('filters, orders newest first and pages with a cursor without gaps or repeats', async () => {
    const { createClickHouseAlertStore: store } = await import('../../services/storage/clickhouse-alert-store.js');
    const base = Date.UTC(2026, 10, 28, 10);
    const make = (i: number) => {
      const t = new Date(base + i * 60_000).toISOString();
      return { id: `page-${i}`, detector: 'pager_test', severity: (i % 2 ? 'high' : 'low') as 'high' | 'low', entity: { type: 'ip' as const, value: `192.0.2.${i}` }, window: { start: t, end: t }, observed: i, expected: 0, score: 1, summary: `p${i}`, owasp: 'API4', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open' as const, windows: 1, first_seen: t, last_seen: t };
    };
    await store(rt.store).save(Array.from({ length: 7 }, (_, i) => make(i)));
    const page = async (qs: string) => (await app.inject({ method: 'GET', url: `/v1/alerts?detector=pager_test&${qs}`, headers: auth('viewer') })).json() as { alerts: Array<{ id: string }>; next_cursor: string | null };
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p = await page(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...p.alerts.map((a) => a.id));
      cursor = p.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(ids).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    expect((await page('severity=high')).alerts.map((a) => a.id)).toEqual(['page-5', 'page-3', 'page-1']);
    expect((await page('entity_type=ip&entity_value=192.0.2.4')).alerts.map((a) => a.id)).toEqual(['page-4']);
    expect((await page(`from=${new Date(base + 5 * 60_000).toISOString()}`)).alerts.map((a) => a.id)).toEqual(['page-6', 'page-5']);
    const bad = await app.inject({ method: 'GET', url: '/v1/alerts?cursor=bm90LWEtY3Vyc29y', headers: auth('viewer') });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/v1/alerts?severity=apocalyptic', headers: auth('viewer') })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: "/v1/alerts?detector=x'%20OR%201=1", headers: auth('viewer') })).statusCode).toBe(400);
  });
});

describe('GET /v1/alerts/stream', () => {
  async function readUntil(res: Response, want: (text: string) => boolean, ms = 10_000): Promise<string> {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    const deadline = Date.now() + ms;
    while (!want(text) && Date.now() < deadline) {
      const r = await Promise.race([reader.read(), new Promise<{ done: true; value: undefined }>((ok) => setTimeout(() => ok({ done: true, value: undefined }), deadline - Date.now()))]);
      if (r.done) break;
      text += dec.decode(r.value);
    }
    await reader.cancel().catch(() => undefined);
    return text;
  }

  it('streams new alerts as server-sent events to a viewer, and resumes from Last-Event-ID', async () => {
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/alerts/stream`;
    expect((await fetch(url)).status).toBe(401);
    const ctl = new AbortController();
    const res = await fetch(url, { headers: auth('viewer'), signal: ctl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const { createClickHouseAlertStore: store } = await import('../../services/storage/clickhouse-alert-store.js');
    const t = new Date().toISOString();
    setTimeout(() => void store(rt.store).save([{ id: 'sse-1', detector: 'volume', severity: 'high', entity: { type: 'route', value: '/v1/x' }, window: { start: t, end: t }, observed: 9, expected: 1, score: 9, summary: 'flood', owasp: 'API4', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open', windows: 1, first_seen: t, last_seen: t }]), 300);
    const text = await readUntil(res, (s) => s.includes('"id":"sse-1"'));
    ctl.abort();
    const m = /id: (\d+)\.(\d+)\.(\d+)\.(\d+)\nevent: alert\ndata: (\{.*"id":"sse-1".*\})\n/.exec(text);
    expect(m, text).not.toBeNull();
    expect(JSON.parse(m![5]!)).toMatchObject({ id: 'sse-1', detector: 'volume', summary: 'flood' });

    // a client that lost the connection just before that event gets it again (and ones from older servers, too)
    for (const lastId of [`${Number(m![1]) - 1}.${m![2]}.${m![3]}.${m![4]}`, `${Number(m![1]) - 1}.${m![2]}.${m![3]}`, `${Number(m![1]) - 1}.${m![2]}`, String(Number(m![1]) - 1)]) {
      const ctl2 = new AbortController();
      const again = await fetch(url, { headers: { ...auth('viewer'), 'last-event-id': lastId }, signal: ctl2.signal });
      expect(await readUntil(again, (s) => s.includes('"id":"sse-1"'))).toContain('"id":"sse-1"');
      ctl2.abort();
    }

    // grouping an alert into an incident is an `incident` event
    const ctl3 = new AbortController();
    const live = await fetch(url, { headers: auth('viewer'), signal: ctl3.signal });
    const { createIncidentStore } = await import('../../services/storage/incident-store.js');
    const sse2 = { id: 'sse-2', detector: 'entity_volume', severity: 'high' as const, entity: { type: 'ip' as const, value: '198.51.100.88' }, window: { start: t, end: t }, observed: 900, expected: 1, score: 9, summary: 'script', owasp: 'API4', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open' as const, windows: 1, first_seen: t, last_seen: t };
    // then a person acknowledges and silences it: those reach the stream too (the trail's position is the id's third part)
    const incidents = createIncidentStore(rt.store, store(rt.store));
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    setTimeout(() => {
      void (async () => {
        await store(rt.store).save([sse2]);
        const placed = await incidents.place([sse2], 30);
        await pause(2500);
        await incidents.transition(placed.get('sse-2')!, 'ack', 'test', 'looking');
        await pause(1500);
        await incidents.transition(placed.get('sse-2')!, 'silence', 'test', 'noisy', { untilMs: Date.now() + 3_600_000 });
      })();
    }, 300);
    const itext = await readUntil(live, (s) => /event: incident\ndata: .*"status":"acknowledged".*"silenced_until":"2/.test(s), 30_000);
    ctl3.abort();
    const changes = [...itext.matchAll(/id: (\d+)\.(\d+)\.(\d+)\.(\d+)\nevent: incident\ndata: (\{.*\})\n/g)].map((x) => ({ ids: [x[1], x[2], x[3], x[4]].map(Number), incident: JSON.parse(x[5]!) as { id: string; alert_ids: string[]; status: string; silenced_until: string } }));
    const mine = changes.filter((c) => c.incident.alert_ids.includes('sse-2'));
    expect(mine.length, itext).toBeGreaterThanOrEqual(2);
    expect(mine[0]!.incident).toMatchObject({ title: 'script', alert_ids: ['sse-2'], status: 'open', silenced_until: '' });
    expect(mine.at(-1)!.incident).toMatchObject({ status: 'acknowledged' });
    expect(mine.at(-1)!.ids[2]!).toBeGreaterThan(mine[0]!.ids[2]!);
    // the alert followed its incident, and its status change was streamed too
    expect((await store(rt.store).byIds(['sse-2']))[0]!.status).toBe('acknowledged');
    expect(itext).toMatch(/event: alert\ndata: \{"id":"sse-2".*"status":"acknowledged"/);
    // resuming from just before the silence gives it again, and not the grouping from before
    const ctl4 = new AbortController();
    const lastPos = mine.at(-1)!.ids;
    const resumed = await fetch(url, { headers: { ...auth('viewer'), 'last-event-id': `${lastPos[0]}.${lastPos[1]}.${lastPos[2]! - 1}.${lastPos[3]}` }, signal: ctl4.signal });
    const rtext = await readUntil(resumed, (s) => s.includes('"silenced_until":"2'), 30_000);
    ctl4.abort();
    expect(rtext).toContain('"silenced_until":"2');
    expect(rtext).not.toContain('"silenced_until":""');
    expect((await fetch(url, { headers: { ...auth('viewer'), 'last-event-id': 'nope' } })).status).toBe(400);
  });
});

describe('GET /v1/series, /v1/top, /v1/events', () => {
  const day = Date.UTC(2026, 9, 5); // a day no other test writes to
  const at = (min: number, sec = 0) => new Date(day + min * 60_000 + sec * 1000).toISOString();
  beforeAll(async () => {
    const lines: string[] = [];
    // /series/ping: 3 requests at minute 0 (one 503), 1 at minute 1, 2 at minute 7 (one 401 from 198.51.100.9)
    const ev = (min: number, sec: number, status: number, ip = '192.0.2.10', latency = 10) =>
      JSON.stringify({ timestamp: at(min, sec), method: 'GET', url: 'https://series.example/series/ping', status_code: status, duration_ms: latency, client_ip: ip, user_agent: 'series-test', gateway: 'series-gw' });
    lines.push(ev(0, 1, 200), ev(0, 2, 200, '192.0.2.10', 30), ev(0, 3, 503), ev(1, 0, 200), ev(7, 0, 200), ev(7, 30, 401, '198.51.100.9'));
    const res = await app.inject({ method: 'POST', url: '/v1/ingest', headers: { ...auth('ingest'), 'content-type': 'application/x-ndjson' }, payload: lines.join('\n') });
    expect(res.json()).toMatchObject({ stored: 6 });
    // a learnt baseline for the route: median 2 a 5-minute slot, every hour
    await rt.store.client.insert({ table: 'baselines', format: 'JSONEachRow', values: [{ metric: 'route_requests', entity: '/series/ping', bucket: 255, median: 2, mad: 0, p95: 3, ewma: 2, samples: 500, computed_at: '2026-10-05 00:00:00', version: 1 }] });
  });
  const get = (url: string, role = 'viewer') => app.inject({ method: 'GET', url, headers: auth(role) });

  it('gives per-step series for a route, zero-filled, with the baseline band', async () => {
    const res = await get(`/v1/series?entity_type=route&entity=/series/ping&metric=requests&metric=errors_5xx&metric=latency_p95&metric=latency_avg&from=${at(0)}&to=${at(10)}&step=300`);
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    expect(s).toMatchObject({ entity_type: 'route', entity: '/series/ping', step_sec: 300, t: [day, day + 300_000] });
    expect(s.series.requests).toEqual([4, 2]);
    expect(s.series.errors_5xx).toEqual([1, 0]);
    expect(s.series.latency_p95[0]).toBeGreaterThan(10);
    expect(s.series.latency_avg).toEqual([15, 10]);
    // median 2 per slot, σ floored at √2: band 2 ± 3√2
    expect(s.baselines.requests.median).toEqual([2, 2]);
    expect(s.baselines.requests.upper[0]).toBeCloseTo(2 + 3 * Math.SQRT2, 6);
    expect(s.baselines.requests.lower[0]).toBe(0);
    expect(s.baselines.errors_5xx).toBeUndefined();
    const minutes = (await get(`/v1/series?entity_type=route&entity=/series/ping&from=${at(0)}&to=${at(3)}`)).json();
    expect(minutes.step_sec).toBe(60);
    expect(minutes.series.requests).toEqual([3, 1, 0]);
    expect(minutes.baselines.requests.median[0]).toBeCloseTo(0.4, 6);
  });

  it('gives IP series and refuses what cannot be drawn', async () => {
    const ip = (await get(`/v1/series?entity_type=ip&entity=198.51.100.9&metric=requests&metric=failures&from=${at(0)}&to=${at(10)}&step=600`)).json();
    expect(ip.series).toEqual({ requests: [1], failures: [1] });
    for (const [url, code] of [
      [`/v1/series?entity_type=ip&entity=x'%20OR%201=1&from=${at(0)}&to=${at(10)}`, 'invalid_entity'],
      [`/v1/series?entity_type=route&from=${at(0)}&to=${at(10)}`, 'invalid_entity'],
      [`/v1/series?entity_type=principal&entity=alice&metric=errors_5xx`, 'invalid_metric'],
      [`/v1/series?metric=rows_in_system_users`, 'invalid_request'],
      [`/v1/series?from=${at(10)}&to=${at(0)}`, 'invalid_range'],
      [`/v1/series?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`, 'invalid_range'],
      [`/v1/series?step=90`, 'invalid_step'],
      [`/v1/series?step=60&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z`, 'invalid_step'],
    ] as const) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(400);
      expect(r.json().code, url).toBe(code);
    }
    expect((await get('/v1/series', 'ingest')).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/v1/series' })).statusCode).toBe(401);
  });

  it('ranks the top routes and IPs of a range, and lists one entity\'s requests', async () => {
    const top = (await get(`/v1/top?dimension=ip&from=${at(0)}&to=${at(10)}`)).json();
    expect(top.rows).toEqual([
      { key: '192.0.2.10', requests: 5, failures: 0, errors_5xx: 1, country: expect.any(String) },
      { key: '198.51.100.9', requests: 1, failures: 1, errors_5xx: 0, country: expect.any(String) },
    ]);
    const byFailures = (await get(`/v1/top?dimension=route&by=failures&limit=1&from=${at(0)}&to=${at(10)}`)).json();
    expect(byFailures.rows).toEqual([{ key: '/series/ping', requests: 6, failures: 1, errors_5xx: 1 }]);
    expect((await get('/v1/top?dimension=system.users')).statusCode).toBe(400);
    const evRes = await get(`/v1/events?entity_type=ip&entity=198.51.100.9&from=${at(0)}&to=${at(10)}`);
    expect(evRes.statusCode, evRes.body).toBe(200);
    const ev = evRes.json();
    expect(ev.events).toHaveLength(1);
    expect(ev.events[0]).toMatchObject({ client_ip: '198.51.100.9', status: 401, route: '/series/ping', gateway: 'series-gw' });
    expect(ev.countries).toHaveLength(1);
  });
});

describe('channels over HTTP', () => {
  it('lets an admin add, read, replace, test and delete a webhook channel; secrets are write-only and sealed at rest', async () => {
    const { createServer } = await import('node:http');
    const { verifyWebhook } = await import('../../services/notify/webhook-signature.js');
    const received: Array<{ headers: Record<string, unknown>; body: string }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    try {
      const send = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, role: string, payload?: unknown) => app.inject({ method, url: path, headers: auth(role), ...(payload !== undefined ? { payload: payload as object } : {}) });
      const spec = { type: 'webhook', name: 'soc-hook', url, allowPrivate: true, minSeverity: 'high', headers: { 'X-Receiver-Token': 'receiver-token-5b2d9c' } };
      for (const role of ['viewer', 'analyst', 'ingest']) expect((await send('POST', '/v1/channels', role, spec)).statusCode).toBe(403);
      expect((await send('GET', '/v1/channels', 'analyst')).statusCode).toBe(403);

      const created = await send('POST', '/v1/channels', 'admin', spec);
      expect(created.statusCode, created.body).toBe(201);
      const secret = created.json().secret as string;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(created.json().channel).toMatchObject({ name: 'soc-hook', secret: '[REDACTED:secret]', headers: { 'X-Receiver-Token': '[REDACTED:secret]' } });
      expect((await send('POST', '/v1/channels', 'admin', spec)).statusCode).toBe(409);

      const listed = (await send('GET', '/v1/channels', 'admin')).json().channels as Array<{ channel: { name: string }; source: string }>;
      expect(listed.find((c) => c.channel.name === 'soc-hook')).toMatchObject({ source: 'api', updated_by: expect.any(String) });
      const one = await send('GET', '/v1/channels/soc-hook', 'admin');
      expect(one.body).not.toContain(secret);
      expect(one.body).not.toContain('receiver-token-5b2d9c');
      // at rest: neither the secret, the header token nor even the URL is readable from the table
      const raw = JSON.stringify(await rows('SELECT * FROM channels'));
      for (const s of [secret, 'receiver-token-5b2d9c', url]) expect(raw).not.toContain(s);

      // a replacement that sends the marker back keeps the secret; the test message is signed with it
      const replaced = await send('PUT', '/v1/channels/soc-hook', 'admin', { ...spec, minSeverity: 'medium', secret: '[REDACTED:secret]', headers: { 'X-Receiver-Token': '[REDACTED:secret]' } });
      expect(replaced.statusCode, replaced.body).toBe(200);
      expect(replaced.json().channel.minSeverity).toBe('medium');
      const tested = await send('POST', '/v1/channels/soc-hook/test', 'admin');
      expect(tested.json()).toMatchObject({ delivered: true, status: 204 });
      expect(received).toHaveLength(1);
      const h = received[0]!.headers;
      expect(h['x-receiver-token']).toBe('receiver-token-5b2d9c');
      expect(verifyWebhook(secret, String(h['x-gatewatch-signature']), String(h['x-gatewatch-timestamp']), received[0]!.body, Math.floor(Date.now() / 1000))).toBe(true);

      // bad channels: each a 400 that names what is wrong, nothing stored
      for (const [bad, says] of [
        [{ type: 'sms', name: 'x1', to: '+1555' }, 'type must be'],
        [{ type: 'webhook', name: 'x2', url: 'ftp://example.com/' }, '/url'],
        [{ type: 'webhook', name: 'x3', url: 'https://example.com/', secret: 'short' }, '/secret'],
        [{ type: 'webhook', name: 'x4', url: 'https://example.com/', color: 'red' }, 'color'],
        [{ type: 'email', name: 'x5', to: ['soc@example.com'] }, '/smtp'],
        [{ type: 'webhook', name: '../etc', url: 'https://example.com/' }, '/name'],
      ] as const) {
        const r = await send('POST', '/v1/channels', 'admin', bad);
        expect(r.statusCode, JSON.stringify(bad)).toBe(400);
        expect(r.json().error, JSON.stringify(bad)).toContain(says);
      }
      expect((await send('PUT', '/v1/channels/nope', 'admin', spec)).statusCode).toBe(404);
      expect((await send('PUT', '/v1/channels/soc-hook', 'admin', { ...spec, name: 'other' })).statusCode).toBe(400);
      expect((await send('GET', '/v1/channels/..%2F..%2Fetc', 'admin')).statusCode).toBe(400);

      expect((await send('DELETE', '/v1/channels/soc-hook', 'analyst')).statusCode).toBe(403);
      expect((await send('DELETE', '/v1/channels/soc-hook', 'admin')).json()).toEqual({ deleted: true });
      expect((await send('GET', '/v1/channels/soc-hook', 'admin')).statusCode).toBe(404);
      expect((await send('DELETE', '/v1/channels/soc-hook', 'admin')).statusCode).toBe(404);
      const audit = await rows<{ action: string }>("SELECT action FROM audit_log WHERE target = 'soc-hook' ORDER BY at");
      expect(audit.map((a) => a.action)).toEqual(['channel.create', 'channel.replace', 'channel.test', 'channel.delete']);
      expect(JSON.stringify(await rows("SELECT * FROM audit_log WHERE target = 'soc-hook'"))).not.toContain(secret);
    } finally {
      receiver.close();
    }
  });

  it('keeps config-file channels read-only', async () => {
    const { createChannelStore } = await import('../../services/storage/channel-store.js');
    const configChannel = { type: 'webhook' as const, name: 'from-file', url: 'https://example.com/h', secret: 'a-config-file-secret-123456' };
    const store = createChannelStore({ store: rt.store, configChannels: [configChannel], fingerprintKey: 'k'.repeat(32), log: silentLog });
    await expect(store.put({ ...configChannel, minSeverity: 'low' }, 'test')).rejects.toThrow(/config file/);
    await expect(store.remove('from-file', 'test')).rejects.toThrow(/config file/);
    expect((await store.list())[0]).toMatchObject({ source: 'config', channel: { name: 'from-file' } });
    // sealed under another key: skipped, not shown garbled
    await createChannelStore({ store: rt.store, configChannels: [], fingerprintKey: 'other'.repeat(8), log: silentLog }).put({ type: 'webhook', name: 'other-key', url: 'https://example.com/o', secret: 'another-secret-1234567' }, 'test');
    expect((await store.list()).map((c) => c.channel.name)).not.toContain('other-key');
  });
});

describe('access control over a real socket, every endpoint and role', () => {
  // a sample request per route: path parameters filled in, a body where one is needed
  const SAMPLE_BODY: Record<string, unknown> = {
    'POST /v1/query': { sql: 'SELECT 1' },
    'POST /v1/silences': { matchers: { detector: 'x' }, duration_min: 1, comment: 'matrix' },
    'POST /v1/notifications/retry': { alert_id: 'nope', channel: 'nope' },
    'POST /v1/channels': { type: 'webhook', name: 'matrix', url: 'https://example.com/h' },
    'PUT /v1/channels/:name': { type: 'webhook', url: 'https://example.com/h' },
    'POST /v1/keys': { name: 'matrix', role: 'viewer' },
    'POST /v1/detect/score': { from: '2026-11-28T00:00:00Z', to: '2026-11-28T00:01:00Z' },
  };
  const fill = (url: string) =>
    url
      .replace(':id', url.startsWith('/v1/silences') ? '00000000-0000-4000-8000-000000000000' : 'no-such-alert')
      .replace(':name', 'no-such-channel')
      .replace('/*', '/app.js')
      .replace(/^\/v1\/top$/, '/v1/top?dimension=route')
      .replace(/^\/v1\/events$/, '/v1/events?entity_type=ip&entity=192.0.2.1');

  it('answers 401 without a valid key and 403 for a role below the one declared, and lets the rest through', async () => {
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const routes = app.guardedRoutes.filter((r) => !r.url.startsWith('/docs/'));
    // every endpoint of the contract is here (a new one cannot ship unguarded: the auth plugin refuses it)
    for (const must of ['GET /v1/alerts/stream', 'GET /v1/series', 'POST /v1/channels', 'POST /v1/query', 'POST /v1/ingest', 'GET /metrics', 'GET /readyz', 'DELETE /v1/keys/:id']) {
      expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(must);
    }
    const callers: Array<[string, Record<string, string>, string | undefined]> = [
      ['no key', {}, undefined],
      ['a malformed key', { authorization: 'Bearer nope' }, undefined],
      ['an unknown key', { authorization: 'Bearer gw_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, undefined],
      ['a revoked key', auth('revoked'), undefined],
      ['Basic credentials', { authorization: `Basic ${Buffer.from(`x:${key.admin}`).toString('base64')}` }, undefined],
      ['ingest', auth('ingest'), 'ingest'],
      ['viewer', auth('viewer'), 'viewer'],
      ['analyst', auth('analyst'), 'analyst'],
      ['admin', auth('admin'), 'admin'],
    ];
    const { roleAllows } = await import('../../services/storage/api-keys.js');
    const checked: string[] = [];
    for (const r of routes) {
      const id = `${r.method} ${r.url}`;
      const body = SAMPLE_BODY[id];
      for (const [who, headers, role] of callers) {
        const ctl = new AbortController();
        const res = await fetch(base + fill(r.url), {
          method: r.method,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : r.method === 'POST' && r.url === '/v1/ingest' ? { 'content-type': 'text/plain' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : r.method === 'POST' && r.url === '/v1/ingest' ? { body: '' } : {}),
          signal: ctl.signal,
        });
        const status = res.status;
        const text = r.url === '/v1/alerts/stream' && status === 200 ? '' : await res.text();
        ctl.abort();
        const expected = r.public ? 'open' : !role ? 401 : roleAllows(role as never, r.role!) ? 'open' : 403;
        if (expected === 'open') expect([401, 403], `${id} as ${who}: ${status} ${text}`).not.toContain(status);
        else {
          expect(status, `${id} as ${who}: ${text}`).toBe(expected);
          expect(JSON.parse(text).code, `${id} as ${who}`).toBe(expected === 401 ? 'unauthenticated' : 'forbidden');
        }
        checked.push(`${id} ${who}`);
      }
    }
    expect(checked.length).toBe(routes.length * callers.length);
    // what the denied calls tried did not happen: one key from the admin's call, none from the others
    expect(await rows("SELECT * FROM api_keys WHERE name = 'matrix'")).toHaveLength(1);
  });
});
