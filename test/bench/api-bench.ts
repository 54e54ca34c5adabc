/**
 * npm run bench:api [-- --events N --concurrency C --seconds S]
 *
 * The API over N stored events (default 10,000,000, the last 7 days, 100,000 client IPs and
 * principals) and 2,000 alerts: requests/s and latency of GET /v1/alerts, of the dashboard's
 * own endpoints (GET /v1/series, /v1/top) and of three typical dashboard queries through
 * POST /v1/query, each under C concurrent clients (default 4) for S seconds (default 15). The
 * load comes from a separate process (test/bench/api-load.ts) over loopback; the server is
 * this process: the embedded ClickHouse engine (chDB), the API as `gatewatch start` runs it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../services/shared/config.js';
import { openRuntime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { startApiRole } from '../../services/api/api-role.js';
import { ApiKeyStore } from '../../services/storage/api-keys.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { tmpDir } from '../integration/helpers.js';
import { storeSyntheticEvents } from './bench-data.js';
import { useRunTmpDir } from '../run-tmp.js';

// the run's temporary files (data directories, broker logs) under one folder, removed at exit
useRunTmpDir('gatewatch-bench-run-', { signals: true });

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const EVENTS = arg('events', 10_000_000);
const CONCURRENCY = arg('concurrency', 4);
const LEVELS = [...new Set([1, CONCURRENCY])];
const SECONDS = arg('seconds', 15);
const ENTITIES = 100_000;

const dir = tmpDir('gw-bench-api-');
const config = validateConfig({ dataDir: dir, logLevel: 'warn', port: 0, host: '127.0.0.1', fingerprintKey: 'bench-fingerprint-key-0123456789abcdef', api: { rateLimitPerMin: 10_000_000 } });
const rt = await openRuntime(config, { role: 'bench', log: pino({ level: 'warn' }) });
console.log(`api benchmark: ${EVENTS.toLocaleString('en-US')} events, ${LEVELS.join(' then ')} concurrent client(s), ${SECONDS} s per scenario`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, chDB (embedded ClickHouse)`);

const now = Date.now();
const t0 = performance.now();
await storeSyntheticEvents(rt.store.client, { events: EVENTS, entities: ENTITIES, now });
console.log(`\n  loading took ${Math.round((performance.now() - t0) / 1000)} s`);
const store = createClickHouseAlertStore(rt.store);
const severities = ['low', 'medium', 'high', 'critical'] as const;
const alerts: Alert[] = Array.from({ length: 2000 }, (_, i) => {
  const t = new Date(now - i * 300_000).toISOString();
  return { id: `bench-${i}`, detector: ['brute_force', 'volume', 'enumeration', 'impossible_travel'][i % 4]!, severity: severities[i % 4]!, entity: { type: 'ip', value: `10.0.${(i >> 8) & 255}.${i & 255}` }, window: { start: t, end: t }, observed: 100 + i, expected: 10, score: 9, summary: `bench alert ${i}`, owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [{ n: i }] }, detail: {}, status: 'open', windows: 1, first_seen: t, last_seen: t };
});
for (let i = 0; i < alerts.length; i += 500) await store.save(alerts.slice(i, i + 500));

const { gateway } = await startIngestRole(rt, { runWorker: false });
const { key } = await new ApiKeyStore(rt.store).create('bench', 'analyst');
const app = await startApiRole(rt, gateway);
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

const day = new Date(now - 86_400_000).toISOString();
const scenarios = [
  { name: 'GET /v1/alerts (100 newest)', method: 'GET', path: '/v1/alerts?limit=100' },
  { name: 'GET /v1/alerts (open, critical, last 24 h)', method: 'GET', path: `/v1/alerts?status=open&severity=critical&from=${encodeURIComponent(day)}&limit=100` },
  { name: 'GET /v1/series (traffic, 24 h, 4 metrics from rollups)', method: 'GET', path: `/v1/series?metric=requests&metric=failures&metric=errors_5xx&metric=latency_avg&from=${encodeURIComponent(day)}` },
  { name: 'GET /v1/top (client IPs, 24 h)', method: 'GET', path: `/v1/top?dimension=ip&from=${encodeURIComponent(day)}` },
  { name: 'query: requests and failures per minute, 24 h', method: 'POST', path: '/v1/query', body: { sql: 'SELECT minute, sum(requests) AS requests, sum(failures) AS failures FROM rollup_route_1m WHERE minute > now() - INTERVAL 24 HOUR GROUP BY minute ORDER BY minute' } },
  { name: 'query: top 10 IPs by failed logins, 24 h', method: 'POST', path: '/v1/query', body: { sql: 'SELECT client_ip, sum(failures) AS f, sum(requests) AS r FROM rollup_ip_1m WHERE minute > now() - INTERVAL 24 HOUR GROUP BY client_ip ORDER BY f DESC LIMIT 10' } },
  { name: "query: one IP's last 100 requests, 7 days of events", method: 'POST', path: '/v1/query', body: { sql: "SELECT event_time, method, path, status, principal_id FROM events WHERE client_ip = toIPv6('10.0.48.57') AND event_time > now() - INTERVAL 7 DAY ORDER BY event_time DESC LIMIT 100" } },
];
const file = join(dir, 'scenarios.json');
writeFileSync(file, JSON.stringify(scenarios));
console.log(`  ${alerts.length} alerts stored; the API listens on ${base}; load from a separate process\n`);
for (const level of LEVELS) {
  // (asynchronously: this process is the server and must keep answering)
  const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'api-load.ts'), base, key, file, String(level), String(SECONDS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const rows = out.trim().split('\n').map((l) => JSON.parse(l) as { name: string; requests: number; errors: number; rps: number; p50: number; p95: number; p99: number; max: number });
  console.log(`\n${level} client${level === 1 ? '' : 's'} at a time:\n`);
  console.log('| scenario | requests/s | p50 ms | p95 ms | p99 ms | errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.name} | ${r.rps.toFixed(1)} | ${r.p50.toFixed(0)} | ${r.p95.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.errors} |`);
}
await rt.close();
process.exit(0);
