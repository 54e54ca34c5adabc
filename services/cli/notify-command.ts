/** `gatewatch notify test CHANNEL`: a test alert to one channel (webhook or e-mail), and what the receiver answered. */
import type { Config } from '../../schemas/config-schema.js';
import { deliver, testAlert } from '../notify/deliver.js';
import { closeEmailTransports } from '../notify/email-sender.js';
import { createChannelStore } from '../storage/channel-store.js';
import { fingerprintKey } from '../ingest/build-pipeline.js';
import type { Channel } from '../../schemas/notify-config-schema.js';
import { createLogger } from '../shared/logger.js';
import { openRuntime } from '../shared/runtime.js';
import { callServer, findLocalServer } from './local-server.js';

/** A channel of the config file, or one added through the API (read from the store). */
async function findChannel(config: Config, name: string): Promise<Channel | 'via-server' | undefined> {
  const fromConfig = config.notify.channels.find((c) => c.name === name);
  if (fromConfig) return fromConfig;
  if (!config.clickhouse.url && findLocalServer(config.dataDir)) return 'via-server';
  const log = createLogger('warn', { pretty: false, redaction: config.redaction });
  const rt = await openRuntime(config, { role: 'cli', log });
  try {
    return (await createChannelStore({ store: rt.store, configChannels: config.notify.channels, fingerprintKey: fingerprintKey(config, log), log }).get(name))?.channel;
  } finally {
    await rt.close();
  }
}

export async function notifyTestCommand(config: Config, name: string): Promise<void> {
  const found = await findChannel(config, name);
  if (found === 'via-server') {
    // the running server holds the embedded store: it sends the test
    const res = await callServer(findLocalServer(config.dataDir)!, `/v1/channels/${encodeURIComponent(name)}/test`, { method: 'POST' });
    const body = (await res.json()) as { delivered?: boolean; status?: number | null; latency_ms?: number; error?: string | null };
    if (!res.ok) throw new Error(`channel ${name}: ${body.error ?? res.status}`);
    if (!body.delivered) throw new Error(`channel ${name}: ${body.error} (${body.latency_ms} ms)`);
    console.log(`channel ${name}: delivered (status ${body.status}) in ${body.latency_ms} ms`);
    return;
  }
  if (!found) throw new Error(`no channel named ${JSON.stringify(name)}; in the config file: ${config.notify.channels.map((c) => c.name).join(', ') || 'none'} (and none by that name added through the API)`);
  const channel = found;
  const alert = testAlert();
  const r = await deliver(channel, [alert], config.notify.dashboardUrl, alert.id);
  closeEmailTransports();
  if (!r.ok) throw new Error(`channel ${name}: ${r.error} (${r.latencyMs} ms)`);
  console.log(`channel ${name}: delivered (${channel.type === 'email' ? 'SMTP' : 'HTTP'} ${r.status}) in ${r.latencyMs} ms`);
}
