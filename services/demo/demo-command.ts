/**
 * `gatewatch demo`: simulated gateways feeding a running Gatewatch. The realistic world by
 * default (users on several networks, GeoIP noise, office NAT, VPNs, travellers, monitors, a
 * crawler, nightly exports, a marketing burst, a deploy: see traffic-simulator.ts): first days
 * of history, stored and not scored (what a deployment has learnt: baselines, familiar
 * places), then the last hours scored like a replay, with a round of attacks in their last
 * two hours so incidents are there at once; then live traffic, one minute at a time, with an
 * attack every 12 minutes, a new round every two hours. `--world simple` is the old
 * one-address-per-user world, quick and noisy-free. Talks to the server that holds the data
 * directory, or starts the whole service in this process when none does.
 */
import type { Logger } from 'pino';
import type { Config } from '../../schemas/config-schema.js';
import type { IngestGateway } from '../ingest/ingest-gateway.js';
import { callServer, findLocalServer } from '../cli/local-server.js';
import { startAll } from '../start/start-role.js';
import { simulate, type Attack } from './traffic-simulator.js';
import { PLAIN_USERS } from './sim-world.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export interface DemoTarget {
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

/** a realistic round lasts this long (its last attack starts at 96 min); a new one every ROUND_MIN */
export const ROUND_MIN = 120;

/**
 * One attack of every kind for the realistic world, one every 12 minutes: the three on the
 * login route (brute force, credential stuffing, distributed brute force) 48 minutes apart,
 * so that each is its own incident, as two unrelated attacks would be. The accounts attacked
 * are the world's plain users (one home, no VPN, no trip), a different few each round; the
 * first round also lists a privileged route nobody ever used.
 */
export function realisticRound(start: number, round: number): Attack[] {
  const n = (k: number) => start + k * 12 * MIN;
  const ip = (x: number) => `45.83.${64 + (round % 100)}.${x}`;
  // (not the accounts other attacks use: user0011 is the brute force's target, user0150 the
  // data exposure's downloader, user0166 the privileged route's lister; one attack, one incident)
  const plain = [...PLAIN_USERS].filter((u) => !['user0011', 'user0150', 'user0166'].includes(u));
  const user = (x: number) => plain[(round * 3 + x) % plain.length]!;
  return [
    { kind: 'brute_force', start: n(0), entity: { type: 'ip', value: ip(10) } },
    { kind: 'impossible_travel', start: n(1), entity: { type: 'principal', value: user(1) } },
    { kind: 'enumeration', start: n(2), entity: { type: 'principal', value: user(2) } },
    { kind: 'volume', start: n(3), entity: { type: 'route', value: '/v1/products/{id}' } },
    { kind: 'credential_stuffing', start: n(4), entity: { type: 'ip', value: ip(20) } },
    { kind: 'error_burst', start: n(5), entity: { type: 'route', value: '/v1/orders' } },
    ...(round === 0 ? [{ kind: 'sensitive_access' as const, start: n(6), entity: { type: 'principal' as const, value: 'user0166' }, route: '/internal/v1/customers' }] : []),
    { kind: 'data_exposure', start: n(7), entity: { type: 'route', value: '/v1/search' } },
    { kind: 'distributed_brute_force', start: n(8), entity: { type: 'principal', value: user(0) } },
  ];
}

export interface DemoOptions {
  world: 'realistic' | 'simple';
  /** hours scored before going live (a round of attacks in the last one) */
  backfillHours: number;
  /** realistic world: days of history before those hours, stored and not scored */
  historyDays: number;
  /** requests per minute at the daily peak (default: the world's) */
  rate?: number;
  /** live minutes (default: until interrupted); 0 stops after the backfill */
  minutes?: number;
  out?: (line: string) => void;
  /** the present (default: the clock): tests fix it, for the same world every run */
  now?: number;
}

const startedAt = (record: string) => Number(/"started_at":(\d+)/.exec(record)?.[1] ?? 0);

export async function demoCommand(config: Config, opts: DemoOptions): Promise<{ records: number; opened: number }> {
  return runDemo(serverTarget(config) ?? (await inProcessTarget(config)), opts);
}

/** The demo against a given target (the server, this process, or a test's store). */
export async function runDemo(target: DemoTarget, opts: DemoOptions): Promise<{ records: number; opened: number }> {
  const say = opts.out ?? ((l: string) => process.stderr.write(`${l}\n`));
  say(`demo: feeding ${target.describe} with the ${opts.world} world`);
  return opts.world === 'simple' ? simpleDemo(target, opts, say) : realisticDemo(target, opts, say);
}

