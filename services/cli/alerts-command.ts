/** `gatewatch alerts [--json]`: alerts newest first, through a running server when one holds the store. */
import type { Alert } from '../../schemas/alert-schema.js';
import type { Config } from '../../schemas/config-schema.js';
import { createClickHouseAlertStore } from '../storage/clickhouse-alert-store.js';
import { createLogger } from '../shared/logger.js';
import { openRuntime } from '../shared/runtime.js';
import { callServer, findLocalServer } from './local-server.js';

async function fetchAlerts(config: Config, opts: { status?: string; limit: number }): Promise<Alert[]> {
  const server = config.clickhouse.url ? undefined : findLocalServer(config.dataDir);
  if (server) {
    const q = new URLSearchParams({ limit: String(opts.limit), ...(opts.status ? { status: opts.status } : {}) });
    const res = await callServer(server, `/v1/alerts?${q}`, { method: 'GET' });
    if (!res.ok) throw new Error(`the server refused: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { alerts: Alert[] }).alerts;
  }
  const rt = await openRuntime(config, { role: 'cli', log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { pretty: false, redaction: config.redaction }) });
  try {
    return await createClickHouseAlertStore(rt.store).list(opts);
  } finally {
    await rt.close();
  }
}

export async function alertsCommand(config: Config, opts: { json?: boolean; status?: string; limit: number }): Promise<void> {
  const alerts = await fetchAlerts(config, opts);
  if (opts.json) {
    process.stdout.write(JSON.stringify(alerts, null, 2) + '\n');
    return;
  }
  if (alerts.length === 0) {
    process.stdout.write('no alerts\n');
    return;
  }
  for (const a of alerts) {
    process.stdout.write(`${a.last_seen}  ${a.severity.padEnd(8)} ${a.status.padEnd(12)} ${a.detector.padEnd(24)} ${a.entity.type}:${a.entity.value}\n    ${a.summary}\n`);
  }
}
