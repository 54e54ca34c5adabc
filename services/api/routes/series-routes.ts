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
import { isLimitError, type Store } from '../../storage/clickhouse.js';
import { bucketFor, SLOT_MS, type BucketStats } from '../../../detectors/baseline.js';
import { createSeriesQueries, SERIES_ENTITIES, SERIES_METRICS, TOP_DIMENSIONS, type SeriesEntity, type TopDimension } from '../../storage/series-queries.js';
import { HttpError } from '../auth.js';

export { SERIES_METRICS, SERIES_ENTITIES, type SeriesMetric, type SeriesEntity } from '../../storage/series-queries.js';

const STEPS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86_400];
const MAX_POINTS = 1500;
const MAX_RANGE_MS = 400 * 86_400_000;

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

export const seriesRoutes: FastifyPluginAsyncTypebox<{ store: Store; /** limitsClause(config.api) */ limits: string }> = async (app, opts) => {
  const queries = createSeriesQueries(opts.store, opts.limits);
  /** a storage read, its limit errors said as what the caller can do about them */
  const limited = async <T>(read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
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
      const metrics = [...new Set(q.metric)];
      const available = queries.metricsOf(q.entity_type);
      for (const m of metrics) {
        if (!available.includes(m)) throw new HttpError(400, `metric ${m} is not kept per ${q.entity_type}; available: ${available.join(', ')}`, 'invalid_metric');
      }
      const range = { entity, from, to, stepSec: step };
      const times: number[] = [];
      for (let t = from; t < to; t += step * 1000) times.push(t);
      const series: Record<string, number[]> = {};
      const fill = (names: string[], at: Map<number, Record<string, number>>) => {
        for (const n of names) series[n] = times.map((t) => at.get(t)?.[n] ?? 0);
      };
      const fromRollup = metrics.filter((m) => m !== 'latency_p95');
      if (fromRollup.length) fill(fromRollup, await limited(() => queries.rollupSeries(q.entity_type, fromRollup, range)));
      if (metrics.includes('latency_p95')) fill(['latency_p95'], await limited(() => queries.latencyP95(q.entity_type, range)));
      const baselines: Static<typeof SeriesReply>['baselines'] = {};
      for (const m of metrics) {
        const metric = queries.baselineOf(q.entity_type, m);
        if (!metric) continue;
        const buckets = await limited(() => queries.baselineBuckets(metric, entity));
        if (buckets.size === 0) continue;
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
      const rows = await limited(() => queries.top(q.dimension as TopDimension, q.by, from, to, q.limit));
      return { dimension: q.dimension, from: new Date(from).toISOString(), to: new Date(to).toISOString(), rows };
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
      return limited(() => queries.entityEvents(q.entity_type, entity, from, to, q.limit));
    },
  );
};
