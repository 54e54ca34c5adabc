/** One attempt to deliver one alert to one channel, whatever the channel's kind. */
import type { Alert } from '../../schemas/alert-schema.js';
import type { Channel } from '../../schemas/notify-config-schema.js';
import type { AttemptOutcome } from './retry-policy.js';
import { postWebhook } from './webhook-sender.js';
import { groupWebhookBody, incidentWebhookBody, webhookBody, type IncidentNotice } from './webhook-payload.js';
import { sendAlertEmail } from './email-sender.js';

/**
 * One message: about an incident (opened with its alerts, updated with new ones, resolved), or
 * one alert in no incident, several about one entity (`group`), or the overflow of a rate limit.
 */
export type Deliver = (channel: Channel, alerts: Alert[], dashboardUrl: string, deliveryId: string, reason?: 'group' | 'rate_limit', incident?: IncidentNotice) => Promise<AttemptOutcome & { latencyMs: number }>;

export const deliver: Deliver = (channel, alerts, dashboardUrl, deliveryId, reason = 'group', incident) => {
  if (channel.type === 'email') return sendAlertEmail(channel, alerts, dashboardUrl, deliveryId, reason, incident);
  const body = incident ? incidentWebhookBody(channel, incident, alerts, dashboardUrl) : alerts.length === 1 ? webhookBody(channel, alerts[0]!, dashboardUrl) : groupWebhookBody(channel, alerts, dashboardUrl, reason);
  return postWebhook(channel, body, deliveryId);
};

/** What `gatewatch notify test` and POST /v1/channels/:name/test send: plainly a test. */
export function testAlert(): Alert {
  const now = new Date();
  return {
    id: `test-${now.getTime()}`,
    detector: 'test',
    severity: 'low',
    entity: { type: 'ip', value: '192.0.2.1' },
    window: { start: new Date(now.getTime() - 60_000).toISOString(), end: now.toISOString() },
    observed: 1,
    expected: 0,
    score: 1,
    summary: 'Test notification from Gatewatch: if you can read this, the channel works.',
    owasp: 'API2',
    evidence: { sql: 'SELECT 1', rows: [] },
    detail: { test: true },
    status: 'open',
    windows: 1,
    first_seen: now.toISOString(),
    last_seen: now.toISOString(),
  };
}
