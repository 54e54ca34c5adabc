/**
 * A results grid for up to the server's row limit (100,000 by default): only the rows in view
 * are in the DOM (@tanstack/virtual-core), columns sort on a click (numbers as numbers).
 */
import { useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';

const ROW = 26;
const NUMERIC = /^(U?Int|Float|Decimal)/;

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function Grid(p: { columns: Array<{ name: string; type: string }>; rows: unknown[][]; testId?: string }) {
  const [sort, setSort] = useState<{ col: number; dir: 1 | -1 } | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const rows = useMemo(() => {
    if (!sort) return p.rows;
    const numeric = NUMERIC.test(p.columns[sort.col]?.type.replace(/^(Nullable|LowCardinality)\(/, '') ?? '');
    const key = (r: unknown[]) => r[sort.col];
    return [...p.rows].sort((a, b) => {
      const x = key(a);
      const y = key(b);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const c = numeric ? Number(x) - Number(y) : cellText(x).localeCompare(cellText(y));
      return c * sort.dir;
    });
  }, [p.rows, p.columns, sort]);

  const virtualizer = useMemo(
    () =>
      new Virtualizer<HTMLDivElement, Element>({
        count: rows.length,
        getScrollElement: () => scroller.current,
        estimateSize: () => ROW,
        overscan: 12,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        onChange: () => rerender(0),
      }),
    [],
  );
  virtualizer.setOptions({ ...virtualizer.options, count: rows.length });
  useEffect(() => virtualizer._didMount(), []);
  useEffect(() => virtualizer._willUpdate());

  const widths = useMemo(() => p.columns.map((c, i) => Math.min(420, Math.max(80, c.name.length * 9 + 28, ...p.rows.slice(0, 200).map((r) => cellText(r[i]).length * 7.5 + 20)))), [p.columns, p.rows]);
  const total = widths.reduce((a, b) => a + b, 0);
  const items = virtualizer.getVirtualItems();
  return (
    <div class="grid" data-testid={p.testId}>
      <div class="grid-scroll" ref={scroller}>
        <div class="grid-head" style={{ width: `${total}px` }}>
          {p.columns.map((c, i) => (
            <button
              class="grid-cell grid-th"
              style={{ width: `${widths[i]}px` }}
              title={`${c.name} ${c.type}: click to sort`}
              onClick={() => setSort((s) => (s?.col === i ? (s.dir === 1 ? { col: i, dir: -1 } : null) : { col: i, dir: 1 }))}
            >
              {c.name}
              {sort?.col === i ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
            </button>
          ))}
        </div>
        <div style={{ height: `${virtualizer.getTotalSize()}px`, width: `${total}px`, position: 'relative' }}>
          {items.map((it) => {
            const r = rows[it.index]!;
            return (
              <div class="grid-row" key={it.key} data-row={it.index} style={{ transform: `translateY(${it.start}px)`, height: `${ROW}px` }}>
                {p.columns.map((_c, i) => (
                  <div class={`grid-cell${r[i] === null ? ' null' : ''}`} style={{ width: `${widths[i]}px` }} title={cellText(r[i])}>
                    {cellText(r[i])}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
