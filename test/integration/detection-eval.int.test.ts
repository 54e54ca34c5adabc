/**
 * The detection evaluation: three days of seasonal benign traffic (a few hundred users, two
 * gateways, a daily and weekly rhythm, an office NAT, a traveller on a plausible flight,
 * mistyped passwords, operators in the admin console) with every attack kind injected on days
 * two and three, produced to the real Kafka broker, consumed by the real ingest worker into
 * the real ClickHouse engine, then scored over the whole range as `gatewatch replay` does.
 *
 * Asserted: every attack raises an alert naming its entity, within two event-time minutes of
 * its start (a silent gateway within its silence threshold, a slow ramp within its hours, by
 * their nature); no more than one false alert per simulated day, where an alert is false when
 * it names no attacker and fires outside every attack.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { buildPipeline } from '../../services/ingest/build-pipeline.js';
import { inlineChunkProcessor } from '../../services/ingest/pipeline-threads.js';
import { createClickHouseEventSink } from '../../services/storage/clickhouse-event-sink.js';
import { createClickHouseBatchJournal } from '../../services/storage/batch-journal.js';
import { KafkaIngestWorker } from '../../services/ingest/kafka-ingest-worker.js';
import { startDetectRole } from '../../services/detect/detect-role.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { simulate, type Attack } from '../../services/demo/traffic-simulator.js';
import type { Alert } from '../../schemas/alert-schema.js';
import type { Config } from '../../schemas/config-schema.js';
import { silentLog, testConfig, unique, waitFor } from './helpers.js';
import { fullyCommitted, produce, testKafka } from './kafka-helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const brokers = inject('kafkaBrokers');
const kafka = testKafka(brokers);

const T0 = Date.UTC(2026, 9, 5); // Monday 5 October 2026, 00:00 UTC
const at = (day: number, hour: number, minute = 0) => T0 + day * DAY + hour * HOUR + minute * MIN;

const ATTACKS: Attack[] = [
  { kind: 'brute_force', start: at(1, 9, 5), entity: { type: 'ip', value: '45.83.64.10' } },
  { kind: 'credential_stuffing', start: at(1, 10, 20), entity: { type: 'ip', value: '45.83.64.20' } },
  { kind: 'distributed_brute_force', start: at(1, 11, 40), entity: { type: 'principal', value: 'user0021' } },
  { kind: 'impossible_travel', start: at(1, 13, 0), entity: { type: 'principal', value: 'user0105' } },
  { kind: 'new_country', start: at(2, 8, 30), entity: { type: 'principal', value: 'user0131' } },
  { kind: 'enumeration', start: at(1, 14, 10), entity: { type: 'principal', value: 'user0107' } },
  { kind: 'volume', start: at(1, 15, 30), entity: { type: 'route', value: '/v1/products/{id}' } },
  { kind: 'entity_volume', start: at(2, 10, 15), entity: { type: 'principal', value: 'user0140' } },
  { kind: 'error_burst', start: at(1, 16, 45), entity: { type: 'route', value: '/v1/orders' } },
  { kind: 'data_exposure', start: at(2, 11, 30), entity: { type: 'route', value: '/v1/search' } },
  { kind: 'gateway_silence', start: at(2, 16, 0), entity: { type: 'gateway', value: 'kong/us' } },
  { kind: 'route_drop', start: at(2, 9, 40), entity: { type: 'route', value: '/v1/products/{id}' } },
  { kind: 'sensitive_access', start: at(2, 12, 50), entity: { type: 'principal', value: 'user0123' } },
  { kind: 'rare_country_surge', start: at(2, 14, 20), entity: { type: 'route', value: '/v1/search' } },
  { kind: 'slow_ramp', start: at(2, 2, 0), entity: { type: 'route', value: '/v1/recommendations' }, durationMin: 4 * 60 },
];

/** How long after its start an attack must be detectable. */
function allowedDelay(a: Attack, config: Config): number {
  if (a.kind === 'gateway_silence') return (config.detect.detectors.gateway_silence.silentMin + 1) * MIN;
  if (a.kind === 'route_drop') return (config.detect.detectors.route_drop.windowMin + 1) * MIN;
  if (a.kind === 'slow_ramp') return (config.detect.detectors.slow_ramp.hours + 1) * HOUR;
  return 2 * MIN;
}

