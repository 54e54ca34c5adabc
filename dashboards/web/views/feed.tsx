/** The alert feed: newest first, live, filtered, with actions by role and an unread mark. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, can, get, post, type Alert, type Me } from '../api.js';
import { ago, go, SEVERITIES, utc } from '../util.js';
import type { AlertBook } from '../main.js';

export interface Filters {
  status: string;
  severity: string;
  detector: string;
  entity_type: string;
  entity_value: string;
  since: string;
}
export const NO_FILTERS: Filters = { status: '', severity: '', detector: '', entity_type: '', entity_value: '', since: '' };
const SINCE: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export function matches(a: Alert, f: Filters, now = Date.now()): boolean {
  if (f.status && a.status !== f.status) return false;
  if (f.severity && a.severity !== f.severity) return false;
  if (f.detector && a.detector !== f.detector) return false;
  if (f.entity_type && a.entity.type !== f.entity_type) return false;
  if (f.entity_value && a.entity.value !== f.entity_value) return false;
  if (f.since && Date.parse(a.last_seen) < now - SINCE[f.since]!) return false;
  return true;
}

export function SilenceForm(p: { alert: Alert; onDone: (msg: string) => void; onCancel: () => void }) {
  const [minutes, setMinutes] = useState(60);
  const [comment, setComment] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await post('/v1/silences', { matchers: { detector: p.alert.detector, entity_type: p.alert.entity.type, entity_value: p.alert.entity.value }, duration_min: minutes, comment: comment || `silenced from the dashboard (${p.alert.summary.slice(0, 200)})` });
      p.onDone(`Silenced ${p.alert.detector} for ${p.alert.entity.type} ${p.alert.entity.value} for ${minutes} minutes.`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <form class="silence-form" onSubmit={submit} data-testid="silence-form">
      <div>
        Silence <b>{p.alert.detector}</b> for {p.alert.entity.type} <code>{p.alert.entity.value}</code> for{' '}
        <select value={String(minutes)} onChange={(e) => setMinutes(Number((e.target as HTMLSelectElement).value))}>
          <option value="60">1 hour</option>
          <option value="240">4 hours</option>
          <option value="1440">24 hours</option>
          <option value="10080">7 days</option>
        </select>
      </div>
      <input placeholder="why (shown to whoever wonders where the alerts went)" value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} maxLength={2000} />
      <button type="submit">Silence</button>
      <button type="button" class="secondary" onClick={p.onCancel}>
        Cancel
      </button>
      {error && <div class="error">{error}</div>}
    </form>
  );
}

export function Actions(p: { alert: Alert; me: Me; book: AlertBook; compact?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [silencing, setSilencing] = useState(false);
  const [msg, setMsg] = useState('');
  if (!can(p.me, 'analyst')) return null;
  const act = async (action: 'ack' | 'resolve' | 'reopen') => {
    setBusy(true);
    setMsg('');
    try {
      const r = await post<{ alert: Alert }>(`/v1/alerts/${encodeURIComponent(p.alert.id)}/${action}`, {});
      p.book.put([r.alert]);
    } catch (err) {
      setMsg(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="actions" onClick={(e) => e.stopPropagation()}>
      {p.alert.status === 'open' && (
        <button disabled={busy} onClick={() => act('ack')} data-testid="ack">
          Ack
        </button>
      )}
      {p.alert.status !== 'resolved' && (
        <button disabled={busy} onClick={() => act('resolve')} data-testid="resolve">
          Resolve
        </button>
      )}
      {p.alert.status === 'resolved' && (
        <button disabled={busy} onClick={() => act('reopen')}>
          Reopen
        </button>
      )}
      <button class="secondary" onClick={() => setSilencing(!silencing)} data-testid="silence">
        Silence…
      </button>
      {silencing && (
        <SilenceForm
          alert={p.alert}
          onCancel={() => setSilencing(false)}
          onDone={(m) => {
            setSilencing(false);
            setMsg(m);
          }}
        />
      )}
      {msg && <span class="note">{msg}</span>}
    </span>
  );
}

export function Feed(p: { me: Me; book: AlertBook; filters: Filters; setFilters: (f: Filters) => void }) {
  const f = p.filters;
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState('');
  const [detectors, setDetectors] = useState<string[]>([]);
  const [, tick] = useState(0);
  useEffect(() => {
    let gone = false;
    setLoading(true);
    setError('');
    get<{ alerts: Alert[] }>('/v1/alerts', {
      limit: 500,
      status: f.status || undefined,
      severity: f.severity || undefined,
      detector: f.detector || undefined,
      entity_type: f.entity_type || undefined,
      entity_value: f.entity_type && f.entity_value ? f.entity_value : undefined,
      from: f.since ? new Date(Date.now() - SINCE[f.since]!).toISOString() : undefined,
    })
      .then((r) => {
        if (gone) return;
        p.book.put(r.alerts);
        setDetectors((d) => [...new Set([...d, ...r.alerts.map((a) => a.detector)])].sort());
      })
      .catch((err: unknown) => !gone && setError(err instanceof ApiError ? err.message : String(err)))
      .finally(() => !gone && setLoading(false));
    return () => {
      gone = true;
    };
  }, [f.status, f.severity, f.detector, f.entity_type, f.entity_value, f.since]);
  // "3m ago" stays true
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);

  const list = p.book
    .all()
    .filter((a) => matches(a, f))
    .sort((a, b) => b.last_seen.localeCompare(a.last_seen) || b.id.localeCompare(a.id));
  const set = (k: keyof Filters) => (e: Event) => p.setFilters({ ...f, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  const [typed, setTyped] = useState(f.entity_value);
  useEffect(() => setTyped(f.entity_value), [f.entity_value]);
  useEffect(() => {
    if (typed === f.entity_value) return;
    const t = setTimeout(() => p.setFilters({ ...f, entity_value: typed.trim() }), 350);
    return () => clearTimeout(t);
  }, [typed]);
  const allDetectors = [...new Set([...detectors, ...p.book.all().map((a) => a.detector)])].sort();
  return (
    <section class="feed">
      <div class="toolbar" data-testid="filters">
        <select value={f.status} onChange={set('status')} aria-label="status">
          <option value="">any status</option>
          <option value="open">open</option>
          <option value="acknowledged">acknowledged</option>
          <option value="resolved">resolved</option>
        </select>
        <select value={f.severity} onChange={set('severity')} aria-label="severity">
          <option value="">any severity</option>
          {SEVERITIES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
        <select value={f.detector} onChange={set('detector')} aria-label="detector">
          <option value="">any detector</option>
          {allDetectors.map((d) => (
            <option value={d}>{d}</option>
          ))}
        </select>
        <select value={f.entity_type} onChange={set('entity_type')} aria-label="entity type">
          <option value="">any entity</option>
          {['ip', 'principal', 'route', 'gateway', 'country'].map((t) => (
            <option value={t}>{t}</option>
          ))}
        </select>
        <input placeholder="entity value (exact)" value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} disabled={!f.entity_type} aria-label="entity value" />
        <select value={f.since} onChange={set('since')} aria-label="time">
          <option value="">any time</option>
          <option value="1h">last hour</option>
          <option value="24h">last 24 hours</option>
          <option value="7d">last 7 days</option>
          <option value="30d">last 30 days</option>
        </select>
        {f !== NO_FILTERS && JSON.stringify(f) !== JSON.stringify(NO_FILTERS) && (
          <button class="secondary" onClick={() => p.setFilters(NO_FILTERS)}>
            Clear filters
          </button>
        )}
        {p.book.unread.size > 0 && (
          <button class="secondary" onClick={() => p.book.markAllRead()} data-testid="mark-read">
            Mark {p.book.unread.size} read
          </button>
        )}
      </div>
      {error && <div class="error">{error}</div>}
      {!loading && list.length === 0 && !error && (
        <div class="empty" data-testid="empty-feed">
          {p.book.all().length === 0 ? (
            <>
              <h2>No alerts yet</h2>
              <p>
                Gatewatch has not raised any alert. To see it work, run <code>gatewatch demo</code> (or <code>npm run demo</code>): it replays a day of simulated gateway traffic with attacks in it,
                and alerts start arriving here live.
              </p>
              <p>Real traffic: point a gateway at Kafka or <code>POST /v1/ingest</code> (see the README).</p>
            </>
          ) : (
            <p>No alert matches these filters.</p>
          )}
        </div>
      )}
      <table class="alerts" data-testid="alert-feed">
        <tbody>
          {list.map((a) => (
            <tr key={a.id} class={`sev-${a.severity} status-${a.status}${p.book.unread.has(a.id) ? ' unread' : ''}`} data-alert-id={a.id} onClick={() => go(`#/alerts/${encodeURIComponent(a.id)}`)}>
              <td class="sev">
                <span class={`badge sev-${a.severity}`}>{a.severity}</span>
              </td>
              <td class="what">
                <div class="summary">{a.summary}</div>
                <div class="meta">
                  {a.detector} · {a.entity.type} <code>{a.entity.value}</code> · {a.owasp}
                </div>
              </td>
              <td class="status">{a.status}</td>
              <td class="when" title={utc(a.last_seen)}>
                {ago(a.last_seen)}
              </td>
              <td>
                <Actions alert={a} me={p.me} book={p.book} compact />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
