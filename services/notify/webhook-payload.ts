/**
 * What a webhook carries: the full alert (already redacted at ingest: alerts are built from
 * stored rows only) and a link to it; or a Slack-compatible message. Evidence rows are cut to
 * a bounded size so one huge alert cannot make a huge request.
 */
import type { Alert } from '../../schemas/alert-schema.js';
import type { WebhookChannel } from '../../schemas/notify-config-schema.js';

const MAX_EVIDENCE_CHARS = 16_384;

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
      text: `${emoji} [${a.severity}] ${a.detector}: ${a.summary}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `${emoji} *${a.severity.toUpperCase()}* · *${a.detector}* · ${a.owasp}\n${a.summary}` } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: `*Entity*\n${a.entity.type} \`${a.entity.value}\`` },
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
    const lines = alerts.slice(0, 20).map((a) => `• *${a.severity}* ${a.detector}: ${a.summary}`);
    if (alerts.length > 20) lines.push(`… and ${alerts.length - 20} more`);
    return JSON.stringify({ text: title, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${title}*\n${lines.join('\n')}` } }, { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Gatewatch' }, url: link }] }] });
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
