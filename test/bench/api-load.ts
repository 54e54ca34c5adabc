/**
 * The load side of bench:api, in its own process (the server's event loop and chDB are not
 * shared with the client): for each scenario, C concurrent clients send the same request
 * back to back for D seconds over loopback; prints one JSON line per scenario with
 * requests/s and the latency distribution (p50, p95, p99, max, in ms).
 *
 * node --import tsx test/bench/api-load.ts <base URL> <API key> <scenarios.json> <concurrency> <seconds>
 */
import { readFileSync } from 'node:fs';

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

const [base, key, file, conc, secs] = process.argv.slice(2);
if (!base || !key || !file) throw new Error('usage: api-load.ts <base URL> <API key> <scenarios.json> <concurrency> <seconds>');
const scenarios = JSON.parse(readFileSync(file, 'utf8')) as Scenario[];
const concurrency = Number(conc ?? 4);
const seconds = Number(secs ?? 15);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] ?? NaN;

for (const s of scenarios) {
  const init: RequestInit = { method: s.method, headers: { authorization: `Bearer ${key}`, ...(s.body ? { 'content-type': 'application/json' } : {}) }, ...(s.body ? { body: JSON.stringify(s.body) } : {}) };
  // one warm-up request (caches, first compilation), not counted
  const warm = await fetch(base + s.path, init);
  const warmBody = await warm.text();
  if (!warm.ok) throw new Error(`${s.name}: ${warm.status} ${warmBody.slice(0, 300)}`);
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        const res = await fetch(base + s.path, init);
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        if (!res.ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(JSON.stringify({ name: s.name, requests: latencies.length, errors, rps: latencies.length / elapsed, p50: pct(latencies, 0.5), p95: pct(latencies, 0.95), p99: pct(latencies, 0.99), max: latencies[latencies.length - 1], bytes: warmBody.length }));
}
