/** Pure parts behind the dashboard endpoints, channel management and digests. */
import { describe, expect, it } from 'vitest';
import { autoStep, baselineBand } from '../../services/api/routes/series-routes.js';
import { channelProblem, normalizeChannel, publicChannel, SECRET_MARK } from '../../services/storage/channel-store.js';
import { digestEmailMessage } from '../../services/notify/email-message.js';
import { ALL_HOURS, hourOfWeek } from '../../detectors/baseline.js';
import type { Alert } from '../../schemas/alert-schema.js';

const H = 3_600_000;

describe('series steps and baseline bands', () => {
  it('takes the smallest step that keeps a series under 1,500 points', () => {
    expect(autoStep(0, H)).toBe(60);
    expect(autoStep(0, 24 * H)).toBe(60);
    expect(autoStep(0, 7 * 24 * H)).toBe(900);
    expect(autoStep(0, 30 * 24 * H)).toBe(3600);
    expect(autoStep(0, 300 * 24 * H)).toBe(21_600);
    expect(autoStep(0, 400 * 24 * H)).toBe(86_400);
  });

  it('sums slot medians over a step, adds spreads in quadrature, floors σ as the detectors do, and says nothing where no baseline holds', () => {
    const all = new Map([[ALL_HOURS, { median: 10, mad: 2, p95: 14, samples: 500 }]]);
    const sigma = Math.sqrt(10); // max(1.4826·2, √10, 1)
    const five = baselineBand(all, [0], 300);
    expect(five.median[0]).toBe(10);
    expect(five.upper[0]).toBeCloseTo(10 + 3 * sigma, 9);
    expect(five.lower[0]).toBeCloseTo(10 - 3 * sigma, 9);
    const hour = baselineBand(all, [0], 3600);
    expect(hour.median[0]).toBe(120);
    expect(hour.upper[0]).toBeCloseTo(120 + 3 * Math.sqrt(12) * sigma, 9);
    const minute = baselineBand(all, [0], 60);
    expect(minute.median[0]).toBeCloseTo(2, 9);
    expect(minute.upper[0]).toBeCloseTo(2 + 3 * Math.sqrt(0.2) * sigma, 9);
    // a band never goes below zero
    expect(baselineBand(new Map([[ALL_HOURS, { median: 1, mad: 5, p95: 3, samples: 500 }]]), [0], 300).lower[0]).toBe(0);
    // only one hour of the week is known: other times have no band
    const t = Date.UTC(2026, 10, 23, 10); // a Monday, 10:00
    const one = new Map([[hourOfWeek(t), { median: 4, mad: 0, p95: 4, samples: 40 }]]);
    const b = baselineBand(one, [t, t + 2 * H], 300);
    expect(b.median).toEqual([4, null]);
    expect(b.upper[1]).toBeNull();
  });
});

describe('channels as the API shows and checks them', () => {
  it('never shows a secret, a header value or an SMTP password', () => {
    const hook = normalizeChannel({ type: 'webhook', name: 'h', url: 'https://example.com/x', secret: 'signing-secret-1234567890', headers: { 'X-Token': 'hdr-secret' } });
    const shown = JSON.stringify(publicChannel(hook));
    expect(shown).not.toContain('signing-secret-1234567890');
    expect(shown).not.toContain('hdr-secret');
    expect(publicChannel(hook)).toMatchObject({ secret: SECRET_MARK, headers: { 'X-Token': SECRET_MARK }, url: 'https://example.com/x' });
    const mail = normalizeChannel({ type: 'email', name: 'm', to: ['a@example.com'], smtp: { host: 'smtp.example.com', user: 'u', pass: 'smtp-password' } });
    expect(JSON.stringify(publicChannel(mail))).not.toContain('smtp-password');
    expect(mail).toMatchObject({ from: 'gatewatch@localhost', smtp: { port: 587, requireTls: true } });
  });

  it('names what is wrong with a channel', () => {
    expect(channelProblem({ type: 'pager', name: 'x' })).toBe('type must be "webhook" or "email"');
    expect(channelProblem(null)).toBe('type must be "webhook" or "email"');
    expect(channelProblem({ type: 'webhook', name: 'x', url: 'gopher://x', secret: 'a'.repeat(16) })).toMatch(/^\/url/);
    expect(channelProblem({ type: 'webhook', name: 'x', url: 'https://x', secret: 'a'.repeat(16), timeoutMs: 5 })).toMatch(/^\/timeoutMs/);
    expect(channelProblem({ type: 'email', name: 'x', to: [], smtp: { host: 'h' } })).toMatch(/^\/to/);
    expect(channelProblem({ type: 'email', name: 'x', to: ['a@b.example'], smtp: { host: 'h' }, digest: { everyMin: 1 } })).toMatch(/^\/digest\/everyMin/);
    expect(channelProblem({ type: 'webhook', name: 'ok', url: 'https://x', secret: 'a'.repeat(16) })).toBeUndefined();
  });
});

