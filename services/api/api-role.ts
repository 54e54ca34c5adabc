/** Composition root of the API role: keys (bootstrapped on first start), audit, routes, listener. */
import { createClickHouseAlertStore } from '../storage/clickhouse-alert-store.js';
import { createSilenceStore } from '../storage/silence-store.js';
import { ping } from '../storage/clickhouse.js';
import type { DetectionRunner } from '../detect/detection-runner.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../shared/runtime.js';
import type { HttpIngestGateway } from '../ingest/ingest-gateway.js';
import type { KafkaIngestWorker } from '../ingest/kafka-ingest-worker.js';
import { ApiKeyStore } from '../storage/api-keys.js';
import { createAuditLog } from '../storage/audit-log.js';
import { buildApp, type App, type ReadinessCheck } from './app.js';

export const CLI_KEY_FILE = 'cli.key';
export const SERVER_FILE = 'server.json';

/**
 * On the very first start there are no keys: create an admin key and print it once. In
 * embedded mode also keep a key for the local CLI in the data directory (mode 0600), so that
 * `gatewatch query` can go through the running server, which holds the embedded store.
 */
async function bootstrapKeys(rt: Runtime, keys: ApiKeyStore): Promise<void> {
  if ((await keys.count()) === 0) {
    const { key } = await keys.create('first admin', 'admin');
    process.stderr.write(
      `\n  Gatewatch created the first admin API key. It is shown only this once: store it now.\n\n    ${key}\n\n  Use it as: Authorization: Bearer <key>\n\n`,
    );
  }
  if (rt.store.embedded) {
    const file = join(rt.config.dataDir, CLI_KEY_FILE);
    const current = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (!current || !(await keys.verify(current))) {
      const { key } = await keys.create('local cli', 'admin');
      mkdirSync(rt.config.dataDir, { recursive: true });
      writeFileSync(file, key + '\n', { mode: 0o600 });
      chmodSync(file, 0o600);
    }
  }
}

export async function startApiRole(rt: Runtime, ingest: HttpIngestGateway, worker?: KafkaIngestWorker, runner?: DetectionRunner): Promise<App> {
  const { config, store, log, metrics } = rt;
  const keys = new ApiKeyStore(store);
  await bootstrapKeys(rt, keys);
  const readiness: ReadinessCheck[] = [
    {
      name: 'clickhouse',
      check: () => ping(store),
    },
  ];
  if (worker) readiness.push({ name: 'kafka', check: async () => worker.checkReady() });
  const app = await buildApp({ config, store, keys, audit: createAuditLog(store), ingest, metrics, log, readiness, alerts: createClickHouseAlertStore(store), silences: createSilenceStore(store), ...(runner ? { runner } : {}) });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ url: `http://${config.host}:${port}` }, 'API listening');
  if (store.embedded) {
    const file = join(config.dataDir, SERVER_FILE);
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    writeFileSync(file, JSON.stringify({ pid: process.pid, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` }) + '\n', { mode: 0o600 });
    rt.onClose('server file', async () => rmSync(file, { force: true }));
  }
  rt.onClose('api', () => app.close());
  return app;
}
