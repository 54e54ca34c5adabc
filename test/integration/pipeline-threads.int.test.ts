/**
 * Pipeline threads (worker_threads) against the pipeline run inline: the same bytes for the
 * same records, split across threads in order; a thread that dies fails only the chunk it
 * held, and the next chunk is served by a new thread.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPipeline } from '../../services/ingest/build-pipeline.js';
import { inlineChunkProcessor, startPipelineThreads, type ChunkProcessor } from '../../services/ingest/pipeline-threads.js';
import { buildPipelineThreadModule, LOADER_ENTRY } from '../../services/ingest/pipeline-thread-module.js';
import type { ProcessedChunk } from '../../services/ingest/pipeline/process-chunk.js';
import { benchRecords } from '../bench/bench-data.js';
import * as fx from '../fixtures/gateway-logs.js';
import { silentLog, testConfig } from './helpers.js';

const config = testConfig();
const opened: ChunkProcessor[] = [];
afterAll(async () => {
  await Promise.all(opened.map((p) => p.close()));
});

const records = [...benchRecords(1500), fx.KONG, fx.AZURE_APIM, fx.NGINX_COMBINED_XFF, '{"broken', 'not a log line at all', ''];
const values = records.map((r) => Buffer.from(r));
const hints = records.map(() => 'auto' as const);

/** Message i's rows and counts, whichever part it landed in. */
function perMessage(parts: ProcessedChunk[]) {
  const out: Array<{ rows: string; events: number; letters: unknown }> = [];
  for (const c of parts) {
    for (let i = 0; i < c.count; i++) {
      out.push({ rows: Buffer.from(c.rows.subarray(c.rowEnds[i], c.rowEnds[i + 1])).toString('utf8'), events: c.events[i]!, letters: c.letters.get(i) ?? [] });
    }
  }
  return out;
}

describe('pipeline threads', () => {
  it('give the same rows, in order, as the pipeline run inline, split across two threads', async () => {
    const threads = await startPipelineThreads(config, silentLog, 2);
    opened.push(threads);
    const inline = inlineChunkProcessor(await buildPipeline(config, silentLog));
    const parts = await threads.process(values, hints);
    expect(parts).toHaveLength(2);
    expect(parts.reduce((n, p) => n + p.count, 0)).toBe(records.length);
    const got = perMessage(parts);
    const want = perMessage(await inline.process(values, hints));
    expect(got).toEqual(want);
    expect(got.filter((m) => m.events > 0).length).toBeGreaterThan(1500);
    expect(got.at(-3)!.letters).toEqual([expect.objectContaining({ reason: 'invalid_json' })]);
    // a small fetch is not split
    expect(await threads.process(values.slice(0, 10), hints.slice(0, 10))).toHaveLength(1);
  });

  it('run from one plain module: our code bundled into a private folder, every package imported by its file URL, no TypeScript loader', async () => {
    const url = await buildPipelineThreadModule();
    expect(url.protocol).toBe('file:');
    const code = readFileSync(url, 'utf8');
    const specifiers = [...code.matchAll(/^import\b[^'"]*?(?:from\s*)?["']([^"']+)["']/gm)].map((m) => m[1]!);
    expect(specifiers.length).toBeGreaterThan(3);
    // packages by absolute URL: the bundle runs the packages installed, wherever it is written
    for (const s of specifiers) expect(s).toMatch(/^(node:|file:\/\/)/);
    expect(specifiers.some((s) => s.includes('/node_modules/maxmind/'))).toBe(true);
    expect(code).not.toMatch(/tsx/);
    // import.meta.url still names the source file it is written in
    expect(code).toContain(JSON.stringify(new URL('../../services/ingest/enrichment/geoip.ts', import.meta.url).href));
  });

  it('give the same rows through the TypeScript loader entry (the fallback when the module cannot be built)', async () => {
    const viaLoader = await startPipelineThreads(config, silentLog, 1, { entry: LOADER_ENTRY });
    opened.push(viaLoader);
    const inline = inlineChunkProcessor(await buildPipeline(config, silentLog));
    expect(perMessage(await viaLoader.process(values, hints))).toEqual(perMessage(await inline.process(values, hints)));
  });

  it('refuse to start, and leave no thread behind, when a thread cannot build its pipeline', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
    // the GeoIP data are loaded once, before any thread: a missing database stops it there
    await expect(startPipelineThreads(testConfig({ enrichment: { cityDbDir: '/nonexistent/geoip' } }), silentLog, 2)).rejects.toThrow(/nonexistent\/geoip/);
    // a thread whose pipeline fails to build: the others are stopped too
    process.env.GW_FAIL_INIT = '1';
    try {
      await expect(startPipelineThreads(config, silentLog, 2, { entry: new URL('./dying-pipeline-thread.mjs', import.meta.url) })).rejects.toThrow(/pipeline thread \d could not start: init failure \(injected\)/);
    } finally {
      delete process.env.GW_FAIL_INIT;
    }
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length).toBe(before);
  });

  it('fail the chunk a dying thread held, then serve the next one from a new thread', async () => {
    const threads = await startPipelineThreads(config, silentLog, 1, { entry: new URL('./dying-pipeline-thread.mjs', import.meta.url) });
    opened.push(threads);
    const poison = [Buffer.from(fx.KONG), Buffer.from('die-now')];
    await expect(threads.process(poison, ['auto', 'auto'])).rejects.toThrow(/pipeline thread 0 exited with code 7/);
    const [after] = await threads.process([Buffer.from(fx.KONG)], ['auto']);
    expect(after!.events[0]).toBe(1);
    expect(Buffer.from(after!.rows).toString('utf8')).toContain('kong');
  });
});
