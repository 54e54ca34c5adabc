/**
 * What the dashboard draws (viewer): time series of requests, failures, 5xx, rate limiting,
 * bytes and latency, for everything or one route, gateway, IP, principal or country, with
 * the learnt baseline band where a baseline exists; the top routes, IPs, countries and
 * principals of a range; and one entity's recent requests. All read the per-minute rollups
 * (latency p95 alone reads events), with parameters bound by ClickHouse, never spliced.
 * Every statement carries the analyst limits (time, rows read, result, memory, readonly) in
 * its own SETTINGS clause: a caller chooses ranges and entities, and no choice of them may
 * hold the engine longer or read more than analyst SQL could.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isLimitError, type Store } from '../../shared/clickhouse.js';
import { bucketFor, SLOT_MS, type BucketStats } from '../../../detectors/baseline.js';
import { HttpError } from '../auth.js';

export const SERIES_METRICS = ['requests', 'failures', 'errors_5xx', 'rate_limited', 'bytes_out', 'latency_avg', 'latency_p95'] as const;
export const SERIES_ENTITIES = ['all', 'route', 'gateway', 'ip', 'principal', 'country'] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];
export type SeriesEntity = (typeof SERIES_ENTITIES)[number];

const STEPS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86_400];
const MAX_POINTS = 1500;
const MAX_RANGE_MS = 400 * 86_400_000;

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

/** The smallest step that keeps the series under MAX_POINTS points. */
export function autoStep(fromMs: number, toMs: number): number {
  const span = (toMs - fromMs) / 1000;
  return STEPS.find((s) => span / s <= MAX_POINTS) ?? STEPS[STEPS.length - 1]!;
}

/**
 * The expected band of a series from a 5-minute-slot baseline: a step of n slots expects the
 * sum of its slots' medians, give or take 3 robust σ (summed in quadrature, the spread floored
 * as the detectors floor it).
 */
export function baselineBand(buckets: Map<number, BucketStats>, times: number[], stepSec: number): { median: Array<number | null>; lower: Array<number | null>; upper: Array<number | null> } {
  const median: Array<number | null> = [];
  const lower: Array<number | null> = [];
  const upper: Array<number | null> = [];
  const stepMs = stepSec * 1000;
  for (const t of times) {
    let m = 0;
    let variance = 0;
    let known = true;
    const slots = Math.max(1, Math.round(stepMs / SLOT_MS));
    const share = Math.min(1, stepMs / SLOT_MS);
    for (let i = 0; i < slots; i++) {
      const b = bucketFor(buckets, t + i * SLOT_MS);
      if (!b) {
        known = false;
        break;
      }
      const sigma = Math.max(1.4826 * b.mad, Math.sqrt(Math.max(b.median, 0)), 1);
      m += b.median * share;
      variance += sigma * sigma * share;
    }
    if (!known) {
      median.push(null);
      lower.push(null);
      upper.push(null);
      continue;
    }
    const spread = 3 * Math.sqrt(variance);
    median.push(m);
    lower.push(Math.max(0, m - spread));
    upper.push(m + spread);
  }
  return { median, lower, upper };
}

