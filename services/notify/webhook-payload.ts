/**
 * What a webhook carries: the full alert (already redacted at ingest: alerts are built from
 * stored rows only) and a link to it; for the alerts of an incident, the incident and the
 * alerts that are new to this message (opened, updated) or its resolution; or a
 * Slack-compatible message. Evidence rows are cut to
 * a bounded size so one huge alert cannot make a huge request.
 */
import type { Alert } from '../../schemas/alert-schema.js';
import type { WebhookChannel } from '../../schemas/notify-config-schema.js';
import type { IncidentView } from '../storage/incident-store.js';

const MAX_EVIDENCE_CHARS = 16_384;

/**
 * Text for Slack's mrkdwn: `&`, `<` and `>` escaped, so a value from a log (a user name, a path)
 * or a comment cannot mention @channel, hide a link or format the message.
 */
export const slackText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** a value in a code span: escaped, and no backtick to close it */
const slackCode = (s: string) => `\`${slackText(s).replace(/`/g, "'")}\``;

export function alertLink(dashboardUrl: string, a: Alert): string {
  return `${dashboardUrl.replace(/\/$/, '')}/#/alerts/${a.id}`;
}

function bounded(a: Alert): Alert {
  const rows = JSON.stringify(a.evidence.rows);
  if (rows.length <= MAX_EVIDENCE_CHARS) return a;
  const kept: Array<Record<string, unknown>> = [];
  let size = 2;
  for (const r of a.evidence.rows) {
    size += JSON.stringify(r).length + 1;
    if (size > MAX_EVIDENCE_CHARS) break;
    kept.push(r);
  }
  return { ...a, evidence: { ...a.evidence, rows: kept } };
}

