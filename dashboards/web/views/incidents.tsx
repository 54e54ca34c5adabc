/**
 * Incidents: the alerts of one attack together, newest first, refreshed as the live stream
 * reports grouping changes. A row opens to its alerts (each links to its page) and, for an
 * analyst, acknowledge / resolve / reopen with a reason.
 */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, can, get, post, type Alert, type Me } from '../api.js';
import { ago, utc } from '../util.js';

export interface Incident {
  id: string;
  title: string;
  severity: string;
  status: 'open' | 'acknowledged' | 'resolved';
  keys: string[];
  detectors: string[];
  owasp: string[];
  alert_ids: string[];
  alerts_count: number;
  first_seen: string;
  last_seen: string;
}

const NEXT: Record<Incident['status'], Array<['ack' | 'resolve' | 'reopen', string]>> = {
  open: [['ack', 'Acknowledge'], ['resolve', 'Resolve']],
  acknowledged: [['resolve', 'Resolve']],
  resolved: [['reopen', 'Reopen']],
};

function Opened(p: { incident: Incident; me: Me; onChanged: () => void }) {
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    get<{ alerts: Alert[] }>(`/v1/incidents/${encodeURIComponent(p.incident.id)}`).then((r) => setAlerts(r.alerts), (err) => setError(err instanceof ApiError ? err.message : String(err)));
  }, [p.incident.id, p.incident.alerts_count]);
  const act = async (action: string) => {
    setError('');
    try {
      await post(`/v1/incidents/${encodeURIComponent(p.incident.id)}/${action}`, { comment });
      setComment('');
      p.onChanged();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <div class="incident-body" data-testid="incident-body">
      <div class="meta">
        {p.incident.keys.map((k, n) => (
          <>
            {n > 0 && ', '}
            <code>{k}</code>
          </>
        ))}{' '}
        · {p.incident.owasp.join(', ')}
      </div>
      <table class="alerts">
        <tbody>
          {(alerts ?? []).map((a) => (
            <tr key={a.id} data-incident-alert={a.id}>
              <td class="sev">
                <span class={`badge sev-${a.severity}`}>{a.severity}</span>
              </td>
              <td class="what">
                <a href={`#/alerts/${encodeURIComponent(a.id)}`}>{a.summary}</a>
                <div class="meta">
                  {a.detector} · {a.entity.type} <code>{a.entity.value}</code>
                </div>
              </td>
              <td class="when" title={utc(a.first_seen)}>
                {utc(a.first_seen)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {can(p.me, 'analyst') && (
        <div class="actions">
          <input placeholder="reason (kept in the trail)" value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} aria-label="reason" maxLength={2000} />
          {NEXT[p.incident.status].map(([action, label]) => (
            <button class="secondary" onClick={() => void act(action)} data-testid={`incident-${action}`}>
              {label}
            </button>
          ))}
        </div>
      )}
      {error && <div class="error">{error}</div>}
    </div>
  );
}

export function Incidents(p: { me: Me; version: number }) {
  const [list, setList] = useState<Incident[]>([]);
  const [open, setOpen] = useState('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    get<{ incidents: Incident[] }>('/v1/incidents', { limit: 200, status: status || undefined }).then(
      (r) => {
        setList(r.incidents);
        setError('');
      },
      (err) => setError(err instanceof ApiError ? err.message : String(err)),
    );
  }, [status, tick, p.version]);
  return (
    <section>
      <div class="filters">
        <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)} aria-label="incident status">
          <option value="">any status</option>
          <option value="open">open</option>
          <option value="acknowledged">acknowledged</option>
          <option value="resolved">resolved</option>
        </select>
      </div>
      {error && <div class="error">{error}</div>}
      {list.length === 0 && !error && (
        <div class="empty" data-testid="no-incidents">
          <p>No incidents. Related alerts (one attack seen by several detectors) are grouped here.</p>
        </div>
      )}
      <table class="alerts" data-testid="incident-list">
        <tbody>
          {list.map((i) => (
            <Fragment key={i.id}>
              <tr class={`sev-${i.severity} status-${i.status}`} data-incident-id={i.id} onClick={() => setOpen(open === i.id ? '' : i.id)} tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && setOpen(open === i.id ? '' : i.id)}>
                <td class="sev">
                  <span class={`badge sev-${i.severity}`}>{i.severity}</span>
                </td>
                <td class="what">
                  <div class="summary">{i.title}</div>
                  <div class="meta">
                    {i.alerts_count} alert{i.alerts_count === 1 ? '' : 's'} · {i.detectors.join(', ')}
                  </div>
                </td>
                <td class="status">{i.status}</td>
                <td class="when" title={utc(i.last_seen)}>
                  {ago(i.last_seen)}
                </td>
              </tr>
              {open === i.id && (
                <tr>
                  <td colSpan={4}>
                    <Opened incident={i} me={p.me} onChanged={() => setTick((n) => n + 1)} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </section>
  );
}
