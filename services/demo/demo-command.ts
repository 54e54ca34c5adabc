/**
 * `gatewatch demo`: simulated gateways feeding a running Gatewatch. First a backfill of the
 * last hours (so baselines have history, and with a round of attacks in its last hour so
 * alerts are there at once), scored like a replay; then live traffic, one minute at a time,
 * with a new attack every few minutes, cycling through every kind. Talks to the server that
 * holds the data directory, or starts the whole service in this process when none does.
 */
import type { Logger } from 'pino';
import type { Config } from '../../schemas/config-schema.js';
import type { IngestGateway } from '../ingest/ingest-gateway.js';
import { callServer, findLocalServer } from '../cli/local-server.js';
import { startAll } from '../start/start-role.js';
import { simulate, type Attack } from './traffic-simulator.js';

const MIN = 60_000;

interface DemoTarget {
  submit(records: string[]): Promise<number>;
  score(from: number, to: number): Promise<number>;
  describe: string;
}

function serverTarget(config: Config): DemoTarget | undefined {
  const server = config.clickhouse.url ? undefined : findLocalServer(config.dataDir);
  if (!server) return undefined;
  return {
    describe: `the server at ${server.url}`,
    async submit(records) {
      const res = await callServer(server, '/v1/ingest?format=kong', { method: 'POST', body: records.join('\n'), headers: { 'content-type': 'application/x-ndjson' } });
      if (!res.ok) throw new Error(`the server refused the demo records: ${res.status} ${await res.text()}`);
      const r = (await res.json()) as { stored: number; queued: number };
      return r.stored + r.queued;
    },
    async score(from, to) {
      const res = await callServer(server, '/v1/detect/score', { method: 'POST', body: JSON.stringify({ from: new Date(from).toISOString(), to: new Date(to).toISOString() }), headers: { 'content-type': 'application/json' } });
      if (!res.ok) throw new Error(`the server refused to score the backfill: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { opened: number }).opened;
    },
  };
}

async function inProcessTarget(config: Config): Promise<DemoTarget & { log: Logger }> {
  const all = await startAll(config);
  const gateway: IngestGateway = all.ingest;
  return {
    describe: `this process (API on port ${config.port})`,
    log: all.rt.log,
    async submit(records) {
      const r = await gateway.submit(records, 'kong', { source: 'demo' });
      return r.stored + r.queued;
    },
    async score(from, to) {
      return (await all.detect.scoreRange({ from, to })).opened.length;
    },
  };
}

/** One attack of every kind, spread over an hour starting at `start`. */
export function attackRound(start: number, round: number): Attack[] {
  const n = (k: number) => start + k * 6 * MIN;
  const ip = (x: number) => `45.83.${64 + (round % 100)}.${x}`;
  const user = (x: number) => `user${String((round * 17 + x) % 300).padStart(4, '0')}`;
  return [
    { kind: 'brute_force', start: n(0), entity: { type: 'ip', value: ip(10) } },
    { kind: 'credential_stuffing', start: n(1), entity: { type: 'ip', value: ip(20) } },
    { kind: 'distributed_brute_force', start: n(2), entity: { type: 'principal', value: user(21) } },
    { kind: 'impossible_travel', start: n(3), entity: { type: 'principal', value: user(105) } },
    { kind: 'enumeration', start: n(4), entity: { type: 'principal', value: user(107) } },
    { kind: 'volume', start: n(5), entity: { type: 'route', value: '/v1/products/{id}' } },
    { kind: 'error_burst', start: n(7), entity: { type: 'route', value: '/v1/orders' } },
    { kind: 'data_exposure', start: n(9), entity: { type: 'route', value: '/v1/search' } },
  ];
}

export async function demoCommand(config: Config, opts: { backfillHours: number; rate: number; minutes?: number; out?: (line: string) => void }): Promise<void> {
  const say = opts.out ?? ((l: string) => process.stderr.write(`${l}\n`));
  const target = serverTarget(config) ?? (await inProcessTarget(config));
  say(`demo: feeding ${target.describe}`);
  const now = Math.floor(Date.now() / MIN) * MIN;
  const backfillFrom = now - opts.backfillHours * 60 * MIN;
  // a round of attacks in the last hour of the backfill: alerts are there as soon as it is scored
  const attacks = attackRound(now - 60 * MIN, 0);
  let chunk: string[] = [];
  let sent = 0;
  for (const rec of simulate(backfillFrom, now, { seed: 42, peakPerMinute: opts.rate, attacks })) {
    chunk.push(rec);
    if (chunk.length === 5000) {
      sent += await target.submit(chunk);
      chunk = [];
    }
  }
  if (chunk.length) sent += await target.submit(chunk);
  const opened = await target.score(backfillFrom, now);
  say(`demo: backfilled ${opts.backfillHours} h (${sent} records), ${opened} alert(s) opened; now live, a new attack every 6 minutes (Ctrl-C to stop)`);

  let round = 1;
  let live = attackRound(now + 2 * MIN, round);
  for (let minute = now; opts.minutes === undefined || minute < now + opts.minutes * MIN; minute += MIN) {
    const wait = minute + MIN - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (minute >= live[live.length - 1]!.start + 10 * MIN) live = attackRound(minute + MIN, ++round);
    const records = [...simulate(minute, minute + MIN, { seed: 42 + minute / MIN, peakPerMinute: opts.rate, attacks: live })];
    if (records.length) await target.submit(records);
    const starting = live.filter((a) => a.start >= minute && a.start < minute + MIN);
    for (const a of starting) say(`demo: ${a.kind} starts now against ${a.entity.type} ${a.entity.value}`);
  }
}
