/**
 * Keeps the baselines detectors score against, as of an event time: learnt from the rollups
 * over the `baselineDays` before that time (never from the windows being scored), recomputed
 * once scoring has moved `baselineRefreshMin` on, and written to the `baselines` table for the
 * API and dashboards. After a restart the first cycle learns them again from stored history.
 */
import type { Logger } from 'pino';
import type { Config } from '../../schemas/config-schema.js';
import { BASELINE_METRICS } from '../../detectors/baseline-metrics.js';
import { computeBaseline, type EntityBaseline } from '../../detectors/baseline.js';
import { chTime, MINUTE } from '../../detectors/detector.js';
import type { BaselineRow, DetectionRepo } from '../storage/detection-repo.js';

export type Baselines = Map<string, Map<string, EntityBaseline>>;

export function createBaselineManager(deps: { repo: DetectionRepo; config: Config; log: Logger; now: () => number }) {
  const { repo, config, log } = deps;
  const days = config.detect.baselineDays;
  let asOf: number | undefined;
  let current: Baselines = new Map();

  async function compute(at: number, metrics: Set<string>): Promise<Baselines> {
    const from = at - days * 24 * 60 * MINUTE;
    const out: Baselines = new Map();
    const rows: BaselineRow[] = [];
    const version = deps.now() * 1000;
    for (const m of BASELINE_METRICS) {
      if (!metrics.has(m.name)) continue;
      const series = await repo.baselineSeries(m, from, at);
      const byEntity = new Map<string, EntityBaseline>();
      // history starts when data for this metric starts: the empty days before a deployment
      // began are not zeros of its traffic
      let start = at;
      for (const s of series) for (const { t } of s.points) start = Math.min(start, t);
      for (const s of series) {
        const b = computeBaseline(s.points, Math.max(from, start), at, { minSamples: config.detect.baselineMinSamples });
        if (b.buckets.size === 0) continue;
        byEntity.set(s.entity, b);
        for (const [bucket, st] of b.buckets) {
          rows.push({ metric: m.name, entity: s.entity, bucket, median: st.median, mad: st.mad, p95: st.p95, ewma: b.ewma, samples: st.samples, computedAt: at, version });
        }
      }
      out.set(m.name, byEntity);
    }
    await repo.saveBaselines(rows);
    log.debug({ asOf: chTime(at), metrics: [...metrics], rows: rows.length }, 'baselines computed');
    return out;
  }

  return {
    /** Baselines as of event time `at` for these metrics, recomputed when stale. */
    async asOf(at: number, metrics: Set<string>): Promise<Baselines> {
      const fresh = asOf !== undefined && at >= asOf && at - asOf < config.detect.baselineRefreshMin * MINUTE && [...metrics].every((m) => current.has(m));
      if (!fresh) {
        current = await compute(at, metrics);
        asOf = at;
      }
      return current;
    },
  };
}