export function webhookBody(channel: WebhookChannel, a: Alert, dashboardUrl: string): string {
  const link = alertLink(dashboardUrl, a);
  if (channel.format === 'slack') {
    const emoji = { low: ':information_source:', medium: ':warning:', high: ':rotating_light:', critical: ':fire:' }[a.severity];
    return JSON.stringify({
      text: `${emoji} [${a.severity}] ${a.detector}: ${slackText(a.summary)}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `${emoji} *${a.severity.toUpperCase()}* · *${a.detector}* · ${a.owasp}\n${slackText(a.summary)}` } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: `*Entity*\n${a.entity.type} ${slackCode(a.entity.value)}` },
            { type: 'mrkdwn', text: `*Observed / expected*\n${a.observed} / ${a.expected}` },
            { type: 'mrkdwn', text: `*Window*\n${a.window.start} – ${a.window.end}` },
          ],
        },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Gatewatch' }, url: link }] },
      ],
    });
  }
  return JSON.stringify({ type: 'alert', alert: bounded(a), link });
}

/** Several alerts in one message: grouped about one entity, or the overflow of a rate limit. */
export function groupWebhookBody(channel: WebhookChannel, alerts: Alert[], dashboardUrl: string, reason: 'group' | 'rate_limit'): string {
  const link = `${dashboardUrl.replace(/\/$/, '')}/#/alerts`;
  const title = reason === 'group' ? `${alerts.length} alerts about ${alerts[0]!.entity.type} ${alerts[0]!.entity.value}` : `${alerts.length} alerts held back by this channel's rate limit`;
  if (channel.format === 'slack') {
    const lines = alerts.slice(0, 20).map((a) => `• *${a.severity}* ${a.detector}: ${slackText(a.summary)}`);
    if (alerts.length > 20) lines.push(`… and ${alerts.length - 20} more`);
    return JSON.stringify({ text: slackText(title), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${slackText(title)}*\n${lines.join('\n')}` } }, { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Gatewatch' }, url: link }] }] });
  }
  let budget = MAX_EVIDENCE_CHARS * 4;
  const kept = alerts.map((a) => {
    const b = bounded(a);
    const size = JSON.stringify(b.evidence.rows).length;
    budget -= size;
    return budget > 0 ? b : { ...b, evidence: { ...b.evidence, rows: [] } };
  });
  return JSON.stringify({ type: 'alert_group', reason, count: alerts.length, summary: title, alerts: kept, links: alerts.map((a) => alertLink(dashboardUrl, a)), link });
}

/** What an incident message says: it opened, it has new alerts, or it was resolved (and by whom). */
export interface IncidentNotice {
  event: 'opened' | 'updated' | 'resolved';
  incident: IncidentView;
  /** for a resolution: who (a person's key id, or `system` when every alert cleared), when, why */
  resolution?: { by: string; at: string; comment: string };
}

export function incidentLink(dashboardUrl: string, id: string): string {
  return `${dashboardUrl.replace(/\/$/, '')}/#/incidents/${encodeURIComponent(id)}`;
}

/** The headline of an incident message, the same in a webhook, Slack and an e-mail subject. */
export function incidentHeadline(n: IncidentNotice, newAlerts: number): string {
  const i = n.incident;
  if (n.event === 'resolved') return `Resolved: ${i.title}`;
  if (n.event === 'updated') return `${newAlerts} new alert${newAlerts === 1 ? '' : 's'} in ${i.severity} incident: ${i.title}`;
  return `${i.severity.toUpperCase()} incident: ${i.title}`;
}

export function resolutionText(r: NonNullable<IncidentNotice['resolution']>): string {
  const who = r.by === 'system' ? 'the system (every alert clear)' : r.by;
  return `resolved by ${who} at ${r.at}${r.comment && r.by !== 'system' ? `: ${r.comment}` : ''}`;
}

/**
 * An incident message: the incident (title, severity, status, entities, detectors, OWASP
 * tags, times) and the alerts this message is about (bounded like a single alert's evidence),
 * or its resolution. Slack gets the same as blocks.
 */
export function incidentWebhookBody(channel: WebhookChannel, n: IncidentNotice, alerts: Alert[], dashboardUrl: string): string {
  const i = n.incident;
  const link = incidentLink(dashboardUrl, i.id);
  const headline = incidentHeadline(n, alerts.length);
  if (channel.format === 'slack') {
    const emoji = n.event === 'resolved' ? ':white_check_mark:' : { low: ':information_source:', medium: ':warning:', high: ':rotating_light:', critical: ':fire:' }[i.severity];
    const lines = alerts.slice(0, 10).map((a) => `• *${a.severity}* ${a.detector}: ${slackText(a.summary)}`);
    if (alerts.length > 10) lines.push(`… and ${alerts.length - 10} more`);
    const keys = i.keys.slice(0, 8).map(slackCode).join(', ') + (i.keys.length > 8 ? ` and ${i.keys.length - 8} more` : '');
    return JSON.stringify({
      text: `${emoji} ${slackText(headline)}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `${emoji} *${slackText(headline)}*${n.resolution ? `\n${slackText(resolutionText(n.resolution))}` : ''}${lines.length ? `\n${lines.join('\n')}` : ''}` } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: `*Entities*\n${keys}` },
            { type: 'mrkdwn', text: `*Detectors*\n${i.detectors.join(', ')} (${i.owasp.join(', ')})` },
            { type: 'mrkdwn', text: `*Alerts*\n${i.alerts_count}, ${i.status}` },
            { type: 'mrkdwn', text: `*Seen*\n${i.first_seen} – ${i.last_seen}` },
          ],
        },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open the incident' }, url: link }] },
      ],
    });
  }
  let budget = MAX_EVIDENCE_CHARS * 4;
  const kept = alerts.map((a) => {
    const b = bounded(a);
    budget -= JSON.stringify(b.evidence.rows).length;
    return budget > 0 ? b : { ...b, evidence: { ...b.evidence, rows: [] } };
  });
  return JSON.stringify({
    type: 'incident',
    event: n.event,
    summary: headline,
    incident: i,
    alerts: kept,
    ...(n.resolution ? { resolution: n.resolution } : {}),
    link,
    links: alerts.map((a) => alertLink(dashboardUrl, a)),
  });
}
