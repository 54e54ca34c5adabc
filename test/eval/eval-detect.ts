/**
 * npm run eval:detect [-- --world realistic|simple] [--false N]
 *
 * Three simulated days (the realistic world by default: several networks per user, GeoIP
 * noise, CGNAT, office NAT, VPN users, travellers, monitors, a crawler, nightly exports, a
 * marketing burst and a deploy) with an attack of every detector family, stored through the
 * ingest pipeline into the embedded engine and scored as `gatewatch replay` does. Prints, per
 * attack, whether its own detector named it and how fast (event time), the alerts it
 * explains, and every alert it does not explain as false, per day and per detector.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../services/shared/config.js';
import { openRuntime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { startDetectRole } from '../../services/detect/detect-role.js';
import { createClickHouseAlertStore } from '../../services/detect/clickhouse-alert-store.js';
import { replayFiles } from '../../services/ingest/replay.js';
import { simulate } from '../../services/demo/traffic-simulator.js';
import { makeWorld } from '../../services/demo/sim-world.js';
import { tmpDir } from '../integration/helpers.js';
import { useRunTmpDir } from '../run-tmp.js';
import { ATTACKS, DAY, DAYS, T0 } from './scenario.js';
import { evaluate, formatReport } from './evaluate.js';

useRunTmpDir('gatewatch-eval-run-', { signals: true });
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const world = arg('world', 'realistic') as 'realistic' | 'simple';
const SEED = 2026;
const range = { from: T0, to: T0 + DAYS * DAY };

const dir = tmpDir('gw-eval-');
const file = join(dir, 'traffic.ndjson');
const out = createWriteStream(file);
let records = 0;
for (const line of simulate(range.from, range.to, { seed: SEED, attacks: ATTACKS, world })) {
  records++;
  if (!out.write(line + '\n')) await once(out, 'drain');
}
out.end();
await once(out, 'finish');

const config = validateConfig({ dataDir: join(dir, 'data'), logLevel: 'warn', port: 0, fingerprintKey: 'eval-fingerprint-key-0123456789abcdef', clickhouse: { retentionDays: 3650 } });
const rt = await openRuntime(config, { role: 'eval', log: pino({ level: 'warn' }) });
const t0 = performance.now();
const ingest = await startIngestRole(rt, { runWorker: false });
const totals = await replayFiles([file], ingest.gateway, { format: 'auto', chunkRecords: config.ingest.batchMaxRows });
const storeMs = performance.now() - t0;
const t1 = performance.now();
const result = await startDetectRole(rt, { schedule: false }).runner.scoreRange(range);
const scoreMs = performance.now() - t1;
const alerts = await createClickHouseAlertStore(rt.store).list({ limit: 100_000 });
await rt.close();

const users = world === 'realistic' ? makeWorld(600, SEED, T0).users : Array.from({ length: 300 }, (_, i) => ({ name: `user${String(i).padStart(4, '0')}` }));
const e = evaluate(alerts, ATTACKS, users, range);
console.log(`world: ${world}; ${records.toLocaleString('en-US')} records (${Math.round(records / DAYS).toLocaleString('en-US')} a day), stored ${totals.stored.toLocaleString('en-US')} in ${(storeMs / 1000).toFixed(1)} s, scored ${DAYS} days in ${(scoreMs / 1000).toFixed(1)} s${result.failed.length ? `, FAILED detectors: ${result.failed.join(', ')}` : ''}`);
console.log(formatReport(e, { falseSamples: Number(arg('false', '15')) }));
