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
