/**
 * When to try a delivery again. Network errors, timeouts, 5xx, 408 and 429 are retried with
 * exponential backoff and full jitter, honouring Retry-After; any other 4xx (and a redirect,
 * which is never followed) is final. After `maxAttempts` the delivery is dead-lettered.
 */
/** `permanent`: never worth another try; `temporary`: always worth one (an SMTP 4xx reply). */
export type AttemptOutcome = { ok: true; status: number } | { ok: false; status?: number; error: string; retryAfterMs?: number; permanent?: boolean; temporary?: boolean };

export function isRetriable(o: AttemptOutcome): boolean {
  if (o.ok || o.permanent) return false;
  if (o.temporary) return true;
  if (o.status === undefined) return true; // network error, timeout, refused connection
  return o.status >= 500 || o.status === 408 || o.status === 429;
}

export function retryDelayMs(attempt: number, o: AttemptOutcome, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const backoff = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(backoff / 2 + random() * (backoff / 2));
  const after = !o.ok && o.retryAfterMs !== undefined ? Math.min(o.retryAfterMs, opts.maxMs) : 0;
  return Math.max(jittered, after);
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const d = Date.parse(value);
  return Number.isNaN(d) ? undefined : Math.max(0, d - now);
}
