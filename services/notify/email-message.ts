/**
 * An alert as an e-mail a person on call can act on: what happened, where, observed against
 * expected, when, a link to it, and the query that reproduces it — in plain text and in HTML
 * (every value escaped). Evidence rows are bounded like a webhook's.
 */
import type { Alert } from '../../schemas/alert-schema.js';
import { alertLink } from './webhook-payload.js';

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
