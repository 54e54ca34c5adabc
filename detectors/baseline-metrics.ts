/**
 * The metrics detectors compare against a learned baseline, and the rollup SQL that gives
 * their 5-minute totals per entity. Route and gateway metrics are seasonal (hour of week,
 * falling back to hour of day, then all hours).
 */
export interface BaselineMetric {
  name: string;
  table: string;
  /** the entity column expression (as a string) */
  entity: string;
  /** the per-slot value */
  value: string;
}

export const BASELINE_METRICS: BaselineMetric[] = [
  { name: 'route_requests', table: 'rollup_route_1m', entity: 'toString(route)', value: 'sum(requests)' },
  { name: 'route_5xx', table: 'rollup_route_1m', entity: 'toString(route)', value: 'sum(errors_5xx)' },
  { name: 'route_failures', table: 'rollup_route_1m', entity: 'toString(route)', value: 'sum(failures)' },
  { name: 'route_bytes', table: 'rollup_route_1m', entity: 'toString(route)', value: 'sum(bytes_out)' },
  { name: 'gateway_requests', table: 'rollup_route_1m', entity: 'toString(gateway)', value: 'sum(requests)' },
];

/** 5-minute totals per entity over [from, to), as arrays of (epoch ms, value). */
export function baselineSeriesSql(db: string, m: BaselineMetric, from: string, to: string): string {
  return `SELECT entity, groupArray((toUnixTimestamp(slot) * 1000, v)) AS points FROM (
      SELECT toStartOfFiveMinutes(minute) AS slot, ${m.entity} AS entity, ${m.value} AS v
      FROM ${db}.${m.table}
      WHERE minute >= toDateTime('${from}', 'UTC') AND minute < toDateTime('${to}', 'UTC')
      GROUP BY slot, entity HAVING v > 0)
    GROUP BY entity`;
}
