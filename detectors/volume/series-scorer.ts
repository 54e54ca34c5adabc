/**
 * The volume detector's scoring on a bare `timestamp,value` series (`gatewatch score-series`),
 * so it can be measured on the Numenta Anomaly Benchmark. Online, like live detection: each
 * point is scored against a baseline learnt only from the points before it — a seasonal one
 * (same hour of week, then same hour of day) when the series has the history, else the recent
 * level — with the same robust z-score (median, MAD, Poisson floor) as the volume detector.
 * Two-sided: a drop is as anomalous as a spike.
 */
import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { robustZ, hourOfWeek } from '../baseline.js';

export interface SeriesPoint {
  t: number;
  v: number;
}

export interface SeriesScorerOptions {
  /** z-score that maps to an anomaly score of 0.25 (the live threshold) */
  zScale?: number;
  /** values a bucket needs before it is used */
  minSamples?: number;
  /** values kept per bucket (newest) */
  keep?: number;
  /** after an anomaly, points scored 0 for this long (ms): one alert per condition, as live */
  cooldownMs?: number;
}

/** Anomaly scores in [0, 1], one per point, in order: z / (4 · zScale), capped. */
export function scoreSeries(points: SeriesPoint[], opts: SeriesScorerOptions = {}): number[] {
  const zScale = opts.zScale ?? 8;
  const minSamples = opts.minSamples ?? 6;
  const keep = opts.keep ?? 64;
  const week = new Map<number, number[]>();
  const day = new Map<number, number[]>();
  const recent: number[] = [];
  const scale = Math.max(1e-9, typicalMagnitude(points));
  const out: number[] = [];
  const cooldown = opts.cooldownMs ?? 12 * 3_600_000;
  let quietUntil = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    const how = hourOfWeek(p.t);
    const candidates = [week.get(how), day.get(how % 24), recent];
    const history = candidates.find((h) => h && h.length >= minSamples);
    let score = 0;
    if (history) {
      // values are normalised to 1000 × the series' typical magnitude, so the count detector's
      // Poisson floor (√median) becomes a floor of ~3 % of that magnitude for arbitrary units
      const norm = history.map((v) => (v / scale) * 1000);
      const z = Math.abs(robustZ((p.v / scale) * 1000, { median: median(norm), mad: medianAbsoluteDeviation(norm), p95: 0, samples: norm.length }));
      score = Math.min(1, z / (4 * zScale));
    }
    // the live detector extends an open alert instead of raising new ones; here the same
    // condition holding for hours is one detection, at its onset
    if (p.t < quietUntil) score = 0;
    else if (score >= 0.25) quietUntil = p.t + cooldown;
    out.push(score);
    push(week, how, p.v, keep);
    push(day, how % 24, p.v, keep);
    recent.push(p.v);
    if (recent.length > keep) recent.shift();
  }
  return out;
}

function push(m: Map<number, number[]>, k: number, v: number, keep: number): void {
  let a = m.get(k);
  if (!a) m.set(k, (a = []));
  a.push(v);
  if (a.length > keep) a.shift();
}

function typicalMagnitude(points: SeriesPoint[]): number {
  const head = points.slice(0, Math.max(10, Math.floor(points.length * 0.15))).map((p) => Math.abs(p.v));
  return head.length ? median(head) || Math.max(...head) || 1 : 1;
}
