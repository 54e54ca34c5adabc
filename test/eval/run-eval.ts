/**
 * One run of the detection evaluation: the scenario's traffic (with days of history before
 * it) stored through the ingest pipeline into an embedded engine, the scored days scored as
 * `gatewatch replay` does, and the alerts judged strictly (evaluate.ts). Shared by
 * `npm run eval:detect` and the integration test.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../services/shared/config.js';
import { openRuntime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { startDetectRole } from '../../services/detect/detect-role.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createIncidentStore, type IncidentView } from '../../services/storage/incident-store.js';
import { replayFiles } from '../../services/ingest/replay.js';
import { simulate } from '../../services/demo/traffic-simulator.js';
import { makeWorld, placeOf } from '../../services/demo/sim-world.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { tmpDir } from '../integration/helpers.js';
import { ATTACKS, DAY, DAYS, T0 } from './scenario.js';
import { evaluate, type Evaluation } from './evaluate.js';

export const SEED = 2026;

export interface EvalRun {
  world: 'realistic' | 'simple';
  historyDays: number;
  records: number;
  storeMs: number;
  scoreMs: number;
  failed: string[];
  alerts: Alert[];
  incidents: IncidentView[];
  evaluation: Evaluation;
}

export async function runEvaluation(opts: { world: 'realistic' | 'simple'; historyDays: number }): Promise<EvalRun> {
  const range = { from: T0, to: T0 + DAYS * DAY };
  const dir = tmpDir('gw-eval-');
  const file = join(dir, 'traffic.ndjson');
  const out = createWriteStream(file);
  let records = 0;
  for (const line of simulate(range.from - opts.historyDays * DAY, range.to, { seed: SEED, attacks: ATTACKS, world: opts.world, epoch: T0 })) {
    records++;
    if (!out.write(line + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');

  const config = validateConfig({ dataDir: join(dir, 'data'), logLevel: 'warn', port: 0, fingerprintKey: 'eval-fingerprint-key-0123456789abcdef', clickhouse: { retentionDays: 3650 } });
  const rt = await openRuntime(config, { role: 'eval', log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'error' }) });
  try {
    const t0 = performance.now();
    const ingest = await startIngestRole(rt, { runWorker: false });
    await replayFiles([file], ingest.gateway, { format: 'auto', chunkRecords: config.ingest.batchMaxRows });
    const storeMs = performance.now() - t0;
    const t1 = performance.now();
    const result = await startDetectRole(rt, { schedule: false }).runner.scoreRange(range);
    const scoreMs = performance.now() - t1;
    const alertStore = createClickHouseAlertStore(rt.store);
    const alerts = await alertStore.list({ limit: 100_000 });
    const incidents = await createIncidentStore(rt.store, alertStore).list({ limit: 100_000 });
    const worldUsers = opts.world === 'realistic' ? makeWorld(600, SEED, T0 - opts.historyDays * DAY, DAYS + opts.historyDays).users : undefined;
    const users = worldUsers ?? Array.from({ length: 300 }, (_, i) => ({ name: `user${String(i).padStart(4, '0')}` }));
    // where a victim's own session was during an attack made from it
    const ipsOf = (name: string, from: number, to: number) => {
      const u = worldUsers?.find((x) => x.name === name);
      const ips = new Set<string>();
      for (let m = Math.floor(from / 60_000) * 60_000; u && m <= to; m += 60_000) {
        const p = placeOf(u, m);
        if (p) ips.add(p.ip);
      }
      return [...ips];
    };
    return { world: opts.world, historyDays: opts.historyDays, records, storeMs, scoreMs, failed: result.failed, alerts, incidents, evaluation: evaluate(alerts, ATTACKS, users, range, ipsOf, incidents) };
  } finally {
    await rt.close();
  }
}
