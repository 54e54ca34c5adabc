/**
 * Per-minute rollups of the events table, kept by ClickHouse materialized views: detectors
 * read these, never raw events, so their cost grows with entities, not with events (DESIGN
 * decision 3). Each rollup is an AggregatingMergeTree: counts are `SimpleAggregateFunction(sum)`
 * and distinct sets are plain arrays of the distinct values (`SimpleAggregateFunction(
 * groupUniqArrayArray, Array(T))`), so rows of one key written by different inserts merge
 * exactly. Readers must aggregate again (`sum(requests)`, `uniqExactArray(ips)` for a distinct
 * count, `groupUniqArrayArray(ips)` for the set).
 *
 * Arrays rather than `uniqExact` states: most rows of the per-address and per-principal
 * rollups hold one or two values, and a state costs the engine far more memory to build, write
 * and merge than the values themselves (peak resident memory 828–862 MB against 978–1,015 MB in
 * `bench:insert`, docs/benchmarks.md). Migration 9 rebuilds rollups made with states.
 *
 * A rollup is defined once here: the migration builds its table, its view and the backfill
 * from existing events from the same definition.
 */
export interface Rollup {
  table: string;
  /** key columns after `minute`, with their types and the expression that fills them */
  keys: Array<{ name: string; type: string; expr: string }>;
  /** aggregate columns: type and the (state) expression over events */
  values: Array<{ name: string; type: string; expr: string }>;
  /** rows of events the rollup counts */
  where?: string;
}

const sum = (name: string, expr: string, type = 'UInt64') => ({ name, type: `SimpleAggregateFunction(sum, ${type})`, expr });
const FAILURE = "auth_outcome = 'failure'";

