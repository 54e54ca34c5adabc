/** `gatewatch notify test CHANNEL`: a test alert to one channel (webhook or e-mail), and what the receiver answered. */
import type { Alert } from '../../schemas/alert-schema.js';
import type { Config } from '../../schemas/config-schema.js';
import { deliver } from '../notify/deliver.js';
import { closeEmailTransports } from '../notify/email-sender.js';

export async function notifyTestCommand(config: Config, name: string): Promise<void> {
  const channel = config.notify.channels.find((c) => c.name === name);
  if (!channel) throw new Error(`no channel named ${JSON.stringify(name)}; configured: ${config.notify.channels.map((c) => c.name).join(', ') || 'none'}`);
  const now = new Date();
  const alert: Alert = {
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
  const r = await deliver(channel, [alert], config.notify.dashboardUrl, alert.id);
  closeEmailTransports();
  if (!r.ok) throw new Error(`channel ${name}: ${r.error} (${r.latencyMs} ms)`);
  console.log(`channel ${name}: delivered (${channel.type === 'email' ? 'SMTP' : 'HTTP'} ${r.status}) in ${r.latencyMs} ms`);
}
