/**
 * One alert: what, where, observed against expected; the entity's metric on a chart with the
 * baseline band and the anomalous window; the evidence (one click to the SQL console); related
 * alerts; the IP's or principal's recent requests and where they came from; the audit trail.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, can, get, type Alert, type AlertEvent, type Me, type Series } from '../api.js';
import { Chart } from '../chart.js';
import { ago, go, num, utc } from '../util.js';
import { Actions } from './feed.js';
import type { AlertBook } from '../main.js';

interface EventRow {
  event_time: string;
  method: string;
  path: string;
  route: string;
  status: number;
  latency_ms: number;
  client_ip: string;
  principal_id: string;
  auth_outcome: string;
  country: string;
  city: string;
  as_org: string;
}
interface Place {
  country: string;
  city: string;
  requests: number;
  lat: number | null;
  lon: number | null;
}

/** What to draw for an alert: the metric its detector watches, kept for its kind of entity. */
export function chartMetric(a: Alert): string {
  const d = a.detector;
  const failures = /brute|stuff|auth|credential|spray|token|login|unauth|forbidden/.test(d);
  const errors = /5xx|error/.test(d);
  if (errors && (a.entity.type === 'route' || a.entity.type === 'gateway' || a.entity.type === 'ip' || a.entity.type === 'all' as string)) return 'errors_5xx';
  if (failures && a.entity.type !== 'gateway') return 'failures';
  if (/exposure|bytes/.test(d) && a.entity.type !== 'country') return 'bytes_out';
  return 'requests';
}

function AlertChart({ alert }: { alert: Alert }) {
  const metric = chartMetric(alert);
  const [s, setS] = useState<Series | null>(null);
  const [error, setError] = useState('');
  const start = Date.parse(alert.window.start);
  const end = Date.parse(alert.window.end);
  useEffect(() => {
    const from = new Date(start - 6 * 3_600_000).toISOString();
    const to = new Date(Math.min(Date.now(), end + 2 * 3_600_000)).toISOString();
    const metrics = [...new Set([metric, 'requests'])];
    // 5-minute points, the detectors' own slot: observed and expected read the same as in the summary
    get<Series>('/v1/series', { entity_type: alert.entity.type, entity: alert.entity.value, metric: metrics, from, to, step: 300 })
      .then(setS)
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
  }, [alert.id]);
  const lines = useMemo(() => (s ? [{ label: metric, values: s.series[metric] ?? [], color: '#f07b3f' }, ...(metric !== 'requests' ? [{ label: 'requests', values: s.series.requests ?? [], color: '#5b9cf0' }] : [])] : []), [s]);
  const band = useMemo(() => {
    const b = s?.baselines[metric];
    return b ? { ...b, label: 'expected' } : undefined;
  }, [s]);
  const hl = useMemo(() => [start, Math.max(end, start + 60_000)] as [number, number], [alert.id]);
  if (error) return <div class="error">chart: {error}</div>;
  if (!s) return <div class="loading">loading the chart…</div>;
  return (
    <>
      <Chart testId="alert-chart" title={`${metric} per ${s.step_sec / 60} min (UTC) for ${alert.entity.type} ${alert.entity.value}${band ? ' · band: learnt baseline ±3σ' : ''} · red: the anomalous window`} t={s.t} lines={lines} band={band} highlight={hl} height={260} />
      {!band && <p class="hint">No learnt baseline is kept for this entity's {metric}: the expected value above ({num(alert.expected)}) is the detector's own threshold or comparison.</p>}
    </>
  );
}