describe('detection evaluation: three simulated days through Kafka and ClickHouse', () => {
  let rt: Runtime;
  let config: Config;
  let alerts: Alert[];
  let records = 0;
  let scoreMs = 0;

  beforeAll(async () => {
    const topic = unique('eval');
    config = testConfig({
      clickhouse: { retentionDays: 3650 },
      kafka: { brokers, topic, groupId: `${topic}-group`, dlqTopic: `${topic}-dlq` },
      ingest: { batchMaxRows: 20_000, batchMaxAgeMs: 500 },
    });
    rt = await openRuntime(config, { role: 'test', log: silentLog });
    const values = [...simulate(T0, T0 + 3 * DAY, { seed: 2026, attacks: ATTACKS })];
    records = values.length;
    await produce(kafka, topic, values, 4);
    const worker = new KafkaIngestWorker({
      kafka: testKafka(brokers),
      config,
      processor: inlineChunkProcessor(await buildPipeline(config, silentLog)),
      sink: createClickHouseEventSink(rt.store),
      journal: createClickHouseBatchJournal(rt.store),
      metrics: rt.metrics,
      log: silentLog,
    });
    await worker.start();
    try {
      await waitFor(() => fullyCommitted(kafka, config.kafka.groupId, topic), (d) => d, { what: 'three days committed', timeoutMs: 300_000 });
    } finally {
      await worker.stop();
    }
    const t0 = performance.now();
    const result = await startDetectRole(rt, { schedule: false }).runner.scoreRange({ from: T0, to: T0 + 3 * DAY });
    scoreMs = performance.now() - t0;
    expect(result.failed).toEqual([]);
    alerts = await createClickHouseAlertStore(rt.store).list({ limit: 1000 });
  }, 900_000);
  afterAll(async () => rt?.close());

  it('stored three days of traffic', async () => {
    const [r] = (await (await rt.store.client.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' })).json()) as Array<{ n: string }>;
    expect(Number(r!.n)).toBe(records);
    expect(records).toBeGreaterThan(50_000);
    console.log(`evaluation: ${records} records, scored 3 days in ${Math.round(scoreMs)} ms, ${alerts.length} alerts`);
  });

  it.each(ATTACKS.map((a) => [a.kind, a] as const))('detects %s, naming the entity, in time', (_k, attack) => {
    // the alert this attack opened: the first one for its detector and entity from its start on
    const alert = alerts
      .filter((x) => x.detector === attack.kind && x.entity.type === attack.entity.type && x.entity.value === attack.entity.value && Date.parse(x.first_seen) > attack.start)
      .sort((a, b) => Date.parse(a.first_seen) - Date.parse(b.first_seen))[0];
    expect(alert, `no ${attack.kind} alert for ${attack.entity.value}; alerts: ${JSON.stringify(alerts.map((a) => `${a.detector} ${a.entity.value} ${a.first_seen}`))}`).toBeDefined();
    const delay = Date.parse(alert!.first_seen) - attack.start;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(allowedDelay(attack, config));
  });

  it('raises at most one false alert per simulated day', () => {
    const attackers = new Set(ATTACKS.map((a) => a.entity.value));
    const during = (a: Alert) =>
      ATTACKS.some((x) => Date.parse(a.window.start) < x.start + (x.durationMin ?? 15) * MIN + 10 * MIN && Date.parse(a.window.end) > x.start);
    const falseAlerts = alerts.filter((a) => !attackers.has(a.entity.value) && !during(a));
    console.log(`false alerts: ${falseAlerts.length}${falseAlerts.map((a) => `\n  ${a.first_seen} ${a.detector} ${a.summary}`).join('')}`);
    expect(falseAlerts.length).toBeLessThanOrEqual(3);
  });
});
