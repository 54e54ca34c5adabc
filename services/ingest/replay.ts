/**
 * Backfill: read log files (plain or gzip, detected by magic bytes), one record per line,
 * and push them in chunks through an ingest gateway with their original timestamps. The
 * chunk token is derived from the file's identity and the chunk's position, so replaying
 * the same file twice does not store it twice.
 */
import { createHash } from 'node:crypto';
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { basename } from 'node:path';
import type { LogFormat } from '../../schemas/config-schema.js';
import type { IngestGateway, IngestResult } from './ingest-gateway.js';

export interface ReplayTotals {
  files: number;
  records: number;
  stored: number;
  rejected: number;
  queued: number;
  reasons: Record<string, number>;
  /** event-time range of what was stored (embedded mode) */
  eventTimes?: { min: string; max: string };
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

export function replayFileId(path: string): string {
  const st = statSync(path);
  return createHash('sha256').update(`${basename(path)}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 16);
}

export async function replayFiles(
  files: string[],
  gateway: IngestGateway,
  opts: { format: LogFormat | 'auto'; chunkRecords: number; onProgress?: (bytesRead: number, totals: ReplayTotals) => void },
): Promise<ReplayTotals> {
  const totals: ReplayTotals = { files: 0, records: 0, stored: 0, rejected: 0, queued: 0, reasons: {} };
  let bytesBefore = 0;
  const add = (r: IngestResult) => {
    totals.records += r.received;
    totals.stored += r.stored;
    totals.rejected += r.rejected;
    totals.queued += r.queued;
    for (const [k, v] of Object.entries(r.reasons)) totals.reasons[k] = (totals.reasons[k] ?? 0) + v;
    if (r.eventTimes) {
      const t = totals.eventTimes;
      totals.eventTimes = t ? { min: r.eventTimes.min < t.min ? r.eventTimes.min : t.min, max: r.eventTimes.max > t.max ? r.eventTimes.max : t.max } : { ...r.eventTimes };
    }
  };
  for (const file of files) {
    const id = replayFileId(file);
    const raw = createReadStream(file);
    let bytesRead = 0;
    raw.on('data', (c) => (bytesRead += c.length));
    const input = isGzip(file) ? raw.pipe(createGunzip()) : raw;
    const lines = createInterface({ input, crlfDelay: Infinity });
    let chunk: string[] = [];
    let index = 0;
    const flush = async () => {
      const records = chunk;
      chunk = [];
      add(await gateway.submit(records, opts.format, { source: 'replay', idempotencyKey: `${id}:${index++}` }));
      opts.onProgress?.(bytesBefore + bytesRead, totals);
    };
    for await (const line of lines) {
      if (line.trim() === '') continue;
      chunk.push(line);
      if (chunk.length >= opts.chunkRecords) await flush();
    }
    if (chunk.length) await flush();
    bytesBefore += statSync(file).size;
    totals.files++;
    opts.onProgress?.(bytesBefore, totals);
  }
  return totals;
}