function Timeline({ alert }: { alert: Alert }) {
  const [data, setData] = useState<{ events: EventRow[]; countries: Place[] } | null>(null);
  const [error, setError] = useState('');
  const t = alert.entity.type;
  useEffect(() => {
    if (t !== 'ip' && t !== 'principal') return;
    const from = new Date(Date.parse(alert.window.start) - 24 * 3_600_000).toISOString();
    const to = new Date(Date.parse(alert.window.end) + 3_600_000).toISOString();
    get<{ events: EventRow[]; countries: Place[] }>('/v1/events', { entity_type: t, entity: alert.entity.value, from, to, limit: 200 })
      .then(setData)
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
  }, [alert.id]);
  if (t !== 'ip' && t !== 'principal') return null;
  if (error) return <div class="error">recent requests: {error}</div>;
  if (!data) return <div class="loading">loading recent requests…</div>;
  return (
    <div class="two-col">
      <section>
        <h3>
          Recent requests of this {t} <small>(up to 200, the day before the alert to an hour after)</small>
        </h3>
        <div class="scroll-y">
          <table class="data" data-testid="timeline">
            <thead>
              <tr>
                <th>time (UTC)</th>
                <th>request</th>
                <th>status</th>
                <th>{t === 'ip' ? 'principal' : 'client IP'}</th>
                <th>where</th>
              </tr>
            </thead>
            <tbody>
              {data.events.map((e) => (
                <tr class={e.status >= 400 ? 'bad' : ''}>
                  <td class="mono">{e.event_time.slice(0, 19)}</td>
                  <td class="mono">
                    {e.method} {e.path}
                  </td>
                  <td>{e.status}</td>
                  <td class="mono">{t === 'ip' ? e.principal_id || '–' : e.client_ip}</td>
                  <td>{[e.city, e.country].filter(Boolean).join(', ') || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section>
        <h3>Where from</h3>
        <table class="data" data-testid="countries">
          <thead>
            <tr>
              <th>country</th>
              <th>city</th>
              <th>requests</th>
              <th>lat, lon</th>
            </tr>
          </thead>
          <tbody>
            {data.countries.map((c) => (
              <tr>
                <td>{c.country || '(unknown)'}</td>
                <td>{c.city || '–'}</td>
                <td>{c.requests}</td>
                <td class="mono">{c.lat === null || c.lon === null ? '–' : `${c.lat.toFixed(2)}, ${c.lon.toFixed(2)}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function RowsTable({ rows }: { rows: Array<Record<string, unknown>> }) {
  if (!rows.length) return <p class="hint">no sample rows</p>;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <div class="scroll-x">
      <table class="data" data-testid="evidence-rows">
        <thead>
          <tr>
            {cols.map((c) => (
              <th>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              {cols.map((c) => (
                <td class="mono">{typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c] ?? '')}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Detail(p: { id: string; me: Me; book: AlertBook }) {
  const [events, setEvents] = useState<AlertEvent[]>([]);
  const [related, setRelated] = useState<Alert[]>([]);
  const [error, setError] = useState('');
  const alert = p.book.get(p.id);
  useEffect(() => {
    p.book.markRead(p.id);
    setError('');
    get<{ alert: Alert; events: AlertEvent[] }>(`/v1/alerts/${encodeURIComponent(p.id)}`)
      .then((r) => {
        p.book.put([r.alert]);
        setEvents(r.events);
        return get<{ alerts: Alert[] }>('/v1/alerts', { entity_type: r.alert.entity.type, entity_value: r.alert.entity.value, limit: 20 });
      })
      .then((r) => setRelated(r.alerts.filter((a) => a.id !== p.id)))
      .catch((err: unknown) => setError(err instanceof ApiError ? (err.status === 404 ? `There is no alert ${p.id}.` : err.message) : String(err)));
  }, [p.id, alert?.status]);
  if (error) return <div class="error">{error}</div>;
  if (!alert) return <div class="loading">loading…</div>;
  const openSql = () => go(`#/sql?q=${encodeURIComponent(alert.evidence.sql)}`);
  return (
    <article class="detail" data-testid="alert-detail">
      <p>
        <a href="#/alerts">← alerts</a>
      </p>
      <header class={`detail-head sev-${alert.severity}`}>
        <span class={`badge sev-${alert.severity}`}>{alert.severity}</span>
        <h2>{alert.summary}</h2>
      </header>
      <div class="facts">
        <div>
          <label>status</label>
          <b data-testid="status">{alert.status}</b>
        </div>
        <div>
          <label>detector</label>
          {alert.detector}
        </div>
        <div>
          <label>entity</label>
          {alert.entity.type} <code>{alert.entity.value}</code>
        </div>
        <div>
          <label>observed / expected</label>
          <b>{num(alert.observed)}</b> / {num(alert.expected)} (score {num(alert.score)})
        </div>
        <div>
          <label>window</label>
          {utc(alert.window.start)} → {utc(alert.window.end).slice(11)}
        </div>
        <div>
          <label>seen</label>
          {alert.windows} window{alert.windows === 1 ? '' : 's'}, first {ago(alert.first_seen)}, last {ago(alert.last_seen)}
        </div>
        <div>
          <label>OWASP API Top 10</label>
          {alert.owasp}
        </div>
      </div>
      <Actions alert={alert} me={p.me} book={p.book} />
      <AlertChart alert={alert} />
      {Object.keys(alert.detail).length > 0 && (
        <details open>
          <summary>Detector facts</summary>
          <pre class="json">{JSON.stringify(alert.detail, null, 2)}</pre>
        </details>
      )}
      <section>
        <h3>
          Evidence{' '}
          {can(p.me, 'analyst') && (
            <button onClick={openSql} data-testid="open-in-sql">
              Open in SQL console
            </button>
          )}
        </h3>
        <pre class="sql" data-testid="evidence-sql">
          {alert.evidence.sql}
        </pre>
        <RowsTable rows={alert.evidence.rows} />
      </section>
      <Timeline alert={alert} />
      <section>
        <h3>Other alerts about {alert.entity.type} <code>{alert.entity.value}</code></h3>
        {related.length === 0 ? (
          <p class="hint">none</p>
        ) : (
          <ul class="related" data-testid="related">
            {related.map((a) => (
              <li>
                <a href={`#/alerts/${encodeURIComponent(a.id)}`}>
                  <span class={`badge sev-${a.severity}`}>{a.severity}</span> {a.summary}
                </a>{' '}
                <small>
                  {a.status} · {ago(a.last_seen)}
                </small>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h3>Audit trail</h3>
        {events.length === 0 ? (
          <p class="hint">no changes yet</p>
        ) : (
          <table class="data" data-testid="audit-trail">
            <tbody>
              {events.map((e) => (
                <tr>
                  <td class="mono">{utc(e.at.includes('T') ? e.at : `${e.at.replace(' ', 'T')}Z`)}</td>
                  <td>{e.actor}</td>
                  <td>
                    {e.from_status} → {e.to_status}
                  </td>
                  <td>{e.comment}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </article>
  );
}
