/**
 * What every role needs before it does anything: a logger, the store (migrated), metrics,
 * and an orderly shutdown on SIGINT/SIGTERM that runs the closers newest-first.
 */
import type { Logger } from 'pino';
import type { Config } from '../../schemas/config-schema.js';
import { openStore, type Store } from '../storage/clickhouse.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { migrate } from '../storage/migrate.js';
import { errorMessage } from './errors.js';

export interface Runtime {
  config: Config;
  log: Logger;
  store: Store;
  metrics: Metrics;
  /** registers a closer, run at shutdown in reverse order of registration */
  onClose(name: string, fn: () => Promise<void>): void;
  close(): Promise<void>;
}

export async function openRuntime(config: Config, opts: { log?: Logger; role: string }): Promise<Runtime> {
  const log = (opts.log ?? createLogger(config.logLevel, { redaction: config.redaction })).child({ role: opts.role });
  const store = await openStore(config);
  try {
    await migrate(store, config.clickhouse.retentionDays, log);
  } catch (err) {
    await store.close();
    throw err;
  }
  const closers: Array<{ name: string; fn: () => Promise<void> }> = [{ name: 'clickhouse', fn: () => store.close() }];
  let closing: Promise<void> | undefined;
  return {
    config,
    log,
    store,
    metrics: createMetrics(),
    onClose: (name, fn) => closers.push({ name, fn }),
    close() {
      closing ??= (async () => {
        for (const c of [...closers].reverse()) {
          try {
            await c.fn();
          } catch (err) {
            log.warn({ closer: c.name, err: errorMessage(err) }, 'error while closing');
          }
        }
      })();
      return closing;
    },
  };
}

/** First signal: graceful close. Second: exit now. */
export function closeOnSignals(rt: Runtime): void {
  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      rt.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(130);
    }
    signalled = true;
    rt.log.info({ signal }, 'shutting down: flushing batches, committing offsets, closing clients');
    rt.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
