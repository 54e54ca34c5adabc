/**
 * Where the Kafka worker runs the pipeline: in its own thread (inline), or in pipeline
 * threads (worker_threads) so that parsing, redaction, enrichment and row encoding run beside
 * the consumer loop and the ClickHouse insert instead of taking turns with them.
 *
 * Invariants:
 * - Results come back in message order, one part per thread, covering the messages given
 *   contiguously: the consumer loop then goes on exactly as if it had run the pipeline itself.
 * - A thread that dies fails the chunks it held (the worker rewinds and they come again) and
 *   is started again for the next chunk; it never takes records with it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config, LogFormat } from '../../schemas/config-schema.js';
import { errorMessage } from '../shared/errors.js';
import type { Metrics } from '../shared/metrics.js';
import { fingerprintKey } from './build-pipeline.js';
import { loadGeoData, type GeoData } from './enrichment/geoip.js';
import { pipelineThreadModule } from './pipeline-thread-module.js';
import { packChunk, processChunk, rawTransfer, type ProcessedChunk } from './pipeline/process-chunk.js';
import type { ProcessRecord } from './pipeline/process-record.js';

/**
 * How many pipeline threads `auto` means. Beside the embedded engine two (one on a single
 * core): the engine's insert and merges take the rest. On two cores, with the engine's merges
 * made lighter (migration 10), two threads against one, alternated: +8 and +16 % records/s
 * for +96 and +111 MB (docs/benchmarks.md). With a ClickHouse server
 * the pipeline is the worker's main work: one thread per core, up to four.
 */
export function pipelineThreadCount(config: Config, cores = availableParallelism()): number {
  const n = config.ingest.pipelineThreads;
  if (n !== 'auto') return n;
  return Math.min(config.clickhouse.url ? 4 : 2, Math.max(1, cores));
}

export interface ChunkProcessor {
  readonly threads: number;
  /** Runs the pipeline over the messages; the parts cover them in order. */
  process(values: ReadonlyArray<Buffer | null>, hints: ReadonlyArray<LogFormat | 'auto'>): Promise<ProcessedChunk[]>;
  close(): Promise<void>;
}

export function inlineChunkProcessor(processRecord: ProcessRecord): ChunkProcessor {
  return {
    threads: 0,
    process: async (values, hints) => [processChunk(processRecord, packChunk(values, hints))],
    close: async () => {},
  };
}

interface Pending {
  resolve: (c: ProcessedChunk) => void;
  reject: (e: Error) => void;
}

class PipelineThread {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closing = false;

  constructor(
    private readonly config: Config,
    private readonly geo: GeoData,
    private readonly index: number,
    private readonly log: Logger,
    private readonly entry: URL,
    private readonly onFailure: () => void,
  ) {}

  /** Starts the thread (again, after it died) and waits until its pipeline is built. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = new Worker(this.entry, { workerData: { config: this.config, thread: this.index, geo: this.geo }, name: `gatewatch-pipeline-${this.index}`, execArgv: ['--enable-source-maps'] });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: { ready?: true; initError?: string; id?: number; result?: ProcessedChunk; error?: string }) => {
        if (m.ready) return resolve();
        if (m.initError !== undefined) return reject(new Error(`pipeline thread ${this.index} could not start: ${m.initError}`));
        const p = this.pending.get(m.id!);
        if (!p) return;
        this.pending.delete(m.id!);
        if (m.result) p.resolve(m.result);
        else p.reject(new Error(`pipeline thread ${this.index}: ${m.error ?? 'no result'}`));
      });
      const fail = (why: string) => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined;
        }
        reject(new Error(why));
        for (const p of this.pending.values()) p.reject(new Error(why));
        this.pending.clear();
        if (!this.closing) {
          this.onFailure();
          this.log.error({ thread: this.index, err: why }, 'pipeline thread failed: its batches are retried, it restarts');
        }
      };
      worker.on('error', (err) => fail(`pipeline thread ${this.index} failed: ${errorMessage(err)}`));
      worker.on('exit', (code) => fail(`pipeline thread ${this.index} exited with code ${code}`));
    });
    return this.ready;
  }

  async run(values: ReadonlyArray<Buffer | null>, hints: ReadonlyArray<LogFormat | 'auto'>): Promise<ProcessedChunk> {
    await this.start();
    const chunk = packChunk(values, hints);
    const id = this.nextId++;
    return new Promise<ProcessedChunk>((resolve, reject) => {
      this.pending.set(id, { resolve: (c) => resolve(asBuffers(c)), reject });
      this.worker!.postMessage({ id, chunk }, rawTransfer(chunk));
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker?.terminate();
  }
}

/** Typed arrays arrive as plain views; rows are read as a Buffer (a view, no copy). */
function asBuffers(c: ProcessedChunk): ProcessedChunk {
  return { ...c, rows: Buffer.from(c.rows.buffer, c.rows.byteOffset, c.rows.byteLength) };
}

/** Below this many messages a chunk is not split across threads: the hand-over would cost more. */
const MIN_SPLIT = 256;

/**
 * @param opts.entry the thread's entry module (tests start one that can be made to die); by
 *   default the thread's code bundled once into a plain module (pipeline-thread-module.ts)
 * @param opts.metrics counts the threads that died
 */
export async function startPipelineThreads(config: Config, log: Logger, threads: number, opts: { entry?: URL; metrics?: Metrics } = {}): Promise<ChunkProcessor> {
  // the key is settled here, once, so that every thread fingerprints with the same one
  const threadConfig: Config = { ...config, fingerprintKey: fingerprintKey(config, log) };
  // one copy of the GeoIP/ASN data for all threads (shared memory, not cloned per thread)
  const geo = loadGeoData(config.enrichment);
  const entry =
    opts.entry ??
    (await pipelineThreadModule((reason) => log.warn({ err: reason }, 'pipeline thread module could not be built: threads start through the TypeScript loader (about 50 MB more each)')));
  const pool = Array.from({ length: threads }, (_, i) => new PipelineThread(threadConfig, geo, i, log, entry, () => opts.metrics?.pipelineThreadFailures.inc()));
  try {
    await Promise.all(pool.map((t) => t.start()));
  } catch (err) {
    // one thread could not build its pipeline (a missing GeoIP database, say): the others
    // would keep the process alive for nothing
    await Promise.all(pool.map((t) => t.close()));
    throw err;
  }
  log.info({ threads }, 'pipeline threads started');
  return {
    threads,
    process(values, hints) {
      const parts = values.length >= MIN_SPLIT * 2 ? Math.min(pool.length, Math.floor(values.length / MIN_SPLIT)) : 1;
      const size = Math.ceil(values.length / parts);
      return Promise.all(pool.slice(0, parts).map((t, p) => t.run(values.slice(p * size, (p + 1) * size), hints.slice(p * size, (p + 1) * size))));
    },
    close: async () => {
      await Promise.all(pool.map((t) => t.close()));
    },
  };
}
