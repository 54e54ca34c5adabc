/**
 * The detect role: a node-cron job that runs one detection cycle every `detect.cycleSec`,
 * never two at once (a slow cycle makes the next one wait, it does not pile up). Runs in the
 * all-in-one process or alone (`gatewatch detect`). Cycles run only in the process holding the
 * `detect` lease (storage/lease.ts): a second detect process stands by and takes over within
 * `detect.leaseSec` when the first dies, at once when it stops cleanly.
 */
import cron from 'node-cron';
import type { Runtime } from '../shared/runtime.js';
import { errorMessage, StandbyError } from '../shared/errors.js';
import { createLease } from '../storage/lease.js';
import { createClickHouseAlertStore } from '../storage/clickhouse-alert-store.js';
import { createDetectionRunner, type DetectionRunner } from './detection-runner.js';

/** node-cron pattern for "every N seconds" (N divides 60) or "every N minutes" (N·60 divides 3600). */
export function cycleCron(cycleSec: number): string {
  if (cycleSec < 60 && 60 % cycleSec === 0) return `*/${cycleSec} * * * * *`;
  if (cycleSec % 60 === 0 && 3600 % cycleSec === 0) return `0 */${cycleSec / 60} * * * *`;
  throw new Error(`detect.cycleSec ${cycleSec} must divide a minute or an hour`);
}

export interface DetectRole {
  runner: DetectionRunner;
}

export function startDetectRole(rt: Runtime, opts: { schedule?: boolean } = {}): DetectRole {
  const { config, log } = rt;
  const alerts = createClickHouseAlertStore(rt.store);
  const runner = createDetectionRunner({
    config,
    store: rt.store,
    alerts,
    metrics: rt.metrics,
    log: log.child({ component: 'detect' }),
    now: Date.now,
  });
  if (!(opts.schedule ?? true) || !config.detect.enabled) return { runner };
  let running: Promise<unknown> = Promise.resolve();
  let holding = false;
  const lease = createLease(rt.store, 'detect', { ttlMs: config.detect.leaseSec * 1000, log: log.child({ component: 'detect' }) });
  /** runs `fn` holding the lease, renewed while it runs (a long cycle catching up after an outage, a range scored on request) */
  const leased = async <T>(fn: () => Promise<T>): Promise<T> => {
    const renew = setInterval(() => void lease.hold().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'could not renew the detect lease')), Math.max(1000, (config.detect.leaseSec * 1000) / 3));
    try {
      return await fn();
    } finally {
      clearInterval(renew);
    }
  };
  const task = cron.schedule(
    cycleCron(config.detect.cycleSec),
    async () => {
      running = (async () => {
        const held = await lease.hold();
        // taking over (or back): what another process wrote meanwhile is in the store, not in this one's copy
        if (held && !holding) alerts.forget();
        holding = held;
        if (!held) return;
        await leased(() => runner.cycle());
      })().catch((err: unknown) => log.error({ err: errorMessage(err) }, 'detection cycle failed'));
      await running;
    },
    {
      name: 'detect',
      noOverlap: true,
      // node-cron's own messages go to our log, not the console: a cycle skipped because the last
      // one is still running (a backfill being scored) is expected, not a warning
      logger: {
        info: (m: string) => log.debug({ cron: m }, 'scheduler'),
        debug: (m: string) => log.debug({ cron: m }, 'scheduler'),
        warn: (m: string) => log.debug({ cron: m }, 'scheduler'),
        error: (m: string, err?: unknown) => log.error({ cron: m, err: err === undefined ? undefined : errorMessage(err) }, 'scheduler'),
      },
    },
  );
  log.info({ cycleSec: config.detect.cycleSec }, 'detection scheduled');
  rt.onClose('detect', async () => {
    await task.stop();
    await running;
    await lease.release().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'could not release the detect lease: a standby takes over when it expires'));
  });
  // a range scored on request (the API's /v1/detect/score) runs where the cycles run: in the
  // process holding the lease; a standby says so instead of scoring beside the holder
  const scoreRange: DetectionRunner['scoreRange'] = async (range, only) => {
    const held = await lease.hold();
    if (held && !holding) alerts.forget();
    holding = held;
    if (!held) throw new StandbyError('detection runs in another process (the one holding the detect lease): score the range there, or stop it');
    return leased(() => runner.scoreRange(range, only));
  };
  return { runner: { ...runner, scoreRange } };
}