describe('digest e-mail', () => {
  const alert = (i: number, severity: Alert['severity'], summary: string): Alert => ({
    id: `a${i}`, detector: 'brute_force', severity, entity: { type: 'ip', value: '203.0.113.9' }, window: { start: '2026-11-27T11:00:00Z', end: '2026-11-27T11:05:00Z' }, observed: 1, expected: 0, score: 1,
    summary, owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open', windows: 1, first_seen: '2026-11-27T11:00:00Z', last_seen: '2026-11-27T11:05:00Z',
  });
  it('counts, links every alert and escapes what a log put in a summary', () => {
    const m = digestEmailMessage({ from: Date.UTC(2026, 10, 27), to: Date.UTC(2026, 10, 28), alerts: [alert(1, 'critical', '<img src=x onerror=alert(1)> from 203.0.113.9')], total: 3, bySeverity: { critical: 1, low: 2 }, byDetector: { brute_force: 3 }, silenced: 1 }, 'https://gw.example.com/');
    expect(m.subject).toBe('[Gatewatch] digest: 3 alerts (1 critical, 2 low), 2026-11-27 00:00 – 2026-11-28 00:00 UTC');
    expect(m.html).not.toContain('<img');
    expect(m.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(m.text).toContain('https://gw.example.com/#/alerts/a1');
    expect(m.text).toContain('… and 2 more: https://gw.example.com/#/alerts');
    expect(m.text).toContain('1 silenced alert(s) not listed.');
    const empty = digestEmailMessage({ from: 0, to: 60_000, alerts: [], total: 0, bySeverity: {}, byDetector: {}, silenced: 0 }, 'https://gw.example.com');
    expect(empty.text).toContain('No alert in this period.');
    expect(empty.subject).toContain('digest: 0 alerts');
  });
});

describe('the failed-authentication throttle', () => {
  it('counts an IPv4 address, an IPv6 /64 and a mapped address as one client each', async () => {
    const { clientBucket } = await import('../../services/api/auth-throttle.js');
    expect(clientBucket('198.51.100.7')).toBe('198.51.100.7');
    expect(clientBucket('2001:db8:1:2::1')).toBe(clientBucket('2001:db8:1:2:ffff::9'));
    expect(clientBucket('2001:db8:1:2::1')).not.toBe(clientBucket('2001:db8:1:3::1'));
    expect(clientBucket('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(clientBucket('not an address')).toBe('not an address');
  });

  it('blocks from the max-th failure until the window that began with the first ends, and holds at most maxClients addresses', async () => {
    const { AuthFailureThrottle } = await import('../../services/api/auth-throttle.js');
    let now = 0;
    const t = new AuthFailureThrottle({ max: 3, windowMs: 1000, maxClients: 100, now: () => now });
    expect([t.fail('a'), t.fail('a'), t.fail('a')]).toEqual([false, false, true]);
    now = 400;
    expect(t.blockedForMs('a')).toBe(600);
    expect(t.blockedForMs('b')).toBe(0);
    now = 1000;
    expect(t.blockedForMs('a')).toBe(0);
    for (let i = 0; i < 10_000; i++) t.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(t.size).toBe(100);
  });

  it('summarises failures per address and reason, bounded, and drops a failed write without throwing', async () => {
    const { AuthFailureAudit } = await import('../../services/api/auth-failure-audit.js');
    const written: unknown[][] = [];
    const warn: unknown[] = [];
    const audit = new AuthFailureAudit({ record: async () => undefined, recordMany: async (rows) => void written.push(rows) }, { warn: (o: unknown) => void warn.push(o) } as never, { maxGroups: 2, now: () => 0 });
    for (let i = 0; i < 5; i++) audit.add({ ip: '1.1.1.1', reason: 'unknown', route: 'GET /v1/alerts', keyId: `00000000000${i}` });
    audit.add({ ip: '1.1.1.1', reason: 'missing', route: 'GET /v1/me', keyId: '' });
    for (let i = 0; i < 50; i++) audit.add({ ip: `2.2.2.${i}`, reason: 'unknown', route: 'GET /v1/me', keyId: '' });
    expect(await audit.flush()).toBe(3);
    const rows = written[0] as Array<{ outcome: string; detail: string }>;
    expect(JSON.parse(rows[0]!.detail)).toMatchObject({ count: 5, key_ids: ['000000000000', '000000000001', '000000000002', '000000000003', '000000000004'] });
    expect(rows[2]).toMatchObject({ outcome: 'overflow' });
    expect(JSON.parse(rows[2]!.detail)).toMatchObject({ count: 50, clients: 50 });
    expect(await audit.flush()).toBe(0);
    const failing = new AuthFailureAudit({ record: async () => undefined, recordMany: async () => Promise.reject(new Error('store down')) }, { warn: (o: unknown) => void warn.push(o) } as never);
    failing.add({ ip: '1.1.1.1', reason: 'revoked', route: 'GET /v1/me', keyId: 'abcdefabcdef' });
    expect(await failing.flush()).toBe(1);
    expect(warn).toHaveLength(1);
  });
});

describe('dashboard content negotiation', () => {
  it('prefers brotli, then gzip, honours q=0 and ignores what it does not know', async () => {
    const { pickEncoding } = await import('../../services/api/dashboard-static.js');
    expect(pickEncoding('gzip, deflate, br')).toBe('br');
    expect(pickEncoding('gzip, br;q=0')).toBe('gzip');
    expect(pickEncoding('br;q=0.5, gzip;q=1')).toBe('br');
    expect(pickEncoding('gzip;q=0, br;q=0')).toBeUndefined();
    expect(pickEncoding('identity, zstd')).toBeUndefined();
    expect(pickEncoding(undefined)).toBeUndefined();
    expect(pickEncoding('')).toBeUndefined();
  });
});
