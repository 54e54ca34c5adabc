/**
 * A pipeline thread: builds the ingest pipeline from the config it was given and processes
 * the chunks the Kafka worker sends it (see pipeline-threads.ts), answering each with the
 * encoded rows and the per-message outcomes, transferred rather than copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../schemas/config-schema.js';
import { errorMessage } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { buildPipeline } from './build-pipeline.js';
import type { GeoData } from './enrichment/geoip.js';
import { processChunk, processedTransfer, type RawChunk } from './pipeline/process-chunk.js';

const port = parentPort;
if (!port) throw new Error('pipeline-thread.ts runs as a worker thread, started by pipeline-threads.ts');
const { config, thread, geo } = workerData as { config: Config; thread: number; geo: GeoData };
const log = createLogger(config.logLevel, { pretty: false, redaction: config.redaction }).child({ role: 'ingest', component: 'pipeline-thread', thread });

try {
  const processRecord = await buildPipeline(config, log, Date.now, geo);
  port.on('message', (m: { id: number; chunk: RawChunk }) => {
    try {
      const result = processChunk(processRecord, m.chunk);
      port.postMessage({ id: m.id, result }, processedTransfer(result));
    } catch (err) {
      // processRecord never throws on a record; this is a bug, and the batch is retried
      port.postMessage({ id: m.id, error: errorMessage(err) });
    }
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ initError: errorMessage(err) });
}
