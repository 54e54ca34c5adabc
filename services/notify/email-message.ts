/**
 * An alert as an e-mail a person on call can act on: what happened, where, observed against
 * expected, when, a link to it, and the query that reproduces it — in plain text and in HTML
 * (every value escaped). Evidence rows are bounded like a webhook's.
 */
import type { Alert } from '../../schemas/alert-schema.js';
import { alertLink, incidentHeadline, incidentLink, resolutionText, type IncidentNotice } from './webhook-payload.js';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const MAX_ROWS = 5;
const MAX_CELL = 200;

export function emailMessage(a: Alert, dashboardUrl: string): { subject: string; text: string; html: string } {
  const link = alertLink(dashboardUrl, a);
  const subject = `[Gatewatch] ${a.severity.toUpperCase()} ${a.detector}: ${a.entity.type} ${a.entity.value}`.slice(0, 200);
  const facts: Array<[string, string]> = [
    ['What', a.summary],
    ['Detector', `${a.detector} (${a.owasp})`],
    ['Entity', `${a.entity.type} ${a.entity.value}`],
    ['Observed / expected', `${a.observed} / ${a.expected} (score ${a.score})`],
    ['Window (event time)', `${a.window.start} – ${a.window.end}`],
    ['Severity', a.severity],
  ];
  const rows = a.evidence.rows.slice(0, MAX_ROWS).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(typeof v === 'object' ? JSON.stringify(v) : v).slice(0, MAX_CELL)])));
  const cols = rows[0] ? Object.keys(rows[0]) : [];
  const text = [
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    `Open it: ${link}`,
    '',
    'Reproduce it (read-only SQL):',
    a.evidence.sql,
    ...(rows.length ? ['', 'Sample rows:', cols.join('\t'), ...rows.map((r) => cols.map((c) => r[c]).join('\t'))] : []),
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif">
<h2 style="margin:0 0 8px">${escape(a.severity.toUpperCase())} · ${escape(a.detector)}</h2>
<p>${escape(a.summary)}</p>
<table cellpadding="4" style="border-collapse:collapse">${facts.map(([k, v]) => `<tr><th align="left">${escape(k)}</th><td>${escape(v)}</td></tr>`).join('')}</table>
<p><a href="${escape(link)}">Open the alert in Gatewatch</a></p>
<p>Reproduce it (read-only SQL):</p><pre style="background:#f4f4f4;padding:8px;white-space:pre-wrap">${escape(a.evidence.sql)}</pre>
${rows.length ? `<table border="1" cellpadding="3" style="border-collapse:collapse;font-size:12px"><tr>${cols.map((c) => `<th>${escape(c)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${cols.map((c) => `<td>${escape(r[c] ?? '')}</td>`).join('')}</tr>`).join('')}</table>` : ''}
</body></html>`;
  return { subject, text, html };
}

/** Several alerts in one e-mail: each one's summary and link, the details a click away. */
export function groupEmailMessage(alerts: Alert[], dashboardUrl: string, reason: 'group' | 'rate_limit'): { subject: string; text: string; html: string } {
  const first = alerts[0]!;
  const subject = (reason === 'group' ? `[Gatewatch] ${alerts.length} alerts: ${first.entity.type} ${first.entity.value}` : `[Gatewatch] ${alerts.length} more alerts (rate limit)`).slice(0, 200);
  const lines = alerts.map((a) => ({ head: `${a.severity.toUpperCase()} ${a.detector} · ${a.entity.type} ${a.entity.value}`, summary: a.summary, link: alertLink(dashboardUrl, a) }));
  const text = lines.map((l) => `${l.head}\n  ${l.summary}\n  ${l.link}`).join('\n\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif"><h2>${escape(subject.replace('[Gatewatch] ', ''))}</h2><ul>${lines.map((l) => `<li><b>${escape(l.head)}</b><br>${escape(l.summary)}<br><a href="${escape(l.link)}">open</a></li>`).join('')}</ul></body></html>`;
  return { subject, text, html };
}

/**
 * An incident in one e-mail: opened (its alerts so far), updated (the alerts new since the last
 * message) or resolved (by whom, why). Every message about one incident names it in the
 * subject and in References, so mail clients thread them.
 */
export function incidentEmailMessage(n: IncidentNotice, alerts: Alert[], dashboardUrl: string): { subject: string; text: string; html: string } {
  const i = n.incident;
  const link = incidentLink(dashboardUrl, i.id);
  const subject = `[Gatewatch] ${incidentHeadline(n, alerts.length)}`.slice(0, 200);
  const facts: Array<[string, string]> = [
    ['Incident', `${i.id} (${i.status})`],
    ['Severity', i.severity],
    ['Entities', i.keys.slice(0, 20).join(', ') + (i.keys.length > 20 ? ` and ${i.keys.length - 20} more` : '')],
    ['Detectors', `${i.detectors.join(', ')} (${i.owasp.join(', ')})`],
    ['Alerts', String(i.alerts_count)],
    ['Seen (event time)', `${i.first_seen} – ${i.last_seen}`],
    ...(n.resolution ? [['Resolution', resolutionText(n.resolution)] as [string, string]] : []),
  ];
  const lines = alerts.map((a) => ({ head: `${a.severity.toUpperCase()} ${a.detector} · ${a.entity.type} ${a.entity.value}`, summary: a.summary, link: alertLink(dashboardUrl, a) }));
  const intro = n.event === 'opened' ? 'Its alerts:' : n.event === 'updated' ? 'New alerts since the last message:' : '';
  const text = [
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    `Open it: ${link}`,
    ...(lines.length ? ['', intro, ...lines.map((l) => `${l.head}\n  ${l.summary}\n  ${l.link}`)] : []),
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif">
<h2 style="margin:0 0 8px">${escape(subject.replace('[Gatewatch] ', ''))}</h2>
<table cellpadding="4" style="border-collapse:collapse">${facts.map(([k, v]) => `<tr><th align="left">${escape(k)}</th><td>${escape(v)}</td></tr>`).join('')}</table>
<p><a href="${escape(link)}">Open the incident in Gatewatch</a></p>
${lines.length ? `<p>${escape(intro)}</p><ul>${lines.map((l) => `<li><b>${escape(l.head)}</b><br>${escape(l.summary)}<br><a href="${escape(l.link)}">open</a></li>`).join('')}</ul>` : ''}
</body></html>`;
  return { subject, text, html };
}

export interface Digest {
  from: number;
  to: number;
  /** the alerts listed (the most severe first, at most DIGEST_LIST) */
  alerts: Alert[];
  /** every alert of the period, by severity and by detector */
  total: number;
  bySeverity: Record<string, number>;
  byDetector: Record<string, number>;
  silenced: number;
}

export const DIGEST_LIST = 200;

/** A period's alerts in one e-mail: the counts first, then each alert's line and link. */
export function digestEmailMessage(d: Digest, dashboardUrl: string): { subject: string; text: string; html: string } {
  const span = `${new Date(d.from).toISOString().slice(0, 16).replace('T', ' ')} – ${new Date(d.to).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const sev = ['critical', 'high', 'medium', 'low'].filter((s) => d.bySeverity[s]).map((s) => `${d.bySeverity[s]} ${s}`);
  const subject = `[Gatewatch] digest: ${d.total} alert${d.total === 1 ? '' : 's'}${sev.length ? ` (${sev.join(', ')})` : ''}, ${span}`.slice(0, 200);
  const detectors = Object.entries(d.byDetector).sort((a, b) => b[1] - a[1]);
  const lines = d.alerts.map((a) => ({ head: `${a.severity.toUpperCase()} ${a.detector} · ${a.entity.type} ${a.entity.value} · ${a.status}`, summary: a.summary, link: alertLink(dashboardUrl, a) }));
  const more = d.total - d.alerts.length;
  const text = [
    `Gatewatch digest, ${span}`,
    '',
    d.total === 0 ? 'No alert in this period.' : `${d.total} alert(s): ${sev.join(', ')}`,
    ...(detectors.length ? ['By detector: ' + detectors.map(([k, v]) => `${k} ${v}`).join(', ')] : []),
    ...(d.silenced ? [`${d.silenced} silenced alert(s) not listed.`] : []),
    '',
    ...lines.map((l) => `${l.head}\n  ${l.summary}\n  ${l.link}`),
    ...(more > 0 ? ['', `… and ${more} more: ${dashboardUrl.replace(/\/+$/, '')}/#/alerts`] : []),
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif">
<h2 style="margin:0 0 8px">Gatewatch digest</h2><p>${escape(span)}</p>
<p><b>${d.total === 0 ? 'No alert in this period.' : `${d.total} alert(s)`}</b>${sev.length ? ` — ${escape(sev.join(', '))}` : ''}</p>
${detectors.length ? `<table cellpadding="3" style="border-collapse:collapse">${detectors.map(([k, v]) => `<tr><td>${escape(k)}</td><td align="right">${v}</td></tr>`).join('')}</table>` : ''}
${d.silenced ? `<p>${d.silenced} silenced alert(s) not listed.</p>` : ''}
<ul>${lines.map((l) => `<li><b>${escape(l.head)}</b><br>${escape(l.summary)}<br><a href="${escape(l.link)}">open</a></li>`).join('')}</ul>
${more > 0 ? `<p>… and ${more} more in <a href="${escape(dashboardUrl.replace(/\/+$/, '') + '/#/alerts')}">the dashboard</a>.</p>` : ''}
</body></html>`;
  return { subject, text, html };
}
