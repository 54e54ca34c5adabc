/**
 * Incidents: the alerts of one attack together, newest first, refreshed as the live stream
 * reports grouping and status changes. A row opens to its alerts (each links to its page) and
 * its trail and, for an analyst, acknowledge / resolve / reopen / silence with a reason.
 * `#/incidents/<id>` opens one incident (the link notifications carry).
 */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, can, get, post, type Alert, type AlertEvent, type Me } from '../api.js';
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
  silenced_until: string;
}

/** an incident's trail: an alert's, and until when a silence holds */
interface TrailEvent extends AlertEvent {
  until: string;
}

const NEXT: Record<Incident['status'], Array<['ack' | 'resolve' | 'reopen', string]>> = {
  open: [['ack', 'Acknowledge'], ['resolve', 'Resolve']],
  acknowledged: [['resolve', 'Resolve']],
  resolved: [['reopen', 'Reopen']],
};

function Opened(p: { incident: Incident; me: Me; onChanged: () => void }) {
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [events, setEvents] = useState<TrailEvent[]>([]);
  const [comment, setComment] = useState('');
  const [silenceMin, setSilenceMin] = useState(60);
  const [error, setError] = useState('');
  useEffect(() => {
    get<{ alerts: Alert[]; events: TrailEvent[] }>(`/v1/incidents/${encodeURIComponent(p.incident.id)}`).then(
      (r) => {
        setAlerts(r.alerts);
        setEvents(r.events);
      },
      (err) => setError(err instanceof ApiError ? err.message : String(err)),
    );
  }, [p.incident.id, p.incident.alerts_count, p.incident.status, p.incident.silenced_until]);
  const act = async (action: string, extra: Record<string, unknown> = {}) => {
    setError('');
    try {
      await post(`/v1/incidents/${encodeURIComponent(p.incident.id)}/${action}`, { comment, ...extra });
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
                  {a.detector} · {a.entity.type} <code>{a.entity.value}</code> · {a.status}
                </div>
              </td>
              <td class="when" title={utc(a.first_seen)}>
                {utc(a.first_seen)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {events.length > 0 && (
        <ol class="trail" data-testid="incident-trail">
          {events.map((e) => (
            <li>
              {utc(e.at)} · <b>{e.actor}</b> {e.action.replace('_', '-')}
              {e.from_status !== e.to_status && ` (${e.from_status} → ${e.to_status})`}
              {e.until && ` until ${utc(e.until)}`}
              {e.comment && `: ${e.comment}`}
            </li>
          ))}
        </ol>
      )}
      {can(p.me, 'analyst') && (
        <div class="actions">
          <input placeholder="reason (kept in the trail)" value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} aria-label="reason" maxLength={2000} />
          {NEXT[p.incident.status].map(([action, label]) => (
            <button class="secondary" onClick={() => void act(action)} data-testid={`incident-${action}`}>
              {label}
            </button>
          ))}
          {p.incident.status !== 'resolved' && !p.incident.silenced_until && (
            <>
              <select value={String(silenceMin)} onChange={(e) => setSilenceMin(Number((e.target as HTMLSelectElement).value))} aria-label="silence for">
                <option value="60">1 hour</option>
                <option value="240">4 hours</option>
                <option value="1440">24 hours</option>
                <option value="10080">7 days</option>
              </select>
              <button class="secondary" onClick={() => void act('silence', { duration_min: silenceMin })} data-testid="incident-silence">
                Silence notifications
              </button>
            </>
          )}
          {p.incident.silenced_until && (
            <button class="secondary" onClick={() => void act('unsilence')} data-testid="incident-unsilence">
              Lift silence
            </button>
          )}
        </div>
      )}
      {error && <div class="error">{error}</div>}
    </div>
  );
}

export function Incidents(p: { me: Me; version: number; selected?: string }) {
  const [list, setList] = useState<Incident[]>([]);
  const [open, setOpen] = useState(p.selected ?? '');
  const [extra, setExtra] = useState<Incident | null>(null);
  useEffect(() => setOpen(p.selected ?? ''), [p.selected]);
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
  // a linked incident that is not in the list (older, or another status): fetched on its own
  useEffect(() => {
    if (!p.selected || list.some((i) => i.id === p.selected)) return setExtra(null);
    get<{ incident: Incident }>(`/v1/incidents/${encodeURIComponent(p.selected)}`).then(
      (r) => setExtra(r.incident),
      (err) => setError(err instanceof ApiError ? err.message : String(err)),
    );
  }, [p.selected, list, tick, p.version]);
  const shown = extra ? [extra, ...list] : list;
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
      {shown.length === 0 && !error && (
        <div class="empty" data-testid="no-incidents">
          <p>No incidents. Related alerts (one attack seen by several detectors) are grouped here.</p>
        </div>
      )}
      <table class="alerts" data-testid="incident-list">
        <tbody>
          {shown.map((i) => (
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
                <td class="status">
                  {i.status}
                  {i.silenced_until && (
                    <div class="meta" title={`notifications held back until ${utc(i.silenced_until)}`}>
                      silenced
                    </div>
                  )}
                </td>
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
