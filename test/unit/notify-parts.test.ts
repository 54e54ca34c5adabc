/**
 * The notifier's parts alone: finding what is due (new notifications per alert and channel,
 * the group interval, shards, channels added while running), one attempt and what follows
 * from it (the same for alerts and digests), and the digest schedule.
 */
import { describe, expect, it } from 'vitest';
import { dueAt, newNotifications, worthReading, type DiscoveryContext } from '../../services/notify/discovery.js';
import { settle, timedAttempt } from '../../services/notify/attempt.js';
import { dueDigests, lastPeriod } from '../../services/notify/digest-schedule.js';
import type { Alert } from '../../schemas/alert-schema.js';
import type { Channel, EmailChannel, WebhookChannel } from '../../schemas/notify-config-schema.js';

const T = Date.parse('2026-11-28T12:00:00.000Z');
const alert = (id: string, over: Partial<Alert> = {}): Alert => ({
  id, detector: 'brute_force', severity: 'high', entity: { type: 'ip', value: '203.0.113.9' }, window: { start: '2026-11-28T11:58:00.000Z', end: '2026-11-28T11:59:00.000Z' },
  observed: 40, expected: 2, score: 9, summary: 's', owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open', windows: 1,
  first_seen: '2026-11-28T11:59:00.000Z', last_seen: '2026-11-28T11:59:00.000Z', ...over,
});
const hook = (name: string, over: Partial<WebhookChannel> = {}): WebhookChannel => ({ type: 'webhook', name, url: `https://example.com/${name}`, secret: 'x'.repeat(16), ...over });
const mail = (name: string, digest?: EmailChannel['digest'], over: Partial<EmailChannel> = {}): EmailChannel =>
  ({ type: 'email', name, to: ['soc@example.com'], from: 'gatewatch@example.com', smtp: { host: 'smtp.example.com', port: 587 }, ...(digest ? { digest } : {}), ...over }) as EmailChannel;

const ctx = (over: Partial<DiscoveryContext> = {}): DiscoveryContext => ({ now: T, mine: () => true, seen: () => false, since: () => undefined, heldUntil: () => undefined, ...over });

describe('finding what is due', () => {
  const a1 = alert('a1');
  const a2 = alert('a2', { severity: 'low', detector: 'volume' });
  const alerts = new Map([a1, a2].map((a) => [a.id, a]));
  const updates = [{ id: 'a1', updated: '2026-11-28 11:59:01.000000' }, { id: 'a2', updated: '2026-11-28 11:59:02.000000' }, { id: 'gone', updated: '2026-11-28 11:59:03.000000' }];

  it('creates one notification per alert and channel that wants it, due now', () => {
    const found = newNotifications(updates, alerts, [hook('all'), hook('high', { minSeverity: 'high' }), hook('bf', { detectors: ['brute_force'] }), hook('off', { enabled: false })], ctx());
    expect(found.map((n) => `${n.alert.id}/${n.channel.name}@${n.nextAt - T}`)).toEqual(['a1/all@0', 'a1/high@0', 'a1/bf@0', 'a2/all@0']);
  });

  it('never creates one twice, and leaves other shards theirs', () => {
    const found = newNotifications(updates, alerts, [hook('x'), hook('y')], ctx({ seen: (id, c) => id === 'a1' && c === 'x', mine: (id, c) => !(id === 'a2' && c === 'y') }));
    expect(found.map((n) => `${n.alert.id}/${n.channel.name}`)).toEqual(['a1/y', 'a2/x']);
    expect(worthReading(updates, [hook('x')], { seen: (id) => id === 'a1', mine: () => true })).toEqual(['a2', 'gone']);
  });

  it('holds a group notified lately until its interval has passed, and nothing already due', () => {
    const found = newNotifications(updates, alerts, [hook('x')], ctx({ heldUntil: (a) => (a.id === 'a1' ? T + 30_000 : T - 5000) }));
    expect(found.map((n) => n.nextAt - T)).toEqual([30_000, 0]);
  });

  it('gives a channel added while running only the alerts written since it was added', () => {
    const found = newNotifications(updates, alerts, [hook('old'), hook('new')], ctx({ since: (c) => (c === 'new' ? '2026-11-28 11:59:02.000000' : undefined) }));
    expect(found.map((n) => `${n.alert.id}/${n.channel.name}`)).toEqual(['a1/old', 'a2/old', 'a2/new']);
  });

  it('sends nothing per alert to a digest-only channel', () => {
    expect(newNotifications(updates, alerts, [mail('d', { everyMin: 60, only: true, sendEmpty: false })], ctx())).toEqual([]);
  });

  it('picks the pending notifications whose time has come', () => {
    const list = [{ id: 1, status: 'pending', nextAt: T }, { id: 2, status: 'pending', nextAt: T + 1 }, { id: 3, status: 'sent', nextAt: 0 }, { id: 4, status: 'dead', nextAt: 0 }];
    expect(dueAt(list, T).map((n) => n.id)).toEqual([1]);
  });
});

