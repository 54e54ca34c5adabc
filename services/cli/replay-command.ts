/** `gatewatch replay FILE…`: backfill through the same pipeline, with a progress bar and final counts. */
import { existsSync, statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Config, LogFormat } from '../../schemas/config-schema.js';
import type { IngestGateway, IngestResult } from '../ingest/ingest-gateway.js';
import { startIngestRole } from '../ingest/ingest-role.js';
import { startDetectRole } from '../detect/detect-role.js';
import { replayFiles, type ReplayTotals } from '../ingest/replay.js';
import { createLogger } from '../shared/logger.js';
import { openRuntime } from '../shared/runtime.js';
import { callServer, findLocalServer, type LocalServer } from './local-server.js';

function serverGateway(server: LocalServer): IngestGateway {
  return {
    mode: 'direct',
    async submit(records, hint, opts) {
      const body = records.map((r) => (typeof r === 'string' ? r : r.toString('utf8'))).join('\n');
      const res = await callServer(server, `/v1/ingest?format=${hint}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-ndjson', ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}) },
      });
      if (!res.ok) throw new Error(`server refused a chunk: ${res.status} ${await res.text()}`);
      return (await res.json()) as IngestResult;
    },
  };
}

export interface ReplayOutcome extends ReplayTotals {
  /** what detection over the replayed range found; absent when nothing was stored or detection is off */
  detection?: { opened: number; extended: number; failed: string[] };
}

const MINUTE = 60_000;

/** The windows a backfill can have changed: from the first stored minute to a minute past the last. */
function replayedRange(t: { min: string; max: string }): { from: number; to: number } {
  return { from: Math.floor(Date.parse(t.min) / MINUTE) * MINUTE, to: Math.floor(Date.parse(t.max) / MINUTE) * MINUTE + MINUTE };
}

export async function replayCommand(config: Config, files: string[], opts: { format: LogFormat | 'auto'; progress: boolean }): Promise<ReplayOutcome> {
  for (const f of files) if (!existsSync(f) || !statSync(f).isFile()) throw new Error(`not a file: ${f}`);
  const totalBytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const bar = opts.progress
    ? new cliProgress.SingleBar({ format: 'replay [{bar}] {percentage}% | {records} records | {stored} stored | {rejected} rejected | {eta_formatted} left', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(totalBytes, 0, { records: 0, stored: 0, rejected: 0 });
  const onProgress = (bytes: number, t: ReplayTotals) => bar?.update(bytes, { records: t.records, stored: t.stored + t.queued, rejected: t.rejected });

  const server = config.clickhouse.url ? undefined : findLocalServer(config.dataDir);
  // Everything is stored first, then the replayed range is scored once: the same detectors,
  // windows and watermark rule as live, so a backfilled day raises what it would have raised.
  try {
    if (server) {
      const totals: ReplayOutcome = await replayFiles(files, serverGateway(server), { format: opts.format, chunkRecords: 10_000, onProgress });
      bar?.stop();
      if (totals.eventTimes && config.detect.enabled) {
        const { from, to } = replayedRange(totals.eventTimes);
        const res = await callServer(server, '/v1/detect/score', { method: 'POST', body: JSON.stringify({ from: new Date(from).toISOString(), to: new Date(to).toISOString() }), headers: { 'content-type': 'application/json' } });
        if (!res.ok) throw new Error(`stored, but the server refused to score the replayed range: ${res.status} ${await res.text()}`);
        totals.detection = (await res.json()) as ReplayOutcome['detection'];
      }
      return totals;
    }
    const rt = await openRuntime(config, { role: 'replay', log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { pretty: false, redaction: config.redaction }) });
    try {
      const ingest = await startIngestRole(rt, { runWorker: false });
      const totals: ReplayOutcome = await replayFiles(files, ingest.gateway, { format: opts.format, chunkRecords: config.ingest.batchMaxRows, onProgress });
      bar?.stop();
      if (totals.eventTimes && config.detect.enabled) {
        const r = await startDetectRole(rt, { schedule: false }).runner.scoreRange(replayedRange(totals.eventTimes));
        totals.detection = { opened: r.opened.length, extended: r.extended, failed: r.failed };
      }
      return totals;
    } finally {
      await rt.close();
    }
  } finally {
    bar?.stop();
  }
}
