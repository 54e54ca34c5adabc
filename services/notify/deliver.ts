/** One attempt to deliver one alert to one channel, whatever the channel's kind. */
import type { Alert } from '../../schemas/alert-schema.js';
import type { Channel } from '../../schemas/notify-config-schema.js';
import type { AttemptOutcome } from './retry-policy.js';
import { postWebhook } from './webhook-sender.js';
import { webhookBody } from './webhook-payload.js';
import { sendAlertEmail } from './email-sender.js';

export type Deliver = (channel: Channel, alert: Alert, dashboardUrl: string, deliveryId: string) => Promise<AttemptOutcome & { latencyMs: number }>;

export const deliver: Deliver = (channel, alert, dashboardUrl, deliveryId) =>
  channel.type === 'email' ? sendAlertEmail(channel, alert, dashboardUrl, deliveryId) : postWebhook(channel, webhookBody(channel, alert, dashboardUrl), deliveryId);