const Range = {
  from: Type.Optional(Type.String({ format: 'date-time', description: 'default: 24 hours before `to`' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
};

function rangeOf(q: { from?: string; to?: string }, defaultMs = 86_400_000): { from: number; to: number } {
  const to = q.to ? Date.parse(q.to) : Date.now();
  const from = q.from ? Date.parse(q.from) : to - defaultMs;
  if (!(from < to)) throw new HttpError(400, '`from` must be before `to`', 'invalid_range');
  if (to - from > MAX_RANGE_MS) throw new HttpError(400, 'a range may span 400 days at most', 'invalid_range');
  return { from, to };
}

const secs = (ms: number) => Math.floor(ms / 1000);

function checkEntity(type: SeriesEntity, value: string | undefined): string {
  if (type === 'all') {
    if (value !== undefined) throw new HttpError(400, '`entity` is only for entity_type route, gateway, ip, principal or country', 'invalid_entity');
    return '';
  }
  if (value === undefined) throw new HttpError(400, `entity_type ${type} needs \`entity\``, 'invalid_entity');
  if (type === 'ip' && !/^[0-9a-fA-F:.]{2,45}$/.test(value)) throw new HttpError(400, `${JSON.stringify(value.slice(0, 60))} is not an IP address`, 'invalid_entity');
  return value;
}

const SeriesReply = Type.Object({
  entity_type: Type.String(),
  entity: Type.Union([Type.String(), Type.Null()]),
  from: Type.String(),
  to: Type.String(),
  step_sec: Type.Integer(),
  t: Type.Array(Type.Number(), { description: 'start of each step, epoch milliseconds' }),
  series: Type.Record(Type.String(), Type.Array(Type.Number())),
  baselines: Type.Record(Type.String(), Type.Object({ metric: Type.String(), median: Type.Array(Type.Union([Type.Number(), Type.Null()])), lower: Type.Array(Type.Union([Type.Number(), Type.Null()])), upper: Type.Array(Type.Union([Type.Number(), Type.Null()])) })),
});

/** per dimension: the rollup, the GROUP BY key, how the key is shown (computed per group, not per row), extra columns */
const TOP_DIMENSIONS = {
  route: { table: 'rollup_route_1m', group: 'route', key: 'toString(route)', extra: 'sum(errors_5xx) AS errors_5xx' },
  gateway: { table: 'rollup_route_1m', group: 'gateway', key: 'toString(gateway)', extra: 'sum(errors_5xx) AS errors_5xx' },
  ip: { table: 'rollup_ip_1m', group: 'client_ip', key: "replaceRegexpOne(IPv6NumToString(client_ip), '^::ffff:', '')", extra: 'sum(errors_5xx) AS errors_5xx, anyLast(country) AS country' },
  principal: { table: 'rollup_principal_1m', group: 'principal_id', key: 'principal_id', extra: 'uniqExactArray(countries) AS countries' },
  country: { table: 'rollup_route_country_1m', group: 'country', key: 'toString(country)', extra: '' },
} as const;

export const seriesRoutes: FastifyPluginAsyncTypebox<{ store: Store; /** limitsClause(config.api) */ limits: string }> = async (app, opts) => {
  const { client, db } = opts.store;
  const rows = async <T>(query: string, params: Record<string, unknown>): Promise<T[]> => {
    try {
      return await (await client.query({ query: `${query}\nSETTINGS ${opts.limits}`, query_params: params, format: 'JSONEachRow' })).json<T>();
    } catch (err) {
      if (isLimitError(err)) throw new HttpError(400, 'this range is more than the query limits allow (time, rows read, memory): narrow it or take a larger step', 'query_limit');
      throw err;
    }
  };

  app.get(
    '/v1/series',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Time series for charts, with the learnt baseline band (route and gateway series)',
        querystring: Type.Object(
          {
            metric: Type.Array(Type.Union(SERIES_METRICS.map((m) => Type.Literal(m))), { minItems: 1, maxItems: SERIES_METRICS.length, default: ['requests'], description: 'repeat for several' }),
            entity_type: Type.Union(SERIES_ENTITIES.map((e) => Type.Literal(e)), { default: 'all' }),
            entity: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
            ...Range,
            step: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400, description: 'seconds per point, a multiple of 60 (default: the smallest keeping ≤ 1,500 points)' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: SeriesReply },
      },
    },
    async (req) => {
      const q = req.query;
      const { from: fromRaw, to: toRaw } = rangeOf(q);
      const step = q.step ?? autoStep(fromRaw, toRaw);
      if (step % 60 !== 0) throw new HttpError(400, '`step` must be a multiple of 60 seconds', 'invalid_step');
      const from = Math.floor(fromRaw / 1000 / step) * step * 1000;
      const to = toRaw;
      if ((to - from) / 1000 / step > 20_000) throw new HttpError(400, `a step of ${step} s over this range gives more than 20,000 points; take a larger step`, 'invalid_step');
      const entity = checkEntity(q.entity_type, q.entity);
      const source = SOURCES[q.entity_type];
      const metrics = [...new Set(q.metric)];
      for (const m of metrics) {
        if (m !== 'latency_p95' && !source.metrics[m]) throw new HttpError(400, `metric ${m} is not kept per ${q.entity_type}; available: ${[...Object.keys(source.metrics), ...(q.entity_type === 'all' || EVENT_WHERE[q.entity_type] ? ['latency_p95'] : [])].join(', ')}`, 'invalid_metric');
      }
      const params = { entity, from: secs(from), to: secs(to), step };
      const times: number[] = [];
      for (let t = from; t < to; t += step * 1000) times.push(t);
      const series: Record<string, number[]> = {};
      const fill = async (names: string[], query: string) => {
        const got = await rows<Record<string, string | number>>(query, params);
        const at = new Map(got.map((r) => [Number(r.t) * 1000, r]));
        // (output aliases are m_<metric>: an alias named like a column would shadow it in the other expressions)
        for (const n of names) series[n] = times.map((t) => Number(at.get(t)?.[`m_${n}`] ?? 0));
      };
      const fromRollup = metrics.filter((m) => m !== 'latency_p95');
      if (fromRollup.length) {
        await fill(
          fromRollup,
          `SELECT toUnixTimestamp(toStartOfInterval(minute, INTERVAL {step:UInt32} SECOND)) AS t, ${fromRollup.map((m) => `${source.metrics[m]} AS m_${m}`).join(', ')}
           FROM ${db}.${source.table}
           WHERE minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32})${source.where ? ` AND ${source.where}` : ''}
           GROUP BY t ORDER BY t`,
        );
      }
      if (metrics.includes('latency_p95')) {
        const where = EVENT_WHERE[q.entity_type];
        await fill(
          ['latency_p95'],
          `SELECT toUnixTimestamp(toStartOfInterval(event_time, INTERVAL {step:UInt32} SECOND)) AS t, quantileTDigest(0.95)(latency_ms) AS m_latency_p95
           FROM ${db}.events
           WHERE event_time >= toDateTime64({from:UInt32}, 3) AND event_time < toDateTime64({to:UInt32}, 3)${where ? ` AND ${where}` : ''}
           GROUP BY t ORDER BY t`,
        );
      }
      const baselines: Static<typeof SeriesReply>['baselines'] = {};
      for (const m of metrics) {
        const metric = BASELINE_OF[q.entity_type]?.[m];
        if (!metric) continue;
        const stats = await rows<{ bucket: number; median: number; mad: number; p95: number; samples: number }>(
          `SELECT bucket, argMax(median, version) AS median, argMax(mad, version) AS mad, argMax(p95, version) AS p95, argMax(samples, version) AS samples
           FROM ${db}.baselines WHERE metric = {metric:String} AND entity = {entity:String} GROUP BY bucket`,
          { metric, entity },
        );
        if (stats.length === 0) continue;
        const buckets = new Map(stats.map((s) => [Number(s.bucket), { median: Number(s.median), mad: Number(s.mad), p95: Number(s.p95), samples: Number(s.samples) }]));
        baselines[m] = { metric, ...baselineBand(buckets, times, step) };
      }
      return { entity_type: q.entity_type, entity: entity || null, from: new Date(from).toISOString(), to: new Date(to).toISOString(), step_sec: step, t: times, series, baselines };
    },
  );

  app.get(
    '/v1/top',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'The busiest routes, gateways, IPs, principals or countries of a range',
        querystring: Type.Object(
          {
            dimension: Type.Union(Object.keys(TOP_DIMENSIONS).map((d) => Type.Literal(d))),
            by: Type.Union([Type.Literal('requests'), Type.Literal('failures')], { default: 'requests' }),
            ...Range,
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ dimension: Type.String(), from: Type.String(), to: Type.String(), rows: Type.Array(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))) }) },
      },
    },
    async (req) => {
      const q = req.query;
      const { from, to } = rangeOf(q);
      const d = TOP_DIMENSIONS[q.dimension as keyof typeof TOP_DIMENSIONS];
      const got = await rows<Record<string, string | number>>(
        `SELECT ${d.key} AS key, sum(requests) AS requests, sum(failures) AS failures${d.extra ? `, ${d.extra}` : ''}
         FROM ${db}.${d.table}
         WHERE minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32})
         GROUP BY ${d.group} ORDER BY ${q.by === 'failures' ? 'failures' : 'requests'} DESC, ${d.group} LIMIT {limit:UInt32}`,
        { from: secs(from), to: secs(to), limit: q.limit },
      );
      return { dimension: q.dimension, from: new Date(from).toISOString(), to: new Date(to).toISOString(), rows: got.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'key' || k === 'country' ? String(v) : Number(v)]))) };
    },
  );

  app.get(
    '/v1/events',
    {
      config: { role: 'viewer' },
      schema: {
        summary: "One IP's or principal's recent requests (already redacted), newest first",
        querystring: Type.Object(
          {
            entity_type: Type.Union([Type.Literal('ip'), Type.Literal('principal'), Type.Literal('route'), Type.Literal('country'), Type.Literal('gateway')]),
            entity: Type.String({ minLength: 1, maxLength: 512 }),
            ...Range,
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            events: Type.Array(Type.Object({ event_time: Type.String(), gateway: Type.String(), method: Type.String(), path: Type.String(), route: Type.String(), status: Type.Integer(), latency_ms: Type.Number(), client_ip: Type.String(), principal_type: Type.String(), principal_id: Type.String(), auth_outcome: Type.String(), country: Type.String(), city: Type.String(), asn: Type.Integer(), as_org: Type.String(), user_agent: Type.String() })),
            countries: Type.Array(Type.Object({ country: Type.String(), city: Type.String(), requests: Type.Integer(), lat: Type.Union([Type.Number(), Type.Null()]), lon: Type.Union([Type.Number(), Type.Null()]) })),
          }),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const { from, to } = rangeOf(q, 7 * 86_400_000);
      const entity = checkEntity(q.entity_type, q.entity);
      const where = `event_time >= toDateTime64({from:UInt32}, 3) AND event_time < toDateTime64({to:UInt32}, 3) AND ${EVENT_WHERE[q.entity_type]}`;
      const params = { entity, from: secs(from), to: secs(to), limit: q.limit };
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
        events: events.map(({ at, ip, ...e }) => ({ ...e, event_time: String(at), status: Number(e.status), latency_ms: Number(e.latency_ms), asn: Number(e.asn), client_ip: String(ip).replace(/^::ffff:/, '') })) as never,
        countries: countries.map((c) => ({ ...c, requests: Number(c.requests) })),
      };
    },
  );
};
