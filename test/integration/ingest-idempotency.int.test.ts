/**
 * Idempotency keys of POST /v1/ingest belong to the ingest key that sent them: a gateway
 * cannot pre-claim another's batches by sending their Idempotency-Key first, and a sender's
 * own repeat is still stored once, in this process and in the next one (the deduplication
 * state is ClickHouse's, not memory).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { ApiKeyStore } from '../../services/storage/api-keys.js';
import { createAuditLog } from '../../services/storage/audit-log.js';
import { buildApp, type App } from '../../services/api/app.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createSilenceStore } from '../../services/storage/silence-store.js';
import { findLocalServer } from '../../services/cli/local-server.js';
import { silentLog, testConfig, tmpDir, waitFor } from './helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gatewatch.js');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An NGINX combined line for `path`, an hour ago (well inside retention, never in the future). */
function line(path: string): string {
  const t = new Date(Date.now() - 3_600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const ts = `${p(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())} +0000`;
  return `192.0.2.77 - - [${ts}] "GET ${path} HTTP/1.1" 204 0 "-" "-"`;
}

const dataDir = tmpDir('gw-idem-');
const config = testConfig({ dataDir, clickhouse: { retentionDays: 3650 } });
const key: { a: string; b: string } = { a: '', b: '' };
let rt: Runtime | undefined;
let app: App | undefined;
let child: ChildProcess | undefined;

afterAll(async () => {
  await app?.close();
  await rt?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
});

async function counts(run: (sql: string) => Promise<Array<{ path: string; n: number | string }>>): Promise<Record<string, number>> {
  const rows = await run(`SELECT path, count() AS n FROM events WHERE path LIKE '/idem-%' GROUP BY path ORDER BY path`);
  return Object.fromEntries(rows.map((r) => [r.path, Number(r.n)]));
}

describe('Idempotency-Key on POST /v1/ingest', () => {
  it('is scoped by the sending ingest key: another key with the same Idempotency-Key is stored, the same key\'s repeat is not', { timeout: 60_000 }, async () => {
    rt = await openRuntime(config, { role: 'test', log: silentLog });
    const gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
    const keys = new ApiKeyStore(rt.store);
    key.a = (await keys.create('gateway a', 'ingest')).key;
    key.b = (await keys.create('gateway b', 'ingest')).key;
    app = await buildApp({ config, store: rt.store, keys, audit: createAuditLog(rt.store), ingest: gateway, metrics: rt.metrics, log: silentLog, readiness: [], alerts: createClickHouseAlertStore(rt.store), silences: createSilenceStore(rt.store) });
    const send = (k: string, idem: string, path: string) =>
      app!.inject({ method: 'POST', url: '/v1/ingest?format=nginx-combined', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/x-ndjson', 'idempotency-key': idem }, payload: [line(path), line(path)].join('\n') });

    // gateway A sends its batch under X first; B's own batch under the same X must not be lost
    expect((await send(key.a, 'batch-x', '/idem-a')).json()).toMatchObject({ received: 2, stored: 2 });
    expect((await send(key.b, 'batch-x', '/idem-b')).json()).toMatchObject({ received: 2, stored: 2 });
    // each retries its own batch: stored once
    expect((await send(key.a, 'batch-x', '/idem-a')).statusCode).toBe(200);
    expect((await send(key.b, 'batch-x', '/idem-b')).statusCode).toBe(200);
    // a new key from A is a new batch
    expect((await send(key.a, 'batch-y', '/idem-a2')).statusCode).toBe(200);
    const store = rt.store;
    const q = async (sql: string) => (await (await store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as Array<{ path: string; n: number }>;
    expect(await counts(q)).toEqual({ '/idem-a': 2, '/idem-a2': 2, '/idem-b': 2 });
  });

  it('still drops a sender\'s repeat in the next process, which holds no memory of the first', { timeout: 120_000 }, async () => {
    expect(key.a).not.toBe('');
    await app?.close();
    await rt?.close();
    app = undefined;
    rt = undefined;
    // the API role in a process of its own, on the same data directory (chDB: one process per directory)
    child = spawn(process.execPath, [BIN, 'api'], { env: { ...process.env, GATEWATCH_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', GATEWATCH_LOG_LEVEL: 'warn', GATEWATCH_FINGERPRINT_KEY: config.fingerprintKey }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    const server = await waitFor(async () => (child!.exitCode === null ? findLocalServer(dataDir) : 'exited'), (s) => s !== undefined, { what: 'the api process to listen', timeoutMs: 90_000 });
    if (server === 'exited' || !server) throw new Error(`gatewatch api exited: ${stderr}`);
    const send = async (k: string, idem: string, path: string) => {
      const res = await fetch(`${server.url}/v1/ingest?format=nginx-combined`, { method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/x-ndjson', 'idempotency-key': idem }, body: [line(path), line(path)].join('\n') });
      expect(res.status).toBe(200);
    };
    await send(key.a, 'batch-x', '/idem-a');
    await send(key.b, 'batch-x', '/idem-b');
    await send(key.b, 'batch-y', '/idem-b2'); // B's y is its own, not A's
    const q = async (sql: string) => {
      const res = await fetch(`${server.url}/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql, format: 'JSONEachRow' }) });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { path: string; n: number });
    };
    expect(await counts(q)).toEqual({ '/idem-a': 2, '/idem-a2': 2, '/idem-b': 2, '/idem-b2': 2 });
    expect(stderr).not.toMatch(/"level":(50|60)/);
  });
});
