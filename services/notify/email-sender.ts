/**
 * One alert e-mail over SMTP (nodemailer): STARTTLS required unless the channel says
 * otherwise, auth from config, bounded connection and socket time. SMTP's own codes decide
 * what is retried: a 4xx reply or a dropped connection is temporary, a 5xx reply is final.
 * The connection is opened through the SSRF guard (ssrf-guard.ts), not by nodemailer's own
 * resolver: the SMTP host must be at a public address unless the channel sets allowPrivate
 * (a local relay); a refused address is final.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Alert } from '../../schemas/alert-schema.js';
import type { EmailChannel } from '../../schemas/notify-config-schema.js';
import { errorMessage } from '../shared/errors.js';
import type { AttemptOutcome } from './retry-policy.js';
import { digestEmailMessage, emailMessage, groupEmailMessage, incidentEmailMessage, type Digest } from './email-message.js';
import type { IncidentNotice } from './webhook-payload.js';
import { BlockedAddressError, connectGuarded } from './ssrf-guard.js';

const transports = new Map<string, { settings: string; transport: Transporter }>();

function transportFor(c: EmailChannel): Transporter {
  // a channel replaced at run time (PUT /v1/channels) gets a transport with its new settings
  const settings = JSON.stringify([c.smtp, c.allowPrivate === true]);
  const cached = transports.get(c.name);
  if (cached?.settings === settings) return cached.transport;
  cached?.transport.close();
  const transport = nodemailer.createTransport({
    host: c.smtp.host,
    port: c.smtp.port,
    secure: c.smtp.secure,
    requireTLS: c.smtp.requireTls,
    ignoreTLS: !c.smtp.requireTls && !c.smtp.secure,
    ...(c.smtp.user ? { auth: { user: c.smtp.user, pass: c.smtp.pass ?? '' } } : {}),
    tls: { rejectUnauthorized: c.smtp.rejectUnauthorized },
    connectionTimeout: c.smtp.timeoutMs,
    greetingTimeout: c.smtp.timeoutMs,
    socketTimeout: c.smtp.timeoutMs,
    // nodemailer would resolve the host and connect by itself; it is handed a connection made
    // through the guard instead (TLS, with `secure` or STARTTLS, still verifies the host name)
    getSocket: (_opts, done) => {
      connectGuarded({ host: c.smtp.host, port: c.smtp.port, allowPrivate: c.allowPrivate === true, timeoutMs: c.smtp.timeoutMs }).then(
        (connection) => done(null, { connection }),
        (err: Error) => done(err),
      );
    },
  });
  transports.set(c.name, { settings, transport });
  return transport;
}

export async function sendAlertEmail(c: EmailChannel, alerts: Alert[], dashboardUrl: string, deliveryId: string, reason: 'group' | 'rate_limit' = 'group', incident?: IncidentNotice): Promise<AttemptOutcome & { latencyMs: number }> {
  if (incident) {
    // one thread per incident in the recipient's mail client
    // the first message is the thread's root (its Message-ID); the others refer to it
    const thread = `<${incident.incident.id}@incidents.gatewatch>`;
    const headers = { 'X-Gatewatch-Delivery': deliveryId, 'X-Gatewatch-Incident': incident.incident.id };
    if (incident.event === 'opened') return sendEmail(c, incidentEmailMessage(incident, alerts, dashboardUrl), headers, thread);
    return sendEmail(c, incidentEmailMessage(incident, alerts, dashboardUrl), { ...headers, References: thread, 'In-Reply-To': thread });
  }
  const a = alerts[0]!;
  const m = alerts.length === 1 ? emailMessage(a, dashboardUrl) : groupEmailMessage(alerts, dashboardUrl, reason);
  return sendEmail(c, m, { 'X-Gatewatch-Delivery': deliveryId, 'X-Gatewatch-Alert': a.id });
}

/** The periodic digest of a channel (see EmailChannel.digest). */
export async function sendDigestEmail(c: EmailChannel, d: Digest, dashboardUrl: string, deliveryId: string): Promise<AttemptOutcome & { latencyMs: number }> {
  return sendEmail(c, digestEmailMessage(d, dashboardUrl), { 'X-Gatewatch-Delivery': deliveryId, 'X-Gatewatch-Digest': `${new Date(d.from).toISOString()}/${new Date(d.to).toISOString()}` });
}

async function sendEmail(c: EmailChannel, m: { subject: string; text: string; html: string }, headers: Record<string, string>, messageId?: string): Promise<AttemptOutcome & { latencyMs: number }> {
  const started = performance.now();
  try {
    const info = await transportFor(c).sendMail({ from: c.from, to: c.to, subject: m.subject, text: m.text, html: m.html, headers, ...(messageId ? { messageId } : {}) });
    const rejected = (info.rejected ?? []).length;
    if (rejected === c.to.length) return { ok: false, status: 550, error: `every recipient rejected: ${info.response}`, permanent: true, latencyMs: Math.round(performance.now() - started) };
    return { ok: true, status: 250, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    // an address the guard refused will not become public by waiting: final
    if (err instanceof BlockedAddressError) return { ok: false, error: err.message, permanent: true, latencyMs: Math.round(performance.now() - started) };
    const code = (err as { responseCode?: number }).responseCode;
    // SMTP: 5xx is final, 4xx (and a lost connection) is worth another try
    const kind = code === undefined ? {} : code >= 500 ? { permanent: true } : { temporary: true };
    return { ok: false, ...(code !== undefined ? { status: code } : {}), error: errorMessage(err), ...kind, latencyMs: Math.round(performance.now() - started) };
  }
}

export function closeEmailTransports(): void {
  for (const t of transports.values()) t.transport.close();
  transports.clear();
}
