/**
 * One delivery attempt and what follows from it, the same for an alert's message, an
 * incident's and a digest: the send is timed and never throws (a thrown error is a failed
 * attempt), and its outcome settles as sent, retried later (with backoff and jitter, honouring
 * Retry-After) or dead-lettered (refused for good, or out of attempts).
 */
import { errorMessage } from '../shared/errors.js';
import { isRetriable, retryDelayMs, type AttemptOutcome } from './retry-policy.js';

export type TimedOutcome = AttemptOutcome & { latencyMs: number };

export interface RetrySettings {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/** Runs one send; an exception is a failed attempt with its message, and the time it took. */
export async function timedAttempt(send: () => Promise<TimedOutcome>, now: () => number = Date.now): Promise<TimedOutcome> {
  const started = now();
  try {
    return await send();
  } catch (err) {
    return { ok: false, error: errorMessage(err), latencyMs: now() - started };
  }
}

export type Settled = { final: 'sent' } | { final: 'dead'; error: string } | { final: 'retry'; error: string; retryAt: number };

/** What an attempt's outcome means for the notification after `attempts` attempts (this one included). */
export function settle(outcome: AttemptOutcome, attempts: number, opts: RetrySettings, now: number, random: () => number = Math.random): Settled {
  if (outcome.ok) return { final: 'sent' };
  if (!isRetriable(outcome) || attempts >= opts.maxAttempts) return { final: 'dead', error: outcome.error };
  return { final: 'retry', error: outcome.error, retryAt: now + retryDelayMs(attempts, outcome, { baseMs: opts.backoffBaseMs, maxMs: opts.backoffMaxMs }, random) };
}