export const ROLLUPS: Rollup[] = [
  {
    table: 'rollup_route_1m',
    keys: [
      { name: 'gateway', type: 'LowCardinality(String)', expr: 'gateway' },
      { name: 'route', type: 'LowCardinality(String)', expr: 'route' },
    ],
    values: [
      sum('requests', 'count()'),
      sum('failures', `countIf(${FAILURE})`),
      sum('rate_limited', 'countIf(status = 429)'),
      sum('errors_5xx', 'countIf(status >= 500)'),
      sum('bytes_out', 'sum(bytes_out)'),
      sum('latency_ms', 'sum(latency_ms)', 'Float64'),
      { name: 'principals', type: 'SimpleAggregateFunction(groupUniqArrayArray, Array(String))', expr: "groupUniqArrayIf(principal_id, principal_id != '')" },
    ],
  },
  {
    table: 'rollup_ip_1m',
    keys: [{ name: 'client_ip', type: 'IPv6', expr: 'client_ip' }],
    values: [
      sum('requests', 'count()'),
      sum('failures', `countIf(${FAILURE})`),
      sum('errors_5xx', 'countIf(status >= 500)'),
      sum('bytes_out', 'sum(bytes_out)'),
      { name: 'principals', type: 'SimpleAggregateFunction(groupUniqArrayArray, Array(String))', expr: "groupUniqArrayIf(principal_id, principal_id != '')" },
      { name: 'failed_principals', type: 'SimpleAggregateFunction(groupUniqArrayArray, Array(String))', expr: `groupUniqArrayIf(principal_id, principal_id != '' AND ${FAILURE})` },
      { name: 'country', type: 'SimpleAggregateFunction(anyLast, LowCardinality(String))', expr: 'anyLast(country)' },
      { name: 'asn', type: 'SimpleAggregateFunction(anyLast, UInt32)', expr: 'anyLast(asn)' },
    ],
  },
  {
    table: 'rollup_principal_1m',
    keys: [
      { name: 'principal_type', type: 'LowCardinality(String)', expr: 'principal_type' },
      { name: 'principal_id', type: 'String', expr: 'principal_id' },
    ],
    values: [
      sum('requests', 'count()'),
      sum('failures', `countIf(${FAILURE})`),
      sum('bytes_out', 'sum(bytes_out)'),
      { name: 'ips', type: 'SimpleAggregateFunction(groupUniqArrayArray, Array(IPv6))', expr: 'groupUniqArray(client_ip)' },
      { name: 'failed_ips', type: 'SimpleAggregateFunction(groupUniqArrayArray, Array(IPv6))', expr: `groupUniqArrayIf(client_ip, ${FAILURE})` },
      { name: 'countries', type: 'SimpleAggregateFunction(groupUniqArrayArray, Array(String))', expr: "groupUniqArrayIf(toString(country), country != '')" },
    ],
    where: "principal_id != ''",
  },
  {
    table: 'rollup_ip_principal_1m',
    keys: [
      { name: 'client_ip', type: 'IPv6', expr: 'client_ip' },
      { name: 'principal_id', type: 'String', expr: 'principal_id' },
    ],
    // 401s alone: a principal refused authentication (guessing), not one refused an object (403)
    values: [sum('requests', 'count()'), sum('failures', `countIf(${FAILURE})`), sum('unauthorized', 'countIf(status = 401)')],
    where: "principal_id != ''",
  },
  {
    table: 'rollup_ip_route_1m',
    keys: [
      { name: 'client_ip', type: 'IPv6', expr: 'client_ip' },
      { name: 'route', type: 'LowCardinality(String)', expr: 'route' },
    ],
    values: [sum('requests', 'count()'), sum('failures', `countIf(${FAILURE})`), sum('bytes_out', 'sum(bytes_out)')],
  },
  {
    table: 'rollup_principal_route_1m',
    keys: [
      { name: 'principal_id', type: 'String', expr: 'principal_id' },
      { name: 'route', type: 'LowCardinality(String)', expr: 'route' },
    ],
    values: [
      sum('requests', 'count()'),
      sum('bytes_out', 'sum(bytes_out)'),
      // the object ids a principal walked on a templated route: distinct concrete paths
      { name: 'objects', type: 'SimpleAggregateFunction(groupUniqArrayArray, Array(String))', expr: 'groupUniqArray(path)' },
    ],
    where: "principal_id != ''",
  },
  {
    table: 'rollup_principal_geo_1m',
    keys: [
      { name: 'principal_id', type: 'String', expr: 'principal_id' },
      { name: 'country', type: 'LowCardinality(String)', expr: 'country' },
      { name: 'city', type: 'LowCardinality(String)', expr: 'city' },
    ],
    values: [
      sum('requests', 'count()'),
      { name: 'first_seen', type: "SimpleAggregateFunction(min, DateTime64(3, 'UTC'))", expr: 'min(event_time)' },
      { name: 'last_seen', type: "SimpleAggregateFunction(max, DateTime64(3, 'UTC'))", expr: 'max(event_time)' },
      { name: 'lat', type: 'SimpleAggregateFunction(anyLast, Float32)', expr: 'anyLast(assumeNotNull(e.lat))' },
      { name: 'lon', type: 'SimpleAggregateFunction(anyLast, Float32)', expr: 'anyLast(assumeNotNull(e.lon))' },
      { name: 'asn', type: 'SimpleAggregateFunction(anyLast, UInt32)', expr: 'anyLast(asn)' },
      { name: 'client_ip', type: 'SimpleAggregateFunction(anyLast, IPv6)', expr: 'anyLast(client_ip)' },
    ],
    // where a principal was, by requests that authenticated: a failed login is someone else trying
    where: "principal_id != '' AND auth_outcome = 'success' AND e.lat IS NOT NULL AND country != ''",
  },
  {
    table: 'rollup_route_country_1m',
    keys: [
      { name: 'route', type: 'LowCardinality(String)', expr: 'route' },
      { name: 'country', type: 'LowCardinality(String)', expr: 'country' },
    ],
    values: [sum('requests', 'count()'), sum('failures', `countIf(${FAILURE})`)],
  },
];

export const rollupView = (r: Rollup) => `${r.table}_mv`;

/** The SELECT that turns events into rows of a rollup (the view's body and the backfill). */
export function rollupSelect(db: string, r: Rollup): string {
  const keys = r.keys.map((k) => `${k.expr} AS ${k.name}`).join(', ');
  const values = r.values.map((v) => `${v.expr} AS ${v.name}`).join(', ');
  return `SELECT toStartOfMinute(event_time) AS minute, ${keys}, ${values} FROM ${db}.events AS e${r.where ? ` WHERE ${r.where}` : ''} GROUP BY minute, ${r.keys.map((k) => k.name).join(', ')}`;
}

export function rollupDdl(db: string, r: Rollup, retentionDays: number): string[] {
  const columns = [`minute DateTime('UTC')`, ...r.keys.map((k) => `${k.name} ${k.type}`), ...r.values.map((v) => `${v.name} ${v.type}`)];
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${r.table} (${columns.join(', ')})
      ENGINE = AggregatingMergeTree
      PARTITION BY toDate(minute)
      ORDER BY (minute, ${r.keys.map((k) => k.name).join(', ')})
      TTL minute + INTERVAL ${retentionDays} DAY
      SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1`,
    // existing events, once: only into an empty rollup, before its view exists
    `INSERT INTO ${db}.${r.table} ${rollupSelect(db, r)} HAVING (SELECT count() FROM ${db}.${r.table}) = 0`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${rollupView(r)} TO ${db}.${r.table} AS ${rollupSelect(db, r)}`,
  ];
}
