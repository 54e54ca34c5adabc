import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net, { type AddressInfo } from 'node:net';
import { isRetriable, parseRetryAfter, retryDelayMs } from '../../services/notify/retry-policy.js';
import { signWebhook, verifyWebhook } from '../../services/notify/webhook-signature.js';
import { BlockedAddressError, connectGuarded, guardedLookup, isPublicAddress, literalRefusal } from '../../services/notify/ssrf-guard.js';
import { channelWants } from '../../services/notify/discovery.js';
import { incidentWebhookBody, webhookBody } from '../../services/notify/webhook-payload.js';
import type { Alert } from '../../schemas/alert-schema.js';
import type { WebhookChannel } from '../../schemas/notify-config-schema.js';

describe('webhook signatures', () => {
  it('verify with the secret, within the tolerance, and nothing else', () => {
    const body = '{"a":1}';
    const sig = signWebhook('s3cret-key-0123456789', 1_800_000_000, body);
    expect(sig).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhook('s3cret-key-0123456789', sig, '1800000000', body, 1_800_000_100)).toBe(true);
    expect(verifyWebhook('other-key-0123456789', sig, '1800000000', body, 1_800_000_100)).toBe(false);
    expect(verifyWebhook('s3cret-key-0123456789', sig, '1800000000', '{"a":2}', 1_800_000_100)).toBe(false);
    expect(verifyWebhook('s3cret-key-0123456789', sig, '1800000000', body, 1_800_000_900)).toBe(false); // a replay
    expect(verifyWebhook('s3cret-key-0123456789', 'v1=00', '1800000000', body, 1_800_000_000)).toBe(false);
  });
});

describe('retry policy', () => {
  it.each([
    [{ ok: false as const, error: 'ECONNREFUSED' }, true],
    [{ ok: false as const, status: 503, error: 'HTTP 503' }, true],
    [{ ok: false as const, status: 429, error: 'HTTP 429' }, true],
    [{ ok: false as const, status: 408, error: 'HTTP 408' }, true],
    [{ ok: false as const, status: 400, error: 'HTTP 400' }, false],
    [{ ok: false as const, status: 404, error: 'HTTP 404' }, false],
    [{ ok: false as const, status: 302, error: 'redirect refused' }, false],
    [{ ok: false as const, error: 'not a public address', permanent: true }, false],
    [{ ok: true as const, status: 200 }, false],
  ])('%o retriable: %s', (o, expected) => {
    expect(isRetriable(o)).toBe(expected);
  });

  it('backs off exponentially with jitter, capped, and honours Retry-After', () => {
    const o = { ok: false as const, error: 'x' };
    const opts = { baseMs: 1000, maxMs: 60_000 };
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, o, opts, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(2, o, opts, () => 0)).toBe(1000);
    expect(retryDelayMs(20, o, opts, () => 1)).toBe(60_000);
    expect(retryDelayMs(1, { ...o, retryAfterMs: 30_000 }, opts, () => 0)).toBe(30_000);
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});

describe('SSRF guard', () => {
  it.each([
    ['8.8.8.8', true], ['2606:4700::1111', true], ['127.0.0.1', false], ['10.1.2.3', false], ['192.168.0.1', false], ['172.16.5.5', false],
    ['169.254.169.254', false], ['100.64.0.1', false], ['0.0.0.0', false], ['::1', false], ['fd00::1', false], ['fe80::1', false], ['::ffff:127.0.0.1', false], ['not an ip', false],
  ])('%s is public: %s', (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected);
  });

  it.each([
    ['127.0.0.1', false, true], ['[::1]', false, true], ['10.0.0.8', false, true], ['100.64.1.1', false, true], ['fe80::1', false, true],
    ['8.8.8.8', false, false], ['localhost', false, false], ['smtp.example.com', false, false], ['127.0.0.1', true, false], ['[::1]', true, false],
  ])('refuses the literal %s (allowPrivate %s): %s', (host, allowPrivate, refused) => {
    expect(literalRefusal(host, allowPrivate) !== undefined).toBe(refused);
  });

  it('refuses a name that resolves to loopback (localhost, from /etc/hosts) unless private addresses are allowed', async () => {
    const resolve = (allowPrivate: boolean) =>
      new Promise<{ err: Error | null; address: string }>((r) => guardedLookup(allowPrivate)('localhost', {}, (err, address) => r({ err, address: String(address) })));
    const refused = await resolve(false);
    expect(refused.err).toBeInstanceOf(BlockedAddressError);
    expect(refused.err!.message).toMatch(/^localhost resolves to .*127\.0\.0\.1.*: not a public address/);
    const allowed = await resolve(true);
    expect(allowed.err).toBeNull();
    expect(isPublicAddress(allowed.address)).toBe(false);
  });
});

