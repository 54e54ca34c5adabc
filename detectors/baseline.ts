/**
 * Seasonal baselines: what a metric normally is for an entity at a time of the week. Robust
 * statistics (median, MAD, 95th percentile; simple-statistics) over 5-minute totals, per
 * hour-of-week bucket, with hour-of-day and all-hours fallbacks for shorter histories, and an
 * EWMA of the daily totals for trend. Pure: samples in, statistics out.
 *
 * A 5-minute slot in which the entity had no traffic is a zero, not a missing value: a sparse
 * entity's median is 0, and a spike against it is measured with a Poisson floor on the spread,
 * so one request more than usual is not "infinitely many standard deviations".
 */
import { median, medianAbsoluteDeviation, quantile } from 'simple-statistics';

export const SLOT_MS = 5 * 60_000;
export const HOUR_OF_WEEK_BUCKETS = 168;
/** bucket ids: 0–167 hour of week (Monday 00h = 0), 200–223 hour of day, 255 all hours */
export const HOUR_OF_DAY_BASE = 200;
export const ALL_HOURS = 255;

export interface BucketStats {
  median: number;
  mad: number;
  p95: number;
  /** how many 5-minute slots the statistics stand on */
  samples: number;
}

export interface EntityBaseline {
  buckets: Map<number, BucketStats>;
  /** exponentially weighted mean of per-slot values, newest weighted most */
  ewma: number;
}

export function hourOfWeek(ms: number): number {
  const d = new Date(ms);
  return ((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours();
}

function stats(values: number[]): BucketStats {
  return { median: median(values), mad: medianAbsoluteDeviation(values), p95: quantile(values, 0.95), samples: values.length };
}

/**
 * Baseline of one entity from its non-zero 5-minute totals over [from, to): slots absent from
 * `samples` count as zeros. Buckets with fewer than `minSamples` slots are not kept.
 */
export function computeBaseline(samples: Array<{ t: number; v: number }>, from: number, to: number, opts: { minSamples: number; alpha?: number }): EntityBaseline {
  const bySlot = new Map<number, number>();
  for (const s of samples) bySlot.set(Math.floor(s.t / SLOT_MS) * SLOT_MS, (bySlot.get(Math.floor(s.t / SLOT_MS) * SLOT_MS) ?? 0) + s.v);
  const week = new Map<number, number[]>();
  const day = new Map<number, number[]>();
  const all: number[] = [];
  let ewma = 0;
  const alpha = opts.alpha ?? 0.02;
  for (let t = Math.ceil(from / SLOT_MS) * SLOT_MS; t < to; t += SLOT_MS) {
    const v = bySlot.get(t) ?? 0;
    const how = hourOfWeek(t);
    let w = week.get(how);
    if (!w) week.set(how, (w = []));
    w.push(v);
    const hod = HOUR_OF_DAY_BASE + (how % 24);
    let d = day.get(hod);
    if (!d) day.set(hod, (d = []));
    d.push(v);
    all.push(v);
    ewma = all.length === 1 ? v : alpha * v + (1 - alpha) * ewma;
  }
  const buckets = new Map<number, BucketStats>();
  for (const [b, vs] of [...week, ...day]) if (vs.length >= opts.minSamples) buckets.set(b, stats(vs));
  if (all.length >= opts.minSamples) buckets.set(ALL_HOURS, stats(all));
  return { buckets, ewma };
}

/** The most specific bucket that has enough history for the time `t`. */
export function bucketFor(b: Map<number, BucketStats> | undefined, t: number): BucketStats | undefined {
  if (!b) return undefined;
  const how = hourOfWeek(t);
  return b.get(how) ?? b.get(HOUR_OF_DAY_BASE + (how % 24)) ?? b.get(ALL_HOURS);
}

/**
 * How unusual `observed` is against a baseline, in robust standard deviations: (x − median) /
 * (1.4826·MAD), with the spread floored by the Poisson spread of the median (√median) and by
 * 1, so a count of 3 against a usual 0 is 3, not infinity.
 */
export function robustZ(observed: number, b: BucketStats): number {
  const sigma = Math.max(1.4826 * b.mad, Math.sqrt(Math.max(b.median, 0)), 1);
  return (observed - b.median) / sigma;
}

/** Exponentially weighted moving average of a series (oldest first). */
export function ewmaSeries(values: number[], alpha: number): number[] {
  const out: number[] = [];
  let m = values[0] ?? 0;
  for (const v of values) {
    m = alpha * v + (1 - alpha) * m;
    out.push(m);
  }
  return out;
}
