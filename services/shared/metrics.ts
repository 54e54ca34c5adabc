/**
 * Prometheus metrics of a process, on one registry built by the composition root and passed
 * to whatever records into it (no global default registry: tests build as many as they like).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(opts: { defaults?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'gatewatch_' });
  return {
    registry,
    records: new Counter({
      name: 'gatewatch_ingest_records_total',
      help: 'Records read by ingest, by outcome (stored, dead_lettered) and format',
      labelNames: ['outcome', 'format', 'source'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'gatewatch_ingest_dead_letters_total',
      help: 'Records dead-lettered, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    redactions: new Counter({
      name: 'gatewatch_redactions_total',
      help: 'Values replaced by redaction, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    batches: new Counter({
      name: 'gatewatch_ingest_batches_total',
      help: 'Batches written to ClickHouse',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    batchRows: new Histogram({
      name: 'gatewatch_ingest_batch_rows',
      help: 'Rows per batch written to ClickHouse',
      buckets: [1, 10, 100, 1000, 5000, 10_000, 50_000, 100_000],
      registers: [registry],
    }),
    insertSeconds: new Histogram({
      name: 'gatewatch_ingest_insert_seconds',
      help: 'Time to write one batch to ClickHouse',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    storeFailures: new Counter({
      name: 'gatewatch_ingest_store_failures_total',
      help: 'Failed writes to ClickHouse (each is retried)',
      registers: [registry],
    }),
    pipelineThreadFailures: new Counter({
      name: 'gatewatch_ingest_pipeline_thread_failures_total',
      help: 'Pipeline threads that died (each is started again; the batches it held are read again)',
      registers: [registry],
    }),
    detectorSeconds: new Histogram({
      name: 'gatewatch_detector_cycle_seconds',
      help: 'Time one detector took to score one range of windows',
      labelNames: ['detector'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    detectorFailures: new Counter({
      name: 'gatewatch_detector_failures_total',
      help: 'Detector runs that failed (logged and skipped; the range is scored again next cycle)',
      labelNames: ['detector'] as const,
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'gatewatch_alerts_total',
      help: 'Alerts opened, by detector and severity',
      labelNames: ['detector', 'severity'] as const,
      registers: [registry],
    }),
    lateEvents: new Counter({
      name: 'gatewatch_late_events_total',
      help: 'Events that arrived after their minute had been scored (counted, not merged into past windows)',
      registers: [registry],
    }),
    watermarkLagSeconds: new Gauge({
      name: 'gatewatch_detect_watermark_lag_seconds',
      help: 'Wall clock minus the detection watermark',
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'gatewatch_api_auth_failures_total',
      help: 'API requests refused for their key: missing, malformed, unknown, revoked, wrong_secret (401) or forbidden_role (403); no key material in labels',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    authThrottled: new Counter({
      name: 'gatewatch_api_auth_throttled_total',
      help: 'API requests refused with 429 because their client address had too many failed authentications (api.authFailureLimit); their key was not checked',
      registers: [registry],
    }),
    streamsRefused: new Counter({
      name: 'gatewatch_api_streams_refused_total',
      help: 'GET /v1/alerts/stream refused with 429 because the key already held api.streamsPerKey open streams',
      registers: [registry],
    }),
    streamsOpen: new Gauge({
      name: 'gatewatch_api_streams_open',
      help: 'Open GET /v1/alerts/stream connections in this process',
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'gatewatch_ingest_lag_records',
      help: 'Records between the last fetched offset and the partition high watermark',
      labelNames: ['topic', 'partition'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