describe('guarded connections (SMTP)', () => {
  let server: net.Server;
  let port = 0;
  let accepted = 0;
  beforeAll(async () => {
    server = net.createServer((s) => {
      accepted++;
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each(['127.0.0.1', 'localhost'])('refuses %s without connecting', async (host) => {
    const before = accepted;
    await expect(connectGuarded({ host, port, allowPrivate: false, timeoutMs: 2000 })).rejects.toBeInstanceOf(BlockedAddressError);
    expect(accepted).toBe(before);
  });

  it('connects to a loopback relay that is allowed, by literal and by name', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const socket = await connectGuarded({ host, port, allowPrivate: true, timeoutMs: 2000 });
      expect(socket.remoteAddress).toBe('127.0.0.1');
      socket.destroy();
    }
  });
});

describe('channel filters and payloads', () => {
  const a: Alert = {
    id: 'x', detector: 'enumeration', severity: 'medium', entity: { type: 'principal', value: 'bob' }, window: { start: '2026-11-28T10:00:00.000Z', end: '2026-11-28T10:05:00.000Z' },
    observed: 60, expected: 50, score: 1.2, summary: 's', owasp: 'API1', evidence: { sql: 'SELECT 1', rows: Array.from({ length: 2000 }, (_, i) => ({ i, pad: 'x'.repeat(50) })) },
    detail: {}, status: 'open', windows: 1, first_seen: '2026-11-28T10:05:00.000Z', last_seen: '2026-11-28T10:05:00.000Z',
  };
  const ch = (over: Partial<WebhookChannel>): WebhookChannel => ({ type: 'webhook', name: 'c', url: 'https://example.com/h', secret: 'x'.repeat(16), ...over });
  it('filter by severity, detector and switch', () => {
    expect(channelWants(ch({}), a)).toBe(true);
    expect(channelWants(ch({ minSeverity: 'high' }), a)).toBe(false);
    expect(channelWants(ch({ detectors: ['brute_force'] }), a)).toBe(false);
    expect(channelWants(ch({ enabled: false }), a)).toBe(false);
  });
  it('bound the evidence carried by a webhook', () => {
    const body = webhookBody(ch({}), a, 'http://127.0.0.1:8080/');
    expect(body.length).toBeLessThan(20_000);
    expect(JSON.parse(body)).toMatchObject({ type: 'alert', link: 'http://127.0.0.1:8080/#/alerts/x' });
  });
  it('escape what a log or a comment puts into a Slack message: no @channel, no hidden link, no broken code span', () => {
    const hostile = { ...a, summary: 'user <!channel> probed <https://evil.example|Reset your password> & more', entity: { type: 'principal' as const, value: 'bob`*bold*`<!here>' } };
    const text = (body: string) => JSON.stringify(JSON.parse(body));
    const alertBody = text(webhookBody(ch({ format: 'slack' }), hostile, 'http://127.0.0.1:8080/'));
    const incident = { id: 'inc-1', title: hostile.summary, severity: 'high' as const, status: 'resolved' as const, keys: ['principal:bob`<!here>'], detectors: ['enumeration'], owasp: ['API1'], alert_ids: ['x'], alerts_count: 1, first_seen: a.first_seen, last_seen: a.last_seen, merged_into: '', silenced_until: '' };
    const incidentBody = text(incidentWebhookBody(ch({ format: 'slack' }), { event: 'resolved', incident, resolution: { by: 'key-1', at: a.last_seen, comment: 'done <!everyone>' } }, [hostile], 'http://127.0.0.1:8080/'));
    for (const body of [alertBody, incidentBody]) {
      expect(body).not.toMatch(/<!channel>|<!here>|<!everyone>|<https:\/\/evil/);
      expect(body).toContain('&lt;!channel&gt;');
    }
    expect(alertBody).toContain("`bob'*bold*'&lt;!here&gt;`");
  });
});

describe('silences', () => {
  it('match by every matcher they set, within their time, IPs by CIDR, values by wildcard', async () => {
    const { silenceMatches, validateMatchers } = await import('../../services/notify/silence-matcher.js');
    const alert = (over: Partial<Alert> = {}): Alert => ({
      id: 'x', detector: 'brute_force', severity: 'high', entity: { type: 'ip', value: '203.0.113.77' }, window: { start: '', end: '' }, observed: 1, expected: 0, score: 1,
      summary: '', owasp: 'API2', evidence: { sql: '', rows: [] }, detail: { route: '/admin/users/{id}' }, status: 'open', windows: 1, first_seen: '', last_seen: '', ...over,
    });
    const at = Date.parse('2026-11-28T12:00:00Z');
    const s = (matchers: Record<string, string>) => ({ id: 's', matchers, starts_at: '2026-11-28T11:00:00Z', ends_at: '2026-11-28T13:00:00Z', created_by: 'k', comment: '' });
    expect(silenceMatches(s({ entity_value: '203.0.113.0/24' }), alert(), at)).toBe(true);
    expect(silenceMatches(s({ entity_value: '198.51.100.0/24' }), alert(), at)).toBe(false);
    expect(silenceMatches(s({ detector: 'brute_force', severity: 'high' }), alert(), at)).toBe(true);
    expect(silenceMatches(s({ detector: 'brute_force', severity: 'low' }), alert(), at)).toBe(false);
    expect(silenceMatches(s({ route: '/admin/*' }), alert(), at)).toBe(true);
    expect(silenceMatches(s({ entity_type: 'principal', entity_value: 'svc-*' }), alert({ entity: { type: 'principal', value: 'svc-batch' } }), at)).toBe(true);
    expect(silenceMatches(s({ detector: 'brute_force' }), alert(), Date.parse('2026-11-28T13:00:00Z'))).toBe(false); // ended
    expect(silenceMatches(s({ detector: 'brute_force' }), alert(), Date.parse('2026-11-28T10:59:59Z'))).toBe(false); // not begun
    expect(validateMatchers({})).toMatch(/at least one/);
    expect(validateMatchers({ entity_value: '1.2.3.0/40' })).toMatch(/CIDR/);
    expect(validateMatchers({ detector: 'x' })).toBeUndefined();
  });
});

describe('notification policy', () => {
  const t0 = Date.parse('2026-11-28T12:00:00Z');
  const alertOf = (id: string, over: Partial<Alert> = {}): Alert => ({
    id, detector: 'brute_force', severity: 'high', entity: { type: 'ip', value: '203.0.113.7' }, window: { start: '2026-11-28T11:55:00Z', end: '2026-11-28T12:00:00Z' }, observed: 40, expected: 2, score: 5,
    summary: 's', owasp: 'API2', evidence: { sql: '', rows: [] }, detail: {}, status: 'open', windows: 1, first_seen: '2026-11-28T12:00:00.000Z', last_seen: '2026-11-28T12:00:00.000Z', ...over,
  });
  const incident = (id: string, over: Record<string, unknown> = {}) => ({ id, title: 't', severity: 'high' as const, status: 'open' as const, keys: [], detectors: ['brute_force'], owasp: ['API2'], alert_ids: ['a1', 'a2'], alerts_count: 2, first_seen: '', last_seen: '', merged_into: '', silenced_until: '', ...over });
  // (null: a resolution, which has no alert)
  const due = (id: string, incidentId?: string, alert: Alert | null = alertOf(id)) => ({ id, ...(alert ? { alert } : {}), ...(incidentId ? { incidentId } : {}), groupKey: incidentId ? `inc:${incidentId}${alert ? '' : ':resolved'}` : `ip:${alert?.entity.value}` });

  it('holds back what a silence or a silenced incident covers, and what an acknowledged or resolved incident would repeat', async () => {
    const { decide } = await import('../../services/notify/notification-policy.js');
    const silence = { id: 'sil-1', matchers: { entity_value: '198.51.100.0/24' }, starts_at: '2026-11-28T11:00:00Z', ends_at: '2026-11-28T13:00:00Z', created_by: 'k', comment: '' };
    const incidents = new Map([
      ['i-open', incident('i-open')],
      ['i-quiet', incident('i-quiet', { silenced_until: '2026-11-28T14:00:00.000Z' })],
      ['i-ack', incident('i-ack', { status: 'acknowledged', alert_ids: ['b1', 'b2'] })],
      ['i-done', incident('i-done', { status: 'resolved', alert_ids: ['c1'] })],
    ]);
    const d = decide(
      [due('x1', undefined, alertOf('x1', { entity: { type: 'ip', value: '198.51.100.9' } })), due('q1', 'i-quiet'), due('b2', 'i-ack'), due('c1', 'i-done'), due('a1', 'i-open'), due('a2', 'i-open')],
      { silences: [silence], incidents, told: new Set(['b1']), now: t0 },
    );
    expect(Object.fromEntries(d.suppressed.map((s) => [s.item.id, s.why]))).toEqual({
      x1: 'silenced by sil-1',
      q1: 'incident i-quiet silenced until 2026-11-28T14:00:00.000Z',
      b2: 'incident i-ack is acknowledged: updates held back',
      c1: 'incident i-done is resolved: messages held back',
    });
    // the two alerts of the open incident: one message, the incident opened
    expect(d.messages).toHaveLength(1);
    expect(d.messages[0]!.items.map((i) => i.id)).toEqual(['a1', 'a2']);
    expect(d.messages[0]!.notice).toMatchObject({ event: 'opened', incident: { id: 'i-open' } });
  });

  it('says updated once the channel heard of the incident, opened even when acknowledged before the first message, and resolved for a resolution', async () => {
    const { decide } = await import('../../services/notify/notification-policy.js');
    const incidents = new Map([['i1', incident('i1')], ['i2', incident('i2', { status: 'acknowledged', alert_ids: ['z1'] })], ['i3', incident('i3', { status: 'resolved', alert_ids: ['r1'] })]]);
    const d = decide([due('a2', 'i1'), due('z1', 'i2'), due('resolved:i3:1', 'i3', null)], { silences: [], incidents, told: new Set(['a1']), now: t0 });
    expect(d.suppressed).toEqual([]);
    expect(d.messages.map((m) => [m.items[0]!.id, m.notice?.event])).toEqual([['a2', 'updated'], ['z1', 'opened'], ['resolved:i3:1', 'resolved']]);
  });

  it('caps a channel at its rate: the rest goes out as one summary, resolutions wait', async () => {
    const { rateLimit } = await import('../../services/notify/notification-policy.js');
    const msg = (id: string, alert = true) => ({ items: [due(id, undefined, alert ? alertOf(id) : null)], reason: 'group' as const });
    // 1 sent in the last minute, 3 allowed: 1 message, then a summary of the alerts over the limit
    const r = rateLimit([msg('m1'), msg('m2'), msg('m3'), msg('resolved:i:1', false)], [t0 - 30_000], 3, t0);
    expect(r.send.map((m) => [m.reason, m.items.map((i) => i.id)])).toEqual([['group', ['m1']], ['rate_limit', ['m2', 'm3']]]);
    expect(r.deferred).toEqual([{ item: expect.objectContaining({ id: 'resolved:i:1' }), at: t0 + 60_000 }]);
    // the limit reached: everything waits until the oldest send leaves the minute
    const full = rateLimit([msg('m4')], [t0 - 50_000, t0 - 10_000], 2, t0);
    expect(full.send).toEqual([]);
    expect(full.deferred).toEqual([{ item: expect.objectContaining({ id: 'm4' }), at: t0 + 10_000 }]);
    expect(rateLimit([msg('m5')], [], 30, t0).send).toHaveLength(1);
  });
});
