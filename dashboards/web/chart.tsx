/** A time-series chart (uPlot): lines, an optional expected band (baseline) and an optional highlighted window. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Line {
  label: string;
  values: Array<number | null>;
  color: string;
  /** draw as bars (counts per step) */
  bars?: boolean;
}

export interface ChartProps {
  title: string;
  /** epoch milliseconds */
  t: number[];
  lines: Line[];
  band?: { lower: Array<number | null>; upper: Array<number | null>; median: Array<number | null>; label: string } | undefined;
  highlight?: [number, number] | undefined;
  height?: number;
  unit?: string;
  testId?: string;
}

const fmt = (v: number | null, unit = '') => (v === null || v === undefined ? '–' : `${Math.abs(v) >= 1000 ? v.toLocaleString('en', { maximumFractionDigits: 0 }) : Number(v.toFixed(2)).toString()}${unit}`);

export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = p.t.map((t) => t / 1000);
    const data: Array<Array<number | null>> = [xs];
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    if (p.band) {
      data.push(p.band.upper, p.band.lower, p.band.median);
      series.push(
        { label: `${p.band.label} (upper)`, stroke: 'rgba(120,160,255,0.35)', width: 1, value: (_u, v) => fmt(v, p.unit) },
        { label: `${p.band.label} (lower)`, stroke: 'rgba(120,160,255,0.35)', width: 1, value: (_u, v) => fmt(v, p.unit) },
        { label: `${p.band.label} (median)`, stroke: 'rgba(120,160,255,0.7)', width: 1, dash: [4, 4], value: (_u, v) => fmt(v, p.unit) },
      );
      bands.push({ series: [1, 2], fill: 'rgba(120,160,255,0.14)' });
    }
    for (const l of p.lines) {
      data.push(l.values);
      series.push({ label: l.label, stroke: l.color, width: 2, fill: l.bars ? `${l.color}33` : undefined, points: { show: false }, value: (_u, v) => fmt(v, p.unit), ...(l.bars ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}) });
    }
    const hl = p.highlight;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      // every time on the page is UTC, the charts' too
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      height: p.height ?? 220,
      series,
      bands,
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max <= 0 ? 1 : max * 1.1] } },
      axes: [
        { stroke: '#9aa4b2', grid: { stroke: '#262b36' }, ticks: { stroke: '#262b36' } },
        { stroke: '#9aa4b2', grid: { stroke: '#262b36' }, ticks: { stroke: '#262b36' }, size: 60, values: (_u, vals) => vals.map((v) => fmt(v)) },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      hooks: hl
        ? {
            drawClear: [
              (u: uPlot) => {
                const x0 = u.valToPos(hl[0] / 1000, 'x', true);
                const x1 = u.valToPos(hl[1] / 1000, 'x', true);
                u.ctx.save();
                u.ctx.fillStyle = 'rgba(229,72,77,0.18)';
                u.ctx.fillRect(Math.min(x0, x1), u.bbox.top, Math.max(2, Math.abs(x1 - x0)), u.bbox.height);
                u.ctx.restore();
              },
            ],
          }
        : {},
    };
    const plot = new uPlot(opts, data as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: p.height ?? 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [p.t, p.lines, p.band, p.highlight?.[0], p.highlight?.[1]]);
  return (
    <figure class="chart" data-testid={p.testId}>
      <figcaption>{p.title}</figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}
