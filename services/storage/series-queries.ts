/**
 * The dashboard's reads: time series from the per-minute rollups (latency p95 alone from the
 * events), a learnt baseline's buckets, the busiest keys of a range, and one entity's recent
 * requests. Parameters are bound by ClickHouse, never spliced; every statement carries the
 * analyst limits (`limits`, a SETTINGS list) so no choice of range or entity holds the engine
 * longer or reads more than analyst SQL could. Which rollup keeps which metric per entity is
 * decided here, with the tables. Times are epoch milliseconds in and out.
 */
import type { BucketStats } from '../../detectors/baseline.js';
import type { Store } from './clickhouse.js';

export const SERIES_METRICS = ['requests', 'failures', 'errors_5xx', 'rate_limited', 'bytes_out', 'latency_avg', 'latency_p95'] as const;
export const SERIES_ENTITIES = ['all', 'route', 'gateway', 'ip', 'principal', 'country'] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];
export type SeriesEntity = (typeof SERIES_ENTITIES)[number];

interface Source {
  table: string;
  /** the filter for one entity (bound as {entity:String}) */
  where?: string;
  metrics: Partial<Record<SeriesMetric, string>>;
}

const ROUTE_METRICS = {
  requests: 'sum(requests)',
  failures: 'sum(failures)',
  errors_5xx: 'sum(errors_5xx)',
  rate_limited: 'sum(rate_limited)',
  bytes_out: 'sum(bytes_out)',
  latency_avg: 'if(sum(requests) = 0, 0, sum(latency_ms) / sum(requests))',
} satisfies Partial<Record<SeriesMetric, string>>;

const SOURCES: Record<SeriesEntity, Source> = {
  all: { table: 'rollup_route_1m', metrics: ROUTE_METRICS },
  route: { table: 'rollup_route_1m', where: 'route = {entity:String}', metrics: ROUTE_METRICS },
  gateway: { table: 'rollup_route_1m', where: 'gateway = {entity:String}', metrics: ROUTE_METRICS },
  ip: { table: 'rollup_ip_1m', where: 'client_ip = toIPv6({entity:String})', metrics: { requests: 'sum(requests)', failures: 'sum(failures)', errors_5xx: 'sum(errors_5xx)', bytes_out: 'sum(bytes_out)' } },
  principal: { table: 'rollup_principal_1m', where: 'principal_id = {entity:String}', metrics: { requests: 'sum(requests)', failures: 'sum(failures)', bytes_out: 'sum(bytes_out)' } },
  country: { table: 'rollup_route_country_1m', where: 'country = {entity:String}', metrics: { requests: 'sum(requests)', failures: 'sum(failures)' } },
};

/** events-table filters, for the metrics only events have */
const EVENT_WHERE: Record<SeriesEntity, string | undefined> = {
  all: undefined,
  route: 'route = {entity:String}',
  gateway: 'gateway = {entity:String}',
  ip: 'client_ip = toIPv6({entity:String})',
  principal: 'principal_id = {entity:String}',
  country: 'country = {entity:String}',
};

/** baselines (learnt per 5-minute slot by the detectors) that describe a series */
const BASELINE_OF: Partial<Record<SeriesEntity, Partial<Record<SeriesMetric, string>>>> = {
  route: { requests: 'route_requests', errors_5xx: 'route_5xx', failures: 'route_failures', bytes_out: 'route_bytes' },
  gateway: { requests: 'gateway_requests' },
};

/** per dimension: the rollup, the GROUP BY key, how the key is shown (computed per group, not per row), extra columns */
export const TOP_DIMENSIONS = {
  route: { table: 'rollup_route_1m', group: 'route', key: 'toString(route)', extra: 'sum(errors_5xx) AS errors_5xx' },
  gateway: { table: 'rollup_route_1m', group: 'gateway', key: 'toString(gateway)', extra: 'sum(errors_5xx) AS errors_5xx' },
  ip: { table: 'rollup_ip_1m', group: 'client_ip', key: "replaceRegexpOne(IPv6NumToString(client_ip), '^::ffff:', '')", extra: 'sum(errors_5xx) AS errors_5xx, anyLast(country) AS country' },
  principal: { table: 'rollup_principal_1m', group: 'principal_id', key: 'principal_id', extra: 'uniqExactArray(countries) AS countries' },
  country: { table: 'rollup_route_country_1m', group: 'country', key: 'toString(country)', extra: '' },
} as const;
export type TopDimension = keyof typeof TOP_DIMENSIONS;

export type EventEntity = Exclude<SeriesEntity, 'all'>;

const secs = (ms: number) => Math.floor(ms / 1000);

export interface SeriesRange {
  /** the entity ('' for all) */
  entity: string;
  from: number;
  to: number;
  stepSec: number;
}

