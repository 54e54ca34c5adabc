/**
 * npm run bench:insert [-- --rows N --batch ROWS --settings '{"max_threads":1}']
 *
 * The embedded engine's side of ingest alone: N encoded event rows (the bench:ingest records
 * through the pipeline, encoded once up front) inserted in ROWS-row raw inserts with the
 * ingest path's settings, in four variants, each in its own process so that its RSS is its
 * own: as shipped; with the eight rollup views dropped; with background merges stopped; with
 * `SYSTEM JEMALLOC PURGE` after every insert. Prints rows/s, CPU µs per row and RSS before,
 * at the peak and at the end of the inserts. --settings adds insert settings to every variant.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../services/shared/config.js';
import { openStore } from '../../services/storage/clickhouse.js';
import { migrate } from '../../services/storage/migrate.js';
import { buildPipeline } from '../../services/ingest/build-pipeline.js';
import { createClickHouseEventSink } from '../../services/storage/clickhouse-event-sink.js';
import { EVENT_COLUMNS, RowWriter } from '../../services/ingest/row-writer.js';
import { ROLLUPS, rollupView } from '../../schemas/rollups.js';
import { tmpDir } from '../integration/helpers.js';
import { benchRecords } from './bench-data.js';
import { useRunTmpDir } from '../run-tmp.js';

// the run's temporary files (data directories, broker logs) under one folder, removed at exit
useRunTmpDir('gatewatch-bench-run-', { signals: true });

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const ROWS = Number(arg('rows', '600000'));
const BATCH = Number(arg('batch', '20000'));
const VARIANTS = ['as shipped', 'rollup views dropped', 'merges stopped', 'jemalloc purge after each insert'] as const;
const log = pino({ level: 'warn' });
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

async function runVariant(variant: string, rowsFile: string): Promise<void> {
  const data = readFileSync(rowsFile);
  const bodies: Array<{ body: Buffer; rows: number }> = [];
  let start = 0;
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 10 && ++n % BATCH === 0) {
      bodies.push({ body: data.subarray(start, i + 1), rows: BATCH });
      start = i + 1;
    }
  }
  if (start < data.length) bodies.push({ body: data.subarray(start), rows: n % BATCH });
  const store = await openStore(validateConfig({ dataDir: tmpDir('gw-bench-insert-') }));
  await migrate(store, 90, log);
  if (variant === 'rollup views dropped') for (const r of ROLLUPS) await store.client.command({ query: `DROP VIEW ${store.db}.${rollupView(r)}` });
  if (variant === 'merges stopped') await store.client.command({ query: 'SYSTEM STOP MERGES' });
  const extra = JSON.parse(arg('settings', '{}')) as Record<string, string | number>;
  const sink = createClickHouseEventSink(store);
  const insert = Object.keys(extra).length
    ? (b: { body: Buffer }, token: string) =>
        store.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body: b.body, settings: { insert_deduplication_token: token, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1, parallel_view_processing: 1, ...extra } })
    : (b: { body: Buffer; rows: number }, token: string) => sink.insertRows(b, token);
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < bodies.length; k++) {
    await insert(bodies[k]!, `bench-insert-${k}`);
    if (variant === 'jemalloc purge after each insert') await store.client.command({ query: 'SYSTEM JEMALLOC PURGE' });
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const end = process.memoryUsage.rss();
  const [{ c } = { c: '0' }] = (await (await store.client.query({ query: 'SELECT count() AS c FROM events', format: 'JSONEachRow' })).json()) as Array<{ c: string }>;
  await store.close();
  console.log(
    `${variant.padEnd(34)} ${Math.round((n / ms) * 1000).toLocaleString('en-US').padStart(9)} ${((cpu.user + cpu.system) / n).toFixed(1).padStart(8)} ` +
      `${mb(before).padStart(7)} ${mb(peak).padStart(7)} ${mb(end).padStart(7)}   (${Number(c).toLocaleString('en-US')} rows; the encoded rows themselves hold ${mb(data.length)} MB)`,
  );
}

const variant = arg('variant', '');
if (variant) {
  await runVariant(variant, arg('rows-file', ''));
} else {
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  console.log(`rows: ${ROWS.toLocaleString('en-US')} in ${BATCH.toLocaleString('en-US')}-row raw inserts (the ingest path's settings: dedup token, views in parallel; added: ${arg('settings', 'none')})\n`);
  const dir = tmpDir('gw-bench-rows-');
  const config = validateConfig({ dataDir: dir, logLevel: 'warn', fingerprintKey: 'bench-fingerprint-key-0123456789abcdef' });
  const pipeline = await buildPipeline(config, log);
  const w = new RowWriter();
  for (const r of benchRecords(ROWS)) for (const o of pipeline(r)) if (o.kind === 'ok') w.write(o.event);
  const rowsFile = join(dir, 'rows.jsonl');
  writeFileSync(rowsFile, w.bytes());
  console.log(`variant                             rows/s   µs CPU/row   RSS MB: before   peak     end`);
  for (const v of VARIANTS) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--variant', v, '--rows-file', rowsFile, '--batch', String(BATCH), '--settings', arg('settings', '{}')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    process.stdout.write(r.stdout);
  }
}
