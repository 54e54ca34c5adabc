/** `gatewatch score-series --detector volume FILE.csv`: timestamp,value in; timestamp,value,anomaly_score out. */
import { readFileSync } from 'node:fs';
import { scoreSeries, type SeriesPoint } from '../../detectors/volume/series-scorer.js';

export function readSeriesCsv(text: string, file = 'input'): Array<SeriesPoint & { raw: string }> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${file}: empty`);
  const header = lines[0]!.toLowerCase().replace(/\s/g, '');
  const body = header.startsWith('timestamp,value') ? lines.slice(1) : lines;
  return body.map((line, i) => {
    const comma = line.indexOf(',');
    const raw = comma > 0 ? line.slice(0, comma).trim() : '';
    const v = Number(line.slice(comma + 1).split(',')[0]);
    const t = Date.parse(/^\d{4}-\d{2}-\d{2} \d/.test(raw) ? `${raw.replace(' ', 'T')}Z` : raw);
    if (comma <= 0 || Number.isNaN(t) || !Number.isFinite(v)) throw new Error(`${file}: line ${i + (body === lines ? 1 : 2)} is not "timestamp,value": ${JSON.stringify(line.slice(0, 200))}`);
    return { t, v, raw };
  });
}

export function scoreSeriesCommand(file: string, detector: string, write: (s: string) => void = (s) => process.stdout.write(s)): void {
  if (detector !== 'volume') throw new Error(`score-series scores the volume detector only (got ${detector})`);
  const points = readSeriesCsv(readFileSync(file, 'utf8'), file);
  const scores = scoreSeries(points);
  const out = ['timestamp,value,anomaly_score'];
  for (let i = 0; i < points.length; i++) out.push(`${points[i]!.raw},${points[i]!.v},${scores[i]!.toFixed(6)}`);
  write(out.join('\n') + '\n');
}
