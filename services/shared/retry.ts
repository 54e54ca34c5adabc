/** Exponential backoff with full jitter, bounded per wait: the one retry policy of the code base. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Runs `fn` until it succeeds, waiting longer after each retriable failure. Stops (rethrowing
 * the last error) when the error is not retriable or `shouldContinue` says so (shutdown).
 */
export async function retryUntil<T>(
  fn: () => Promise<T>,
  opts: {
    baseMs?: number;
    maxMs: number;
    shouldContinue: () => boolean;
    onRetry?: (err: unknown, attempt: number, waitMs: number) => void | Promise<void>;
    signal?: AbortSignal;
  },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retriable = (err as { retriable?: boolean }).retriable === true;
      if (!retriable || !opts.shouldContinue()) throw err;
      const wait = backoffMs(attempt, opts.baseMs ?? 100, opts.maxMs);
      await opts.onRetry?.(err, attempt, wait);
      await sleep(wait, opts.signal);
      if (!opts.shouldContinue()) throw err;
    }
  }
}
