/**
 * npm run bench:detect [-- --events N --entities E --attacks A]
 *
 * 1. Cycle time: N stored events (default 10,000,000) over the last 7 days from E distinct
 *    client IPs and E principals (default 100,000), then detection cycles as live: the first
 *    (an hour of catch-up), then steady cycles that each score one new minute. Prints the
 *    cycle times and the slowest detectors.
 * 2. Live latency: the detect role running on its schedule while traffic arrives in real time;
 *    A brute-force attacks (default 5) start a few seconds apart; for each, the time from its
 *    first event to its alert being stored. Prints median and p95.
 * Embedded ClickHouse (chDB) in a temporary directory; nothing else needed.
 */
import { cpus, totalmem } from 'node:os';
import pino from 'pino';
import { validateConfig } from '../../services/shared/config.js';
import { openRuntime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { startDetectRole } from '../../services/detect/detect-role.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
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
const ENTITIES = arg('entities', 100_000);
const ATTACKS = arg('attacks', 5);
const MIN = 60_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

const log = pino({ level: 'warn' });
const config = validateConfig({ dataDir: tmpDir('gw-bench-detect-'), logLevel: 'warn', port: 0, fingerprintKey: 'bench-fingerprint-key-0123456789abcdef', });
const rt = await openRuntime(config, { role: 'bench', log });
const { client } = rt.store;
console.log(`detect benchmark: ${EVENTS.toLocaleString('en-US')} events, ${ENTITIES.toLocaleString('en-US')} IPs and principals`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, chDB (embedded ClickHouse)`);

// --- stored history, written by ClickHouse itself (the rollup views fill as it goes) ---
const now = Date.now();
const t0 = performance.now();
await storeSyntheticEvents(client, { events: EVENTS, entities: ENTITIES, now });
console.log(`\n  loading took ${Math.round((performance.now() - t0) / 1000)} s (events and the eight rollup views)`);

// --- cycle time ---
const gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
const kong = (t: number, ip: string, user: string, uri: string, status: number, ws: string) =>
  JSON.stringify({ request: { method: 'GET', uri, headers: { authorization: `Basic ${Buffer.from(`${user}:x`).toString('base64')}` } }, response: { status, size: 500 }, latencies: { request: 20 }, client_ip: ip, started_at: t, workspace_name: ws });
const runner = startDetectRole(rt, { schedule: false }).runner;
const c0 = performance.now();
await runner.cycle();
const firstCycle = performance.now() - c0;
// a steady live cycle scores the minute that just closed (and the one filling, for early detectors)
const steady: number[] = [];
const lastMinute = Math.floor(Date.now() / MIN) * MIN - 2 * MIN;
for (let i = 0; i < 5; i++) {
  const s = performance.now();
  await runner.scoreRange({ from: lastMinute - (i + 1) * MIN, to: lastMinute - i * MIN });
  steady.push(performance.now() - s);
}
const byDetector = (await (await client.query({ query: "SELECT detector, quantileExact(0.5)(duration_ms) AS p50, max(duration_ms) AS worst FROM detector_runs WHERE error = '' AND detector != 'late_events' GROUP BY detector ORDER BY worst DESC LIMIT 6", format: 'JSONEachRow' })).json()) as Array<{ detector: string; p50: number; worst: number }>;
console.log(`cycle: first (an hour of catch-up) ${(firstCycle / 1000).toFixed(1)} s; steady (one new minute) median ${(median(steady) / 1000).toFixed(2)} s, worst ${(Math.max(...steady) / 1000).toFixed(2)} s`);
console.log(`slowest detectors (per range scored): ${byDetector.map((d) => `${d.detector} p50 ${Math.round(d.p50)} ms, worst ${Math.round(d.worst)} ms`).join('; ')}`);

// --- live latency: the scheduled role, traffic in real time, attacks starting a few seconds apart ---
startDetectRole(rt);
const alerts = createClickHouseAlertStore(rt.store);
const attackers = Array.from({ length: ATTACKS }, (_, i) => `45.83.70.${i + 1}`);
const firstEvent = new Map<string, number>();
const detected = new Map<string, number>();
const startedAt = Date.now();
let stop = false;
const feeder = (async () => {
  for (let second = 0; !stop; second++) {
    const t = Date.now();
    const recs: string[] = [];
    for (let i = 0; i < 35; i++) recs.push(kong(t, `10.1.${i}.${second % 250}`, `u${(second * 35 + i) % ENTITIES}`, `/v1/r${i % 50}/${second}`, 200, i % 3 ? 'eu' : 'us'));
    attackers.forEach((ip, k) => {
      if (t - startedAt < k * 10_000) return;
      if (!firstEvent.has(ip)) firstEvent.set(ip, t);
      recs.push(kong(t, ip, 'u42', '/v1/login', 401, 'eu'));
    });
    await gateway.submit(recs, 'kong', { source: 'bench' });
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t))));
  }
})();
while (detected.size < attackers.length && Date.now() - startedAt < 8 * MIN) {
  await new Promise((r) => setTimeout(r, 1000));
  for (const a of await alerts.list({ limit: 200 })) {
    if (a.detector === 'brute_force' && attackers.includes(a.entity.value) && !detected.has(a.entity.value)) detected.set(a.entity.value, Date.now());
  }
}
stop = true;
await feeder;
const latencies = attackers.filter((ip) => detected.has(ip)).map((ip) => (detected.get(ip)! - firstEvent.get(ip)!) / 1000);
console.log(`live latency, first attack event → alert stored (${latencies.length}/${attackers.length} detected; lateness ${config.detect.allowedLatenessSec} s, cycle ${config.detect.cycleSec} s): median ${median(latencies).toFixed(0)} s, p95 ${p95(latencies).toFixed(0)} s`);
await rt.close();
process.exit(0);
