/**
 * Part of bench:ingest (not a product mode): the Kafka ingest worker exactly as `gatewatch
 * ingest` builds it (config from the environment, pipeline threads, offsets, batches,
 * commits), except that inserts are discarded and the batch journal is kept in memory. What
 * it measures is the process's own share of ingest: what remains in the worker when
 * ClickHouse runs elsewhere. Stops on SIGTERM after flushing and committing.
 */
import { loadConfig } from '../../services/shared/config.js';
import { createLogger } from '../../services/shared/logger.js';
import { createMetrics } from '../../services/shared/metrics.js';
import { buildPipeline } from '../../services/ingest/build-pipeline.js';
import { createKafka } from '../../services/ingest/ingest-role.js';
import { KafkaIngestWorker } from '../../services/ingest/kafka-ingest-worker.js';
import { inlineChunkProcessor, pipelineThreadCount, startPipelineThreads } from '../../services/ingest/pipeline-threads.js';
import type { EventSink } from '../../services/storage/clickhouse-event-sink.js';
import type { BatchJournal, OffsetRange } from '../../services/storage/batch-journal.js';

const base = loadConfig(process.env);
const config = { ...base, kafka: { ...base.kafka, groupId: process.env.BENCH_GROUP ?? `${base.kafka.groupId}-discarding` } };
const log = createLogger(config.logLevel, { pretty: false, redaction: config.redaction });
const threads = pipelineThreadCount(config);
const processor = threads > 0 ? await startPipelineThreads(config, log, threads) : inlineChunkProcessor(await buildPipeline(config, log));

let rows = 0;
const sink: EventSink = {
  insertRows: async (r) => {
    rows += r.rows;
  },
  insertDeadLetters: async () => {},
};
const ranges = new Map<string, OffsetRange[]>();
const claims = new Map<string, string>();
const journal: BatchJournal = {
  record: async (group, topic, partition, range) => {
    const key = `${group}/${topic}/${partition}`;
    ranges.set(key, [...(ranges.get(key) ?? []), range]);
  },
  pending: async (group, topic, partition, from) => (ranges.get(`${group}/${topic}/${partition}`) ?? []).filter((r) => r.last >= from),
  // one worker alone: the claims live here too
  claim: async (group, topic, partition, holder) => void claims.set(`${group}/${topic}/${partition}`, holder),
  holder: async (group, topic, partition) => claims.get(`${group}/${topic}/${partition}`) ?? '',
};

const worker = new KafkaIngestWorker({ kafka: createKafka(config.kafka.brokers, 'gatewatch-bench', log), config, processor, sink, journal, metrics: createMetrics({ defaults: false }), log });
await worker.start();
process.once('SIGTERM', () => {
  void (async () => {
    await worker.stop();
    await processor.close();
    log.info({ rows }, 'discarding worker stopped');
    process.exit(0);
  })();
});
