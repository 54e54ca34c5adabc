/**
 * npm run bench:notify [-- --alerts N --burst B]
 *
 * The notifier delivering signed webhooks to a receiver on loopback, embedded ClickHouse:
 * 1. latency: N alerts (default 50) stored one every 200 ms; for each, the time from its row
 *    being stored to the receiver having its webhook. Prints median and p95.
 * 2. throughput: B alerts (default 2,000) stored at once; deliveries per second until the
 *    receiver has them all. Checks every alert arrived exactly once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { validateConfig } from '../../services/shared/config.js';
import { openRuntime } from '../../services/shared/runtime.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createNotifier } from '../../services/notify/notifier.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { tmpDir } from '../integration/helpers.js';
import { useRunTmpDir } from '../run-tmp.js';

// the run's temporary files (data directories, broker logs) under one folder, removed at exit
useRunTmpDir('gatewatch-bench-run-', { signals: true });

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('alerts', 50);
const BURST = arg('burst', 2000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

const receivedAt = new Map<string, number[]>();
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alert: { id: string } }).alert.id;
    receivedAt.set(id, [...(receivedAt.get(id) ?? []), performance.now()]);
    res.writeHead(200).end('ok');
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

const log = pino({ level: 'warn' });
const config = validateConfig({
  dataDir: tmpDir('gw-bench-notify-'),
  port: 0,
  fingerprintKey: 'bench-fingerprint-key-0123456789abcdef',
  // every alert its own message: no grouping (distinct entities anyway), no rate limit in the way
  notify: { rateLimitPerMin: 100_000, channels: [{ type: 'webhook', name: 'bench', url, secret: 'bench-secret-0123456789', allowPrivate: true }] },
});
const rt = await openRuntime(config, { role: 'bench', log });
const store = createClickHouseAlertStore(rt.store);
const notifier = createNotifier({ config, store: rt.store, alerts: store, log });
notifier.start();

let entity = 0;
function alert(id: string): Alert {
  const now = new Date().toISOString();
  entity++;
  return { id, detector: 'brute_force', severity: 'high', entity: { type: 'ip', value: `10.${(entity >> 16) & 255}.${(entity >> 8) & 255}.${entity & 255}` }, window: { start: now, end: now }, observed: 40, expected: 20, score: 2, summary: `bench ${id}`, owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [{ n: 1 }] }, detail: {}, status: 'open', windows: 1, first_seen: now, last_seen: now };
}

console.log(`notify benchmark: signed webhooks to a loopback receiver, poll every ${config.notify.pollMs} ms, embedded ClickHouse`);
const storedAt = new Map<string, number>();
for (let i = 0; i < N; i++) {
  const id = `lat-${i}`;
  await store.save([alert(id)]);
  storedAt.set(id, performance.now());
  await new Promise((r) => setTimeout(r, 200));
}
const deadline = Date.now() + 30_000;
while ([...storedAt.keys()].some((id) => !receivedAt.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const lat = [...storedAt].filter(([id]) => receivedAt.has(id)).map(([id, t]) => receivedAt.get(id)![0]! - t);
console.log(`latency, alert stored → webhook received (${lat.length}/${N}): median ${Math.round(median(lat))} ms, p95 ${Math.round(p95(lat))} ms`);

const burst = Array.from({ length: BURST }, (_, i) => alert(`burst-${i}`));
const t0 = performance.now();
for (let i = 0; i < burst.length; i += 500) await store.save(burst.slice(i, i + 500));
const burstDeadline = Date.now() + 300_000;
while (burst.some((a) => !receivedAt.has(a.id)) && Date.now() < burstDeadline) await new Promise((r) => setTimeout(r, 50));
const secs = (performance.now() - t0) / 1000;
const got = burst.filter((a) => receivedAt.has(a.id)).length;
const twice = [...receivedAt.values()].filter((v) => v.length > 1).length;
console.log(`throughput: ${got}/${BURST} delivered in ${secs.toFixed(1)} s = ${Math.round(got / secs)} deliveries/s; delivered more than once: ${twice}`);
await notifier.stop();
await rt.close();
server.close();
process.exit(0);