describe('one attempt and what follows', () => {
  const opts = { maxAttempts: 3, backoffBaseMs: 1000, backoffMaxMs: 60_000 };
  it('times the send, and turns an exception into a failed attempt', async () => {
    let clock = T;
    const ok = await timedAttempt(async () => ({ ok: true, status: 200, latencyMs: 12 }), () => clock);
    expect(ok).toEqual({ ok: true, status: 200, latencyMs: 12 });
    const thrown = await timedAttempt(async () => {
      clock += 250;
      throw new Error('socket hang up');
    }, () => clock);
    expect(thrown).toEqual({ ok: false, error: 'socket hang up', latencyMs: 250 });
  });

  it('settles as sent, retried with backoff (honouring Retry-After), or dead', () => {
    expect(settle({ ok: true, status: 204 }, 1, opts, T)).toEqual({ final: 'sent' });
    // retried: half the backoff plus jitter (random 0 → half; 1 → all of it)
    expect(settle({ ok: false, status: 503, error: '503' }, 1, opts, T, () => 0)).toEqual({ final: 'retry', error: '503', retryAt: T + 500 });
    expect(settle({ ok: false, status: 503, error: '503' }, 2, opts, T, () => 1)).toEqual({ final: 'retry', error: '503', retryAt: T + 2000 });
    expect(settle({ ok: false, status: 429, error: 'slow down', retryAfterMs: 30_000 }, 1, opts, T, () => 0)).toEqual({ final: 'retry', error: 'slow down', retryAt: T + 30_000 });
    // a refusal for good, at once; anything after the last attempt
    expect(settle({ ok: false, status: 410, error: 'gone' }, 1, opts, T)).toEqual({ final: 'dead', error: 'gone' });
    expect(settle({ ok: false, error: 'blocked address', permanent: true }, 1, opts, T)).toEqual({ final: 'dead', error: 'blocked address' });
    expect(settle({ ok: false, error: 'timeout' }, 3, opts, T)).toEqual({ final: 'dead', error: 'timeout' });
    // an SMTP 4xx is worth another try
    expect(settle({ ok: false, status: 451, error: 'try later', temporary: true }, 1, opts, T, () => 0).final).toBe('retry');
  });
});

describe('the digest schedule', () => {
  const hourly = mail('hourly', { everyMin: 60, only: false, sendEmpty: false });
  const daily = mail('daily', { everyMin: 1440, only: true, sendEmpty: true });
  it("names each channel's last complete period by its start, the same in every process", () => {
    const at = Date.parse('2026-11-28T12:34:56.000Z');
    expect(lastPeriod(hourly as never, at)).toMatchObject({ id: 'digest-2026-11-28T11:00:00.000Z', from: Date.parse('2026-11-28T11:00:00.000Z'), to: Date.parse('2026-11-28T12:00:00.000Z') });
    expect(lastPeriod(daily as never, at)).toMatchObject({ id: 'digest-2026-11-27T00:00:00.000Z', to: Date.parse('2026-11-28T00:00:00.000Z') });
    // on the boundary the period just ended is the one due
    expect(lastPeriod(hourly as never, Date.parse('2026-11-28T12:00:00.000Z')).id).toBe('digest-2026-11-28T11:00:00.000Z');
  });

  it('is due for digest channels only, once until settled, and only in the shard that owns it', () => {
    const channels: Channel[] = [hourly, daily, hook('h'), mail('plain'), mail('off', { everyMin: 60, only: false, sendEmpty: false }, { enabled: false })];
    const at = Date.parse('2026-11-28T12:34:56.000Z');
    expect(dueDigests(channels, at, { mine: () => true, settled: () => false }).map((p) => p.channel.name)).toEqual(['hourly', 'daily']);
    expect(dueDigests(channels, at, { mine: () => true, settled: (id, c) => c === 'hourly' && id === 'digest-2026-11-28T11:00:00.000Z' }).map((p) => p.channel.name)).toEqual(['daily']);
    expect(dueDigests(channels, at, { mine: (_, c) => c !== 'daily', settled: () => false }).map((p) => p.channel.name)).toEqual(['hourly']);
  });
});
