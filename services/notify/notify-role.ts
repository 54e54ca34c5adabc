/** The notify role: runs in the all-in-one process or alone (`gatewatch notify`). */
import type { Runtime } from '../shared/runtime.js';
import { createClickHouseAlertStore } from '../detect/clickhouse-alert-store.js';
import { createNotifier, type Notifier } from './notifier.js';
import { closeEmailTransports } from './email-sender.js';

export function startNotifyRole(rt: Runtime): Notifier | undefined {
  const { config, log } = rt;
  if (!config.notify.enabled || config.notify.channels.length === 0) {
    log.info('no notification channels configured: alerts are stored, not sent');
    return undefined;
  }
  const notifier = createNotifier({ config, store: rt.store, alerts: createClickHouseAlertStore(rt.store), log: log.child({ component: 'notify' }) });
  notifier.start();
  log.info({ channels: config.notify.channels.map((c) => c.name) }, 'notifier started');
  rt.onClose('notify', async () => {
    await notifier.stop();
    closeEmailTransports();
  });
  return notifier;
}
