/**
 * Webhook signatures. The signed string is `<timestamp>.<body>`; the signature header is
 * `v1=<hex HMAC-SHA256>` with the channel's secret; the timestamp (Unix seconds) travels in
 * X-Gatewatch-Timestamp so a receiver can refuse replays older than a few minutes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-gatewatch-signature';
export const TIMESTAMP_HEADER = 'x-gatewatch-timestamp';
export const DELIVERY_HEADER = 'x-gatewatch-delivery';

export function signWebhook(secret: string, timestampSec: number, body: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
}

/** What a receiver does: constant-time comparison, and a timestamp no older than `toleranceSec`. */
export function verifyWebhook(secret: string, signature: string, timestamp: string, body: string, nowSec: number, toleranceSec = 300): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSec - ts) > toleranceSec) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
