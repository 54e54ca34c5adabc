/** The notify role: runs in the all-in-one process or alone (`gatewatch notify`). */
import type { Runtime } from '../shared/runtime.js';
import { createClickHouseAlertStore } from '../storage/clickhouse-alert-store.js';
import { createNotifier, type Notifier } from './notifier.js';
import { closeEmailTransports } from './email-sender.js';
import { createChannelStore } from '../storage/channel-store.js';
import { fingerprintKey } from '../ingest/build-pipeline.js';
import { createLease } from '../storage/lease.js';
import { errorMessage } from '../shared/errors.js';

export function startNotifyRole(rt: Runtime): Notifier | undefined {
  const { config, log } = rt;
  if (!config.notify.enabled) {
    log.info('notifications are disabled (notify.enabled: false): alerts are stored, not sent');
    return undefined;
  }
  const channels = createChannelStore({ store: rt.store, configChannels: config.notify.channels, fingerprintKey: fingerprintKey(config, log), log });
  // one process per notifier instance: a second one started with the same notify.instance stands by
  const lease = createLease(rt.store, `notify:${config.notify.instance}`, { ttlMs: config.notify.leaseSec * 1000, log: log.child({ component: 'notify' }) });
  const notifier = createNotifier({ config, store: rt.store, alerts: createClickHouseAlertStore(rt.store), log: log.child({ component: 'notify' }), channels: () => channels.channels(), lease });
  notifier.start();
  log.info({ configChannels: config.notify.channels.map((c) => c.name) }, 'notifier started (channels added through the API are picked up within seconds)');
  rt.onClose('notify', async () => {
    await notifier.stop();
    closeEmailTransports();
    await lease.release().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'could not release the notify lease: a standby takes over when it expires'));
  });
  return notifier;
}
