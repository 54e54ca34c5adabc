/** Composition root of the ingest role: the pipeline, its sink, and the Kafka worker when configured. */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Runtime } from '../shared/runtime.js';
import { buildPipeline, buildRedactor } from './build-pipeline.js';
import { makeDeadLetter } from './pipeline/process-record.js';
import { createClickHouseEventSink } from '../storage/clickhouse-event-sink.js';
import { createClickHouseBatchJournal } from '../storage/batch-journal.js';
import { createDirectIngest, createKafkaIngest, type HttpIngestGateway } from './ingest-gateway.js';
import { KafkaIngestWorker } from './kafka-ingest-worker.js';
import { inlineChunkProcessor, pipelineThreadCount, startPipelineThreads } from './pipeline-threads.js';

/**
 * kafkajs names a protocol request as `Response InitProducerId(key: 22, version: 1)`: the key is
 * Kafka's API number, not a secret, but our log scrubber cannot tell (`key: …`) and would print
 * `[REDACTED:generic_secret]`. Said plainly instead.
 */
export function kafkajsMessage(message: string): string {
  return message.replace(/\b(Request|Response) (\w+)\(key: (\d+), version: (\d+)\)/g, '$1 $2 (Kafka API $3, version $4)');
}

export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  const klog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 5000,
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log: entry }) => {
      const { message, ...rest } = entry;
      // kafkajs logs the broker's "coordinator is loading / not available" as errors and then
      // retries them: those are warnings for an operator
      // (nor is a rebalance, which every member joining or leaving the group starts, an error)
      const transient = /coordinator (is loading|is not available)|not the correct coordinator|leadership election|group is rebalancing/i.test(String(entry.error ?? '')) ||
        // two workers starting together both create the topics: the second's "already exists" is
        // logged here before kafkajs' admin takes it as success (a real failure rejects createTopics, and is logged where it is called)
        (String(entry.error ?? '') === 'Topic creation errors' && /CreateTopics/.test(String(message)));
      if (level <= logLevel.ERROR && !transient) klog.error(rest, kafkajsMessage(message));
      else klog.warn(rest, kafkajsMessage(message));
    },
  });
}

export interface IngestRole {
  gateway: HttpIngestGateway;
  worker?: KafkaIngestWorker;
}

/**
 * @param runWorker whether this process consumes Kafka (the `api` role alone only produces)
 */
export async function startIngestRole(rt: Runtime, opts: { runWorker: boolean }): Promise<IngestRole> {
  const { config, log, store, metrics } = rt;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const sink = createClickHouseEventSink(store);
  if (config.kafka.brokers.length === 0) {
    log.info('no KAFKA_BROKERS: records enter through POST /v1/ingest and replay');
    const processRecord = await buildPipeline(config, log);
    return { gateway: createDirectIngest({ processRecord, sink, metrics, batchMaxRows: config.ingest.batchMaxRows, log, maxDeadLetters: config.ingest.maxDeadLettersPerRequest }) };
  }
  const kafka = createKafka(config.kafka.brokers, config.kafka.clientId, log);
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: true, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  rt.onClose('kafka producer', () => producer.disconnect());
  const redactor = buildRedactor(config, log);
  const gateway = createKafkaIngest({ producer, topic: config.kafka.topic, refusals: { sink, metrics, letter: (raw, reason, detail) => makeDeadLetter(redactor, raw, reason, detail) } });
  if (!opts.runWorker) return { gateway };
  const threads = pipelineThreadCount(config);
  const processor = threads > 0 ? await startPipelineThreads(config, log, threads, { metrics }) : inlineChunkProcessor(await buildPipeline(config, log));
  // closed after the worker (onClose runs in reverse): its final flush may still need them
  rt.onClose('pipeline threads', () => processor.close());
  const worker = new KafkaIngestWorker({ kafka, config, processor, sink, journal: createClickHouseBatchJournal(store), metrics, log: log.child({ component: 'ingest-worker' }) });
  await worker.start();
  rt.onClose('ingest worker', () => worker.stop());
  return { gateway, worker };
}