async function realisticDemo(target: DemoTarget, opts: DemoOptions, say: (l: string) => void): Promise<{ records: number; opened: number }> {
  const now = Math.floor((opts.now ?? Date.now()) / MIN) * MIN;
  // at least the first round is scored whole
  const scoredMin = Math.max(opts.backfillHours * 60, ROUND_MIN);
  if (scoredMin > opts.backfillHours * 60) say(`demo: scoring the last ${ROUND_MIN} minutes (the first round of attacks lasts that long), not ${opts.backfillHours} h`);
  const scoreFrom = now - scoredMin * MIN;
  const from = scoreFrom - opts.historyDays * DAY;
  // live for as long as asked (a month at most: start it again after that)
  const end = now + (opts.minutes ?? 30 * 24 * 60) * MIN;
  // the first round ends in the last scored hour, the next starts two minutes into the live part
  const attacks = realisticRound(now - ROUND_MIN * MIN, 0);
  for (let round = 1, start = now + 2 * MIN; start < end; round++, start += ROUND_MIN * MIN) attacks.push(...realisticRound(start, round));
  // one world from the first day of history to the last live minute: the same users on the same networks throughout
  const records = simulate(from, end, { seed: 42, world: 'realistic', attacks, epoch: from, ...(opts.rate ? { peakPerMinute: opts.rate } : {}) });
  let sent = 0;
  let pending: string | undefined;
  let chunk: string[] = [];
  let reported = from;
  // (pulled by hand: a for-of that breaks would close the generator the live part goes on with)
  for (let next = records.next(); !next.done; next = records.next()) {
    const rec = next.value;
    const t = startedAt(rec);
    if (t >= now) {
      pending = rec;
      break;
    }
    chunk.push(rec);
    if (chunk.length === 5000) {
      sent += await target.submit(chunk);
      chunk = [];
      if (t - reported >= 12 * HOUR) {
        reported = t;
        say(`demo: stored history up to ${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC (${sent} records)`);
      }
    }
  }
  if (chunk.length) sent += await target.submit(chunk);
  say(`demo: ${opts.historyDays} day(s) of history and ${scoredMin / 60} h stored (${sent} records); scoring the last ${scoredMin / 60} h…`);
  const opened = await target.score(scoreFrom, now);
  say(`demo: ${opened} alert(s) opened from a round of attacks in the last two hours; see the Incidents tab`);
  if (opts.minutes === 0) return { records: sent, opened };
  say(`demo: now live, an attack every 12 minutes, a new round every ${ROUND_MIN} minutes (Ctrl-C to stop)`);
  for (let minute = now; minute < end; minute += MIN) {
    const batch: string[] = [];
    while (true) {
      const rec = pending ?? records.next().value;
      pending = undefined;
      if (rec === undefined) break;
      if (startedAt(rec) >= minute + MIN) {
        pending = rec;
        break;
      }
      batch.push(rec);
    }
    const wait = minute + MIN - (opts.now === undefined ? Date.now() : minute + MIN);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (batch.length) sent += await target.submit(batch);
    for (const a of attacks.filter((x) => x.start >= minute && x.start < minute + MIN)) say(`demo: ${a.kind} starts now against ${a.entity.type} ${a.entity.value}`);
  }
  return { records: sent, opened };
}

async function simpleDemo(target: DemoTarget, opts: DemoOptions, say: (l: string) => void): Promise<{ records: number; opened: number }> {
  const rate = opts.rate ?? 120;
  const now = Math.floor(Date.now() / MIN) * MIN;
  const backfillFrom = now - opts.backfillHours * 60 * MIN;
  // a round of attacks in the last hour of the backfill: alerts are there as soon as it is scored
  const attacks = attackRound(now - 60 * MIN, 0);
  let chunk: string[] = [];
  let sent = 0;
  for (const rec of simulate(backfillFrom, now, { seed: 42, peakPerMinute: rate, attacks })) {
    chunk.push(rec);
    if (chunk.length === 5000) {
      sent += await target.submit(chunk);
      chunk = [];
    }
  }
  if (chunk.length) sent += await target.submit(chunk);
  const opened = await target.score(backfillFrom, now);
  say(`demo: backfilled ${opts.backfillHours} h (${sent} records), ${opened} alert(s) opened; now live, a new attack every 6 minutes (Ctrl-C to stop)`);
  if (opts.minutes === 0) return { records: sent, opened };

  let round = 1;
  let live = attackRound(now + 2 * MIN, round);
  for (let minute = now; opts.minutes === undefined || minute < now + opts.minutes * MIN; minute += MIN) {
    const wait = minute + MIN - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (minute >= live[live.length - 1]!.start + 10 * MIN) live = attackRound(minute + MIN, ++round);
    const records = [...simulate(minute, minute + MIN, { seed: 42 + minute / MIN, peakPerMinute: rate, attacks: live })];
    if (records.length) await target.submit(records);
    const starting = live.filter((a) => a.start >= minute && a.start < minute + MIN);
    for (const a of starting) say(`demo: ${a.kind} starts now against ${a.entity.type} ${a.entity.value}`);
  }
  return { records: sent, opened };
}
