/** Traffic overview: requests, auth failures, 5xx and latency over a range; the top routes, IPs and countries. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, get, type Series } from '../api.js';
import { Chart } from '../chart.js';
import { go } from '../util.js';

const RANGES: Record<string, number> = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

interface TopRow {
  key: string;
  requests: number;
  failures: number;
  errors_5xx?: number;
  country?: string;
}

function Top(p: { title: string; rows: TopRow[] | null; entity: string; testId: string }) {
  return (
    <section class="top">
      <h3>{p.title}</h3>
      {!p.rows ? (
        <div class="loading">loading…</div>
      ) : (
        <table class="data" data-testid={p.testId}>
          <thead>
            <tr>
              <th>{p.entity}</th>
              <th>requests</th>
              <th>failures</th>
              {p.rows[0]?.errors_5xx !== undefined && <th>5xx</th>}
            </tr>
          </thead>
          <tbody>
            {p.rows.map((r) => (
              <tr>
                <td class="mono">
                  {r.key || '(unknown)'}
                  {r.country ? <small> {r.country}</small> : null}
                </td>
                <td>{r.requests.toLocaleString('en')}</td>
                <td>{r.failures.toLocaleString('en')}</td>
                {r.errors_5xx !== undefined && <td>{r.errors_5xx.toLocaleString('en')}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Traffic() {
  const [range, setRange] = useState('24h');
  const [end, setEnd] = useState(() => Date.now());
  const [s, setS] = useState<Series | null>(null);
  const [top, setTop] = useState<Record<string, TopRow[] | null>>({ route: null, ip: null, country: null });
  const [error, setError] = useState('');
  useEffect(() => {
    const from = new Date(end - RANGES[range]!).toISOString();
    const to = new Date(end).toISOString();
    setS(null);
    setError('');
    setTop({ route: null, ip: null, country: null });
    get<Series>('/v1/series', { metric: ['requests', 'failures', 'errors_5xx', 'rate_limited', 'latency_avg', 'latency_p95'], from, to })
      .then(setS)
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
    for (const d of ['route', 'ip', 'country'] as const) {
      get<{ rows: TopRow[] }>('/v1/top', { dimension: d, from, to, limit: 10 })
        .then((r) => setTop((t) => ({ ...t, [d]: r.rows })))
        .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
    }
  }, [range, end]);
  const charts = useMemo(() => {
    if (!s) return null;
    const v = (k: string) => s.series[k] ?? [];
    return {
      requests: [{ label: 'requests', values: v('requests'), color: '#5b9cf0', bars: true }],
      failures: [
        { label: 'auth failures', values: v('failures'), color: '#f07b3f' },
        { label: 'rate limited (429)', values: v('rate_limited'), color: '#e0b341' },
      ],
      errors: [{ label: '5xx', values: v('errors_5xx'), color: '#e5484d' }],
      latency: [
        { label: 'p95', values: v('latency_p95'), color: '#c387f0' },
        { label: 'mean', values: v('latency_avg'), color: '#4cc38a' },
      ],
    };
  }, [s]);
  const empty = s && (s.series.requests ?? []).every((x) => x === 0);
  return (
    <section class="traffic" data-testid="traffic">
      <div class="toolbar">
        {Object.keys(RANGES).map((r) => (
          <button class={r === range ? '' : 'secondary'} onClick={() => setRange(r)} data-testid={`range-${r}`}>
            last {r}
          </button>
        ))}
        <button class="secondary" onClick={() => setEnd(Date.now())}>
          Refresh
        </button>
        {s && <span class="hint">one point per {s.step_sec >= 3600 ? `${s.step_sec / 3600} h` : `${s.step_sec / 60} min`}</span>}
      </div>
      {error && <div class="error">{error}</div>}
      {empty && (
        <div class="empty" data-testid="empty-traffic">
          <h2>No traffic in this range</h2>
          <p>
            Nothing was stored in the last {range}. Run <code>gatewatch demo</code> for a day of simulated traffic with attacks, or send a gateway's logs (see the README). Older data: pick a longer
            range, or ask the history in the <a onClick={() => go('#/sql')}>SQL console</a>.
          </p>
        </div>
      )}
      {charts && s && (
        <div class="charts">
          <Chart testId="chart-requests" title="Requests" t={s.t} lines={charts.requests} />
          <Chart title="Authentication failures and rate limiting" t={s.t} lines={charts.failures} />
          <Chart title="Server errors (5xx)" t={s.t} lines={charts.errors} />
          <Chart title="Latency (ms)" t={s.t} lines={charts.latency} unit=" ms" />
        </div>
      )}
      <div class="three-col">
        <Top title="Top routes" rows={top.route ?? null} entity="route" testId="top-routes" />
        <Top title="Top client IPs" rows={top.ip ?? null} entity="IP" testId="top-ips" />
        <Top title="Top countries" rows={top.country ?? null} entity="country" testId="top-countries" />
      </div>
    </section>
  );
}
