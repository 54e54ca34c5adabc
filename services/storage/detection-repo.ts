/**
 * Detection's tables and its reads of the events: how far each detector has scored
 * (`detector_state`), every run (`detector_runs`), the watermark, late events, a route alert's
 * top contributors and a guessing address's successes, and the baselines (`baselines`, learnt
 * from the rollups). Detectors own the SQL of their own query (`detectors/*.ts`, run through
 * `read`), so that a detector is one file; everything else detection asks the store is here.
 * Times are epoch milliseconds in and out (a range is [from, to), an alert's window [start, end]).
 */
import { chTime, eventTimeRange, parseChTime, sqlString, type ScoreRange } from '../../detectors/detector.js';
import { baselineSeriesSql, type BaselineMetric } from '../../detectors/baseline-metrics.js';
import type { Store } from './clickhouse.js';

export interface DetectorRun {
  detector: string;
  range: ScoreRange;
  ms: number;
  alerts: number;
  error: string;
  lateEvents?: number;
}

/** who drove a route's finding: the value of the measure and its share of the route's total */
export interface Contributor {
  who: string;
  value: number;
  share: number;
}

/** one row of a learnt baseline (per metric, entity and hour-of-week bucket) */
export interface BaselineRow {
  metric: string;
  entity: string;
  bucket: number;
  median: number;
  mad: number;
  p95: number;
  ewma: number;
  samples: number;
  /** event time the baseline is as of */
  computedAt: number;
  version: number;
}

const SCORED = 'scored_until:';

export function createDetectionRepo(store: Store) {
  const { client, db } = store;
  const rows = async <T>(sql: string): Promise<T[]> => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();

  return {
    db,
    /** the rows of a detector's (or an evidence) query, written by the detector against `db` */
    read: rows,

    async recordRun(run: DetectorRun): Promise<void> {
      await client.insert({
        table: `${db}.detector_runs`,
        format: 'JSONEachRow',
        values: [{ detector: run.detector, window_start: chTime(run.range.from), window_end: chTime(run.range.to), duration_ms: run.ms, alerts: run.alerts, late_events: run.lateEvents ?? 0, error: run.error }],
      });
    },

    /**
     * The newest event time of the slowest gateway that sent anything in the last `idleSec`
     * (looking back `lookbackMin` minutes of event time); undefined with no such gateway.
     */
    async slowestGatewayTime(idleSec: number, lookbackMin: number): Promise<number | undefined> {
      const [r] = await rows<{ t: string | null }>(
        `SELECT toString(min(t)) AS t FROM (SELECT gateway, max(event_time) AS t FROM ${db}.events
          WHERE ingest_time >= now64(3) - INTERVAL ${Math.floor(idleSec)} SECOND AND event_time >= now64(3) - INTERVAL ${Math.ceil(lookbackMin)} MINUTE
          GROUP BY gateway) HAVING count() > 0`,
      );
      return r?.t ? parseChTime(r.t) : undefined;
    },

    /** how far each detector has scored (event time) */
    async scoredUntil(): Promise<Map<string, number>> {
      const r = await rows<{ name: string; value: string }>(`SELECT name, value FROM ${db}.detector_state FINAL WHERE startsWith(name, '${SCORED}')`);
      return new Map(r.map((x) => [x.name.slice(SCORED.length), Number(x.value)]));
    },

    async setScoredUntil(detectors: string[], to: number, now: number): Promise<void> {
      await client.insert({
        table: `${db}.detector_state`,
        format: 'JSONEachRow',
        values: detectors.map((n, i) => ({ name: `${SCORED}${n}`, value: String(to), updated_at: chTime(now), version: now * 1000 + i })),
      });
    },

    /** events stored since `storedSince` for event times in [from, to): late for minutes already scored */
    async lateEvents(from: number, to: number, storedSince: number): Promise<number> {
      const [r] = await rows<{ n: string | number }>(
        `SELECT count() AS n FROM ${db}.events WHERE event_time < toDateTime64('${chTime(to)}', 3, 'UTC') AND event_time >= toDateTime64('${chTime(from)}', 3, 'UTC') AND ingest_time >= toDateTime64('${chTime(storedSince)}', 3, 'UTC')`,
      );
      return Number(r?.n ?? 0);
    },

    /** the top three values of `key` on a route in a window by `measure` (an aggregate over events), with their shares */
    async topContributors(route: string, window: { start: number; end: number }, key: 'client_ip' | 'principal_id', measure: string): Promise<Contributor[]> {
      const where = `route = ${sqlString(route)} AND ${eventTimeRange(window)}`;
      const extra = key === 'principal_id' ? " AND principal_id != ''" : '';
      const r = await rows<{ who: string; value: number | string; share: number | string }>(
        `SELECT toString(${key}) AS who, ${measure} AS value, round(value / greatest(1, (SELECT ${measure} FROM ${db}.events WHERE ${where})), 3) AS share FROM ${db}.events WHERE ${where}${extra} GROUP BY who HAVING value > 0 ORDER BY value DESC LIMIT 3`,
      );
      return r.map((x) => ({ who: x.who, value: Number(x.value), share: Number(x.share) }));
    },

    /** requests from an address that authenticated in a window */
    async successesFrom(ip: string, window: { start: number; end: number }): Promise<number> {
      const [r] = await rows<{ n: number | string }>(`SELECT countIf(auth_outcome = 'success') AS n FROM ${db}.events WHERE client_ip = toIPv6(${sqlString(ip)}) AND ${eventTimeRange(window)}`);
      return Number(r?.n ?? 0);
    },

    /** a baseline metric's per-entity series over [from, at) from the rollups */
    async baselineSeries(metric: BaselineMetric, from: number, at: number): Promise<Array<{ entity: string; points: Array<{ t: number; v: number }> }>> {
      const r = await rows<{ entity: string; points: Array<[number | string, number | string]> }>(baselineSeriesSql(db, metric, chTime(from), chTime(at)));
      return r.map((s) => ({ entity: s.entity, points: s.points.map(([t, v]) => ({ t: Number(t), v: Number(v) })) }));
    },

    /** learnt baselines, for the API and dashboards */
    async saveBaselines(list: BaselineRow[]): Promise<void> {
      const values = list.map((b) => ({ metric: b.metric, entity: b.entity, bucket: b.bucket, median: b.median, mad: b.mad, p95: b.p95, ewma: b.ewma, samples: b.samples, computed_at: chTime(b.computedAt), version: b.version }));
      for (let i = 0; i < values.length; i += 50_000) await client.insert({ table: `${db}.baselines`, format: 'JSONEachRow', values: values.slice(i, i + 50_000) });
    },
  };
}

export type DetectionRepo = ReturnType<typeof createDetectionRepo>;