export function createSeriesQueries(store: Store, limits: string) {
  const { client, db } = store;
  const rows = async <T>(query: string, params: Record<string, unknown>): Promise<T[]> =>
    (await client.query({ query: `${query}\nSETTINGS ${limits}`, query_params: params, format: 'JSONEachRow' })).json<T>();
  const bind = (r: SeriesRange) => ({ entity: r.entity, from: secs(r.from), to: secs(r.to), step: r.stepSec });
  /** per step start (epoch ms): each metric's value */
  const byStep = (got: Array<Record<string, string | number>>, names: string[]) =>
    new Map(got.map((r) => [Number(r.t) * 1000, Object.fromEntries(names.map((n) => [n, Number(r[`m_${n}`] ?? 0)]))]));

  return {
    /** the metrics kept per entity type (from the rollups, plus latency_p95 from the events where it can be filtered) */
    metricsOf(type: SeriesEntity): SeriesMetric[] {
      return [...(Object.keys(SOURCES[type].metrics) as SeriesMetric[]), ...(type === 'all' || EVENT_WHERE[type] ? (['latency_p95'] as const) : [])];
    },

    /** the baseline metric that describes a series, if one is learnt */
    baselineOf: (type: SeriesEntity, metric: SeriesMetric): string | undefined => BASELINE_OF[type]?.[metric],

    /** rollup metrics per step (not latency_p95) */
    async rollupSeries(type: SeriesEntity, metrics: SeriesMetric[], range: SeriesRange): Promise<Map<number, Record<string, number>>> {
      const source = SOURCES[type];
      // (output aliases are m_<metric>: an alias named like a column would shadow it in the other expressions)
      const got = await rows<Record<string, string | number>>(
        `SELECT toUnixTimestamp(toStartOfInterval(minute, INTERVAL {step:UInt32} SECOND)) AS t, ${metrics.map((m) => `${source.metrics[m]} AS m_${m}`).join(', ')}
         FROM ${db}.${source.table}
         WHERE minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32})${source.where ? ` AND ${source.where}` : ''}
         GROUP BY t ORDER BY t`,
        bind(range),
      );
      return byStep(got, metrics);
    },

    /** latency p95 per step, from the events */
    async latencyP95(type: SeriesEntity, range: SeriesRange): Promise<Map<number, Record<string, number>>> {
      const where = EVENT_WHERE[type];
      const got = await rows<Record<string, string | number>>(
        `SELECT toUnixTimestamp(toStartOfInterval(event_time, INTERVAL {step:UInt32} SECOND)) AS t, quantileTDigest(0.95)(latency_ms) AS m_latency_p95
         FROM ${db}.events
         WHERE event_time >= toDateTime64({from:UInt32}, 3) AND event_time < toDateTime64({to:UInt32}, 3)${where ? ` AND ${where}` : ''}
         GROUP BY t ORDER BY t`,
        bind(range),
      );
      return byStep(got, ['latency_p95']);
    },

    /** a learnt baseline's newest statistics per 5-minute slot of the week */
    async baselineBuckets(metric: string, entity: string): Promise<Map<number, BucketStats>> {
      const stats = await rows<{ bucket: number; median: number; mad: number; p95: number; samples: number }>(
        `SELECT bucket, argMax(median, version) AS median, argMax(mad, version) AS mad, argMax(p95, version) AS p95, argMax(samples, version) AS samples
         FROM ${db}.baselines WHERE metric = {metric:String} AND entity = {entity:String} GROUP BY bucket`,
        { metric, entity },
      );
      return new Map(stats.map((s) => [Number(s.bucket), { median: Number(s.median), mad: Number(s.mad), p95: Number(s.p95), samples: Number(s.samples) }]));
    },

    /** the busiest keys of a dimension in a range */
    async top(dimension: TopDimension, by: 'requests' | 'failures', from: number, to: number, limit: number): Promise<Array<Record<string, string | number>>> {
      const d = TOP_DIMENSIONS[dimension];
      const got = await rows<Record<string, string | number>>(
        `SELECT ${d.key} AS key, sum(requests) AS requests, sum(failures) AS failures${d.extra ? `, ${d.extra}` : ''}
         FROM ${db}.${d.table}
         WHERE minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32})
         GROUP BY ${d.group} ORDER BY ${by === 'failures' ? 'failures' : 'requests'} DESC, ${d.group} LIMIT {limit:UInt32}`,
        { from: secs(from), to: secs(to), limit },
      );
      return got.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'key' || k === 'country' ? String(v) : Number(v)])));
    },

    /** one entity's requests in a range, newest first, and where they came from */
    async entityEvents(type: EventEntity, entity: string, from: number, to: number, limit: number) {
      const where = `event_time >= toDateTime64({from:UInt32}, 3) AND event_time < toDateTime64({to:UInt32}, 3) AND ${EVENT_WHERE[type]}`;
      const params = { entity, from: secs(from), to: secs(to), limit };
      const events = await rows<Record<string, string | number>>(
        `SELECT toString(event_time) AS at, gateway, method, path, route, status, latency_ms, IPv6NumToString(client_ip) AS ip, principal_type, principal_id, auth_outcome, country, city, asn, as_org, user_agent
         FROM ${db}.events WHERE ${where} ORDER BY event_time DESC LIMIT {limit:UInt32}`,
        params,
      );
      const countries = await rows<{ country: string; city: string; requests: string; lat: number | null; lon: number | null }>(
        `SELECT country, city, count() AS requests, any(e.lat) AS lat, any(e.lon) AS lon FROM ${db}.events AS e WHERE ${where} GROUP BY country, city ORDER BY requests DESC LIMIT 50`,
        params,
      );
      return {
        // (aliases that differ from the columns: an alias named like a column would shadow it in WHERE)
        events: events.map(({ at, ip, ...e }) => ({
          event_time: String(at), gateway: String(e.gateway), method: String(e.method), path: String(e.path), route: String(e.route), status: Number(e.status), latency_ms: Number(e.latency_ms),
          client_ip: String(ip).replace(/^::ffff:/, ''), principal_type: String(e.principal_type), principal_id: String(e.principal_id), auth_outcome: String(e.auth_outcome),
          country: String(e.country), city: String(e.city), asn: Number(e.asn), as_org: String(e.as_org), user_agent: String(e.user_agent),
        })),
        countries: countries.map((c) => ({ ...c, requests: Number(c.requests) })),
      };
    },
  };
}

export type SeriesQueries = ReturnType<typeof createSeriesQueries>;
