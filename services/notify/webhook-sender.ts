/**
 * One webhook POST: signed, with a hard timeout, to a guarded address, redirects refused,
 * the response read up to 64 KiB and thrown away. Never throws: the outcome says what happened.
 */
import http from 'node:http';
import https from 'node:https';
import type { WebhookChannel } from '../../schemas/notify-config-schema.js';
import { errorMessage } from '../shared/errors.js';
import { parseRetryAfter, type AttemptOutcome } from './retry-policy.js';
import { BlockedAddressError, guardedLookup, literalRefusal } from './ssrf-guard.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './webhook-signature.js';

const MAX_RESPONSE = 64 * 1024;

export async function postWebhook(channel: WebhookChannel, body: string, deliveryId: string, now: () => number = Date.now): Promise<AttemptOutcome & { latencyMs: number }> {
  const started = performance.now();
  const ts = Math.floor(now() / 1000);
  const url = new URL(channel.url);
  const lib = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = {
    ...(channel.headers ?? {}),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'gatewatch-notifier/1',
    [TIMESTAMP_HEADER]: String(ts),
    [SIGNATURE_HEADER]: signWebhook(channel.secret, ts, body),
    [DELIVERY_HEADER]: deliveryId,
    'idempotency-key': deliveryId,
  };
  // an address literal never goes through DNS, so the lookup guard would not see it
  const refused = literalRefusal(url.hostname, channel.allowPrivate ?? false);
  if (refused) return { ok: false, permanent: true, error: refused, latencyMs: 0 };
  const outcome = await new Promise<AttemptOutcome>((resolve) => {
    const req = lib.request(url, { method: 'POST', headers, lookup: guardedLookup(channel.allowPrivate ?? false), timeout: channel.timeoutMs ?? 5000 }, (res) => {
      let seen = 0;
      res.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > MAX_RESPONSE) res.destroy();
      });
      const done = () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve({ ok: true, status });
        else if (status >= 300 && status < 400) resolve({ ok: false, status, error: `redirect to ${res.headers.location ?? '?'} refused` });
        else {
          const retryAfterMs = parseRetryAfter(res.headers['retry-after'] as string | undefined, now());
          resolve({ ok: false, status, error: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
        }
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', () => done());
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${channel.timeoutMs ?? 5000} ms`)));
    // an address the guard refused will not become public by waiting: final
    req.on('error', (err) => resolve({ ok: false, error: errorMessage(err), ...(err instanceof BlockedAddressError ? { permanent: true } : {}) }));
    req.end(body);
  });
  return { ...outcome, latencyMs: Math.round(performance.now() - started) };
}
