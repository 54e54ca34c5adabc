import { ROLLUPS, rollupDdl, rollupView } from '../rollups.js';

/**
 * Versioned ClickHouse migrations. Each is applied once, in order, and recorded in
 * `schema_migrations`; every statement is itself idempotent (IF NOT EXISTS), so a migration
 * interrupted half-way is simply run again. Never edit a released migration: add one.
 */
export interface Migration {
  version: number;
  name: string;
  statements: (ctx: { db: string; retentionDays: number }) => string[];
  /**
   * A MergeTree setting the statements need. A server that does not know it (an older
   * ClickHouse) skips them: the migration is recorded as applied, with a warning in the log.
   */
  requiresMergeTreeSetting?: string;
}

/** Tables written at the event rate: the events and their rollups. */
const INGEST_TABLES = ['events', ...ROLLUPS.map((r) => r.table)];

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events',
    statements: ({ db, retentionDays }) => [
      `CREATE TABLE IF NOT EXISTS ${db}.events
      (
        event_time      DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
        ingest_time     DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
        gateway         LowCardinality(String),
        source_format   LowCardinality(String),
        request_id      String CODEC(ZSTD(1)),
        method          LowCardinality(String),
        host            LowCardinality(String),
        path            String CODEC(ZSTD(1)),
        route           LowCardinality(String),
        query           String CODEC(ZSTD(1)),
        status          UInt16,
        latency_ms      Float32,
        bytes_in        UInt64,
        bytes_out       UInt64,
        client_ip       IPv6,
        principal_type  LowCardinality(String),
        principal_id    String,
        auth_outcome    LowCardinality(String),
        user_agent      LowCardinality(String),
        country         LowCardinality(String),
        city            LowCardinality(String),
        lat             Nullable(Float32),
        lon             Nullable(Float32),
        asn             UInt32,
        as_org          LowCardinality(String),
        redacted_fields UInt16,
        INDEX idx_client_ip client_ip TYPE bloom_filter(0.01) GRANULARITY 4,
        INDEX idx_principal principal_id TYPE bloom_filter(0.01) GRANULARITY 4,
        INDEX idx_request_id request_id TYPE bloom_filter(0.01) GRANULARITY 4
      )
      ENGINE = MergeTree
      PARTITION BY toDate(event_time)
      ORDER BY (toStartOfHour(event_time), gateway, route, event_time)
      TTL toDateTime(event_time) + INTERVAL ${retentionDays} DAY
      SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1`,
    ],
  },
  {
    version: 2,
    name: 'dead letters and ingest batch journal',
    statements: ({ db, retentionDays }) => [
      // Records that could not be turned into events, with the reason. Redacted before insert.
      `CREATE TABLE IF NOT EXISTS ${db}.dead_letters
      (
        received_at DateTime64(3, 'UTC') DEFAULT now64(3),
        source      LowCardinality(String),
        topic       LowCardinality(String),
        partition   Int32,
        offset      Int64,
        reason      LowCardinality(String),
        detail      String,
        record      String CODEC(ZSTD(3))
      )
      ENGINE = MergeTree
      PARTITION BY toDate(received_at)
      ORDER BY received_at
      TTL toDateTime(received_at) + INTERVAL ${retentionDays} DAY
      SETTINGS non_replicated_deduplication_window = 10000`,
      // Journal of the Kafka batches about to be inserted: written before the insert, so that a
      // worker that died between insert and offset commit rebuilds exactly the same batches
      // (same deduplication token) instead of new ones that would store rows twice.
      `CREATE TABLE IF NOT EXISTS ${db}.ingest_batches
      (
        consumer_group LowCardinality(String),
        topic          LowCardinality(String),
        partition      Int32,
        first_offset   Int64,
        last_offset    Int64,
        created_at     DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (consumer_group, topic, partition, first_offset)
      TTL toDateTime(created_at) + INTERVAL 7 DAY`,
    ],
  },
  {
    version: 3,
    name: 'api keys and audit log',
    statements: ({ db }) => [
      // One row per change of a key; the newest version of an id is its state. Only a hash of
      // the secret is stored.
      `CREATE TABLE IF NOT EXISTS ${db}.api_keys
      (
        id          String,
        name        String,
        role        LowCardinality(String),
        secret_hash String,
        created_at  DateTime64(3, 'UTC'),
        revoked_at  Nullable(DateTime64(3, 'UTC')),
        version     UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS ${db}.audit_log
      (
        at        DateTime64(3, 'UTC') DEFAULT now64(3),
        key_id    String,
        role      LowCardinality(String),
        action    LowCardinality(String),
        target    String,
        detail    String,
        outcome   LowCardinality(String)
      )
      ENGINE = MergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY at`,
    ],
  },
  {
    version: 4,
    name: 'redacted request headers',
    statements: ({ db }) => [
      // Request headers as the gateway logged them, after redaction: secret headers keep their
      // name and lose their value, so an analyst sees that a credential was sent, never which.
      `ALTER TABLE ${db}.events ADD COLUMN IF NOT EXISTS headers Map(LowCardinality(String), String) CODEC(ZSTD(1)) AFTER user_agent`,
    ],
  },
  {
    version: 5,
    name: 'rollups, alerts, detector state and baselines',
    statements: ({ db, retentionDays }) => [
      ...ROLLUPS.flatMap((r) => rollupDdl(db, r, retentionDays)),
      // One row per change of an alert; the highest version of an id is its state.
      `CREATE TABLE IF NOT EXISTS ${db}.alerts
      (
        id            String,
        detector      LowCardinality(String),
        severity      LowCardinality(String),
        entity_type   LowCardinality(String),
        entity_value  String,
        window_start  DateTime64(3, 'UTC'),
        window_end    DateTime64(3, 'UTC'),
        observed      Float64,
        expected      Float64,
        score         Float64,
        summary       String,
        owasp         LowCardinality(String),
        evidence_sql  String,
        evidence_rows String,
        detail        String,
        status        LowCardinality(String),
        windows       UInt32,
        first_seen    DateTime64(3, 'UTC'),
        last_seen     DateTime64(3, 'UTC'),
        created_at    DateTime64(3, 'UTC'),
        updated_at    DateTime64(3, 'UTC'),
        version       UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY id`,
      // Where each detector has scored up to, and other small state that must survive a restart.
      `CREATE TABLE IF NOT EXISTS ${db}.detector_state
      (
        name       String,
        value      String,
        updated_at DateTime64(3, 'UTC'),
        version    UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY name`,
      // Seasonal baselines per metric and entity: one row per hour-of-week bucket (0–167), 255 = all hours.
      `CREATE TABLE IF NOT EXISTS ${db}.baselines
      (
        metric      LowCardinality(String),
        entity      String,
        bucket      UInt8,
        median      Float64,
        mad         Float64,
        p95         Float64,
        ewma        Float64,
        samples     UInt32,
        computed_at DateTime64(3, 'UTC'),
        version     UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY (metric, entity, bucket)`,
      // One row per detection cycle: what was scored, how long it took, what arrived too late.
      `CREATE TABLE IF NOT EXISTS ${db}.detector_runs
      (
        at           DateTime64(3, 'UTC') DEFAULT now64(3),
        detector     LowCardinality(String),
        window_start DateTime64(3, 'UTC'),
        window_end   DateTime64(3, 'UTC'),
        duration_ms  Float64,
        alerts       UInt32,
        late_events  UInt64,
        error        String
      )
      ENGINE = MergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY at
      TTL toDateTime(at) + INTERVAL 90 DAY`,
    ],
  },
  {
    version: 6,
    name: 'notifications and delivery log',
    statements: ({ db }) => [
      // One notification per alert and channel; the highest version is its state.
      `CREATE TABLE IF NOT EXISTS ${db}.notifications
      (
        alert_id   String,
        channel    LowCardinality(String),
        status     LowCardinality(String),
        attempts   UInt16,
        next_at    DateTime64(3, 'UTC'),
        last_error String,
        updated_at DateTime64(3, 'UTC'),
        version    UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY (alert_id, channel)`,
      // Every delivery attempt, as it happened.
      `CREATE TABLE IF NOT EXISTS ${db}.deliveries
      (
        at          DateTime64(3, 'UTC'),
        alert_id    String,
        channel     LowCardinality(String),
        attempt     UInt16,
        outcome     LowCardinality(String),
        http_status UInt16,
        latency_ms  UInt32,
        error       String
      )
      ENGINE = MergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY (alert_id, channel, at)
      TTL toDateTime(at) + INTERVAL 180 DAY`,
    ],
  },
  {
    version: 7,
    name: 'silences and the alert audit trail',
    statements: ({ db }) => [
      // One row per change of a silence; the highest version is its state (an expired silence has ends_at in the past).
      `CREATE TABLE IF NOT EXISTS ${db}.silences
      (
        id         String,
        matchers   String,
        starts_at  DateTime64(3, 'UTC'),
        ends_at    DateTime64(3, 'UTC'),
        created_by String,
        comment    String,
        created_at DateTime64(3, 'UTC'),
        version    UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY id`,
      // Who changed an alert's status, when, from what to what, and why.
      `CREATE TABLE IF NOT EXISTS ${db}.alert_events
      (
        alert_id    String,
        at          DateTime64(3, 'UTC'),
        actor       String,
        action      LowCardinality(String),
        from_status LowCardinality(String),
        to_status   LowCardinality(String),
        comment     String
      )
      ENGINE = MergeTree
      ORDER BY (alert_id, at)`,
    ],
  },
  {
    version: 8,
    name: 'notification channels added through the API',
    statements: ({ db }) => [
      // One row per change; the highest version of a name is its state. `sealed` is the whole
      // channel encrypted (AES-256-GCM, key derived from the fingerprint key): its secrets are
      // not readable from the table.
      `CREATE TABLE IF NOT EXISTS ${db}.channels
      (
        name       String,
        type       LowCardinality(String),
        sealed     String,
        updated_by String,
        updated_at DateTime64(3, 'UTC'),
        deleted    UInt8,
        version    UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY name`,
    ],
  },
  {
    version: 9,
    name: 'rollups keep distinct sets as arrays of values, not uniqExact states',
    // The four rollups that held uniqExact states are rebuilt from the events (exact, like the
    // first build): view dropped, table dropped, table created, backfilled, view created. Run
    // again after an interruption it starts over, which gives the same rows. Events written by
    // another process between the backfill and the new view would be missing from them: stop
    // other writers for the upgrade (migrations run at start-up, before ingest).
    statements: ({ db, retentionDays }) =>
      ['rollup_route_1m', 'rollup_ip_1m', 'rollup_principal_1m', 'rollup_principal_route_1m'].flatMap((table) => {
        const r = ROLLUPS.find((x) => x.table === table)!;
        return [`DROP VIEW IF EXISTS ${db}.${rollupView(r)}`, `DROP TABLE IF EXISTS ${db}.${r.table} SYNC SETTINGS max_table_size_to_drop = 0`, ...rollupDdl(db, r, retentionDays)];
      }),
  },
  {
    version: 10,
    name: 'fewer merges of the tables written at the event rate (merge_selector_base 10)',
    // Each insert makes a part in the events table and one in each rollup; background merges
    // then rewrite every row several times (about log_base of the parts merged). The default
    // base, 5, merges parts of similar size five or so at a time; 10 merges them ten at a
    // time: fewer rewrites a row, at the price of more parts waiting to be merged (11 against
    // 3 for the events after 30 inserts). bench:insert: 15.8 against 19.6 µs of engine CPU a
    // row (docs/benchmarks.md). Idempotent: MODIFY SETTING again sets the same value.
    requiresMergeTreeSetting: 'merge_selector_base',
    statements: ({ db }) => INGEST_TABLES.map((t) => `ALTER TABLE ${db}.${t} MODIFY SETTING merge_selector_base = ${MERGE_SELECTOR_BASE}`),
  },
  {
    version: 11,
    name: 'incidents: the alerts of one attack together, and their lifecycle',
    statements: ({ db }) => [
      // Written by detection only (grouping): one row per change, the highest version of an id
      // is its state. No status here: that is the humans' (incident_events), so grouping can
      // never overwrite an acknowledgement or a resolution.
      `CREATE TABLE IF NOT EXISTS ${db}.incidents
      (
        id          String,
        title       String,
        severity    LowCardinality(String),
        keys        Array(String),
        detectors   Array(LowCardinality(String)),
        owasp       Array(LowCardinality(String)),
        alert_ids   Array(String),
        first_seen  DateTime64(3, 'UTC'),
        last_seen   DateTime64(3, 'UTC'),
        merged_into String,
        updated_at  DateTime64(3, 'UTC'),
        version     UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY id`,
      // Written by people only (the API): who moved an incident, when, from what to what, and why.
      `CREATE TABLE IF NOT EXISTS ${db}.incident_events
      (
        incident_id String,
        at          DateTime64(3, 'UTC'),
        actor       String,
        action      LowCardinality(String),
        from_status LowCardinality(String),
        to_status   LowCardinality(String),
        comment     String
      )
      ENGINE = MergeTree
      ORDER BY (incident_id, at)`,
    ],
  },
  {
    version: 12,
    name: 'incident events: silences (until) and an order the stream can resume from (version)',
    // A silence on an incident is an event like an acknowledgement: who, when, why, and until
    // when its notifications are held back. `version` is increasing per write (wall-clock
    // microseconds), so the alert stream can send status changes after a Last-Event-ID.
    statements: ({ db }) => [
      `ALTER TABLE ${db}.incident_events ADD COLUMN IF NOT EXISTS until DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC')`,
      `ALTER TABLE ${db}.incident_events ADD COLUMN IF NOT EXISTS version UInt64 DEFAULT toUnixTimestamp64Micro(at)`,
    ],
  },
  {
    version: 13,
    name: "alerts' lifecycle apart from detection: the status is the trail's (alert_events), read through alerts_current",
    // Detection writes `alerts` (windows, scores, last_seen) and people write `alert_events`
    // (ack, resolve, reopen; and the system's auto_resolve): neither overwrites the other. An
    // alert's status is its newest event's, or, for an alert nobody ever moved, the status
    // detection wrote ('open'). `version` orders the trail for the live stream.
    statements: ({ db }) => [
      `ALTER TABLE ${db}.alert_events ADD COLUMN IF NOT EXISTS version UInt64 DEFAULT toUnixTimestamp64Micro(at)`,
      `CREATE VIEW IF NOT EXISTS ${db}.alerts_current AS
        SELECT a.* EXCEPT (status), if(ifNull(e.status, '') = '', a.status, e.status) AS status
        FROM ${db}.alerts AS a FINAL
        LEFT JOIN (SELECT alert_id, argMax(to_status, (at, version)) AS status FROM ${db}.alert_events GROUP BY alert_id) AS e ON e.alert_id = a.id
        SETTINGS join_use_nulls = 0`,
    ],
  },
  {
    version: 14,
    name: 'leases: roles that must run once (detection cycles, a notifier shard) held by one process at a time',
    // One row per lease; the highest version is the holder. A holder renews before it expires;
    // a standby takes over once it has expired (its holder died) or was released (a clean stop).
    statements: ({ db }) => [
      `CREATE TABLE IF NOT EXISTS ${db}.leases
      (
        name       String,
        holder     String,
        expires_at DateTime64(3, 'UTC'),
        updated_at DateTime64(3, 'UTC'),
        version    UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY name`,
    ],
  },
  {
    version: 15,
    name: 'ingest claims: the worker that owns a partition now, fencing writes of one that lost it',
    // One row per (group, topic, partition) and assignment; the newest claim is the owner. A worker
    // claims a partition before it reads the journal, and checks it still owns it before each insert,
    // so a worker still writing after a rebalance took the partition away never stores a batch the
    // new owner has not journalled (which would store the same records twice).
    statements: ({ db }) => [
      `CREATE TABLE IF NOT EXISTS ${db}.ingest_claims
      (
        consumer_group LowCardinality(String),
        topic          LowCardinality(String),
        partition      Int32,
        holder         String,
        claimed_at     DateTime64(6, 'UTC')
      )
      ENGINE = ReplacingMergeTree(claimed_at)
      ORDER BY (consumer_group, topic, partition)`,
    ],
  },
];

/** The merge selector's base for the tables written at the event rate (migration 10). */
export const MERGE_SELECTOR_BASE = 10;
