/**
 * npm run bench:nab -- --nab DIR   (or NAB_DIR=DIR npm run bench:nab)
 *
 * Scores the volume detector (`gatewatch score-series --detector volume`) on Numenta Anomaly
 * Benchmark data in DIR (NAB's layout: `data/<group>/<file>.csv` and `combined_windows.json`,
 * from github.com/numenta/NAB, MIT licence) and prints a NAB-style score, standard profile
 * (true positive +1, false negative −1, false positive −0.11), normalised so that a detector
 * that finds nothing scores 0 and a perfect one 100. Scoring as NAB does: the first 15 % of
 * each file is probationary and not scored; inside a labelled window only the earliest
 * detection counts, weighted by a scaled sigmoid of its position (earlier is worth more); a
 * window with no detection costs 1; a detection outside every window costs 0.11, less when
 * it comes just after a window. One threshold for the whole corpus, the best on a grid, as
 * NAB's optimiser picks it. This is our implementation of NAB's rules, not NAB's own code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scoreSeries } from '../../detectors/volume/series-scorer.js';
import { readSeriesCsv } from '../../services/cli/score-series-command.js';

const argIdx = process.argv.indexOf('--nab');
const NAB = argIdx > 0 ? process.argv[argIdx + 1] : process.env.NAB_DIR;
if (!NAB || !existsSync(join(NAB, 'combined_windows.json'))) {
  process.stderr.write(
    `bench:nab needs the NAB data: npm run bench:nab -- --nab DIR (or NAB_DIR=DIR), where DIR holds data/<group>/<file>.csv and combined_windows.json (labels/combined_windows.json in github.com/numenta/NAB)${NAB ? `; ${NAB} has no combined_windows.json` : ''}\n`,
  );
  process.exit(2);
}
const A_TP = 1;
const A_FP = -0.11;
const A_FN = -1;

const sigmoid = (x: number) => 2 / (1 + Math.exp(5 * x)) - 1;

interface FileResult {
  name: string;
  t: number[];
  scores: number[];
  windows: Array<[number, number]>;
}

function fileScore(f: FileResult, threshold: number): { score: number; tp: number; fn: number; fp: number } {
  const n = f.t.length;
  const probation = Math.min(Math.floor(0.15 * n), 750);
  const windows = f.windows.map(([a, b]) => ({ a, b, hit: false }));
  let score = 0;
  let fp = 0;
  let lastWindowEnd: number | undefined;
  let lastWindowWidth = 0;
  for (let i = probation; i < n; i++) {
    const t = f.t[i]!;
    const w = windows.find((x) => t >= x.a && t <= x.b);
    if (w && t <= w.b) {
      lastWindowEnd = w.b;
      lastWindowWidth = w.b - w.a;
    }
    if (f.scores[i]! < threshold) continue;
    if (w) {
      if (!w.hit) {
        w.hit = true;
        // position in the window: −1 at its start, 0 at its end
        const y = (t - w.b) / Math.max(w.b - w.a, 1);
        score += A_TP * sigmoid(y);
      }
    } else {
      fp++;
      // just after a window, a false positive weighs less (NAB's sigmoid on the distance)
      const y = lastWindowEnd !== undefined && lastWindowWidth > 0 ? (t - lastWindowEnd) / lastWindowWidth : Number.POSITIVE_INFINITY;
      score += Number.isFinite(y) ? A_FP * -sigmoid(y) : A_FP;
    }
  }
  let fn = 0;
  for (const w of windows) {
    if (!w.hit && w.a >= (f.t[probation] ?? 0)) {
      fn++;
      score += A_FN;
    }
  }
  return { score, tp: windows.filter((w) => w.hit).length, fn, fp };
}

const labels = JSON.parse(readFileSync(join(NAB, 'combined_windows.json'), 'utf8')) as Record<string, Array<[string, string]>>;
const files: FileResult[] = [];
const t0 = performance.now();
for (const [name, wins] of Object.entries(labels)) {
  const points = readSeriesCsv(readFileSync(join(NAB, 'data', name), 'utf8'), name);
  const parse = (s: string) => Date.parse(`${s.replace(' ', 'T').replace(/\.\d+$/, '')}Z`);
  files.push({ name, t: points.map((p) => p.t), scores: scoreSeries(points), windows: wins.map(([a, b]) => [parse(a), parse(b)]) });
}
const scoringMs = performance.now() - t0;

let best = { threshold: 0, raw: Number.NEGATIVE_INFINITY };
for (let th = 0.05; th <= 1.0001; th += 0.01) {
  const raw = files.reduce((s, f) => s + fileScore(f, th).score, 0);
  if (raw > best.raw) best = { threshold: th, raw };
}
// the null detector (never fires) and the perfect one (each window at its start, nothing else)
const nullRaw = files.reduce((s, f) => s + f.windows.filter(([a]) => a >= (f.t[Math.min(Math.floor(0.15 * f.t.length), 750)] ?? 0)).length * A_FN, 0);
const perfectRaw = files.reduce((s, f) => s + f.windows.filter(([a]) => a >= (f.t[Math.min(Math.floor(0.15 * f.t.length), 750)] ?? 0)).length * A_TP * sigmoid(-1), 0);
const normalised = (100 * (best.raw - nullRaw)) / (perfectRaw - nullRaw);

console.log(`NAB subset: ${files.length} files, ${files.reduce((s, f) => s + f.t.length, 0).toLocaleString('en-US')} points, scored in ${Math.round(scoringMs)} ms`);
console.log(`best threshold ${best.threshold.toFixed(2)}: standard-profile score ${normalised.toFixed(1)} (0 = finds nothing, 100 = perfect)`);
let tp = 0;
let fn = 0;
let fp = 0;
for (const f of files) {
  const r = fileScore(f, best.threshold);
  tp += r.tp;
  fn += r.fn;
  fp += r.fp;
  console.log(`  ${f.name.padEnd(58)} windows found ${r.tp}/${r.tp + r.fn}  false positives ${r.fp}  score ${r.score.toFixed(2)}`);
}
console.log(`windows found ${tp}/${tp + fn}, false positives ${fp}`);
