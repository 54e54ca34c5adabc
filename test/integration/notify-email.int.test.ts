/**
 * E-mail delivery against real SMTP servers on loopback (smtp-server, mail parsed with
 * mailparser): STARTTLS and auth, readable content with the link and the evidence query,
 * a server that rejects for good (dead-lettered at once), and one that drops the connection
 * mid-message (retried, delivered once). The SSRF guard: an SMTP host at a loopback address,
 * given as a literal or as a name, is refused unless the channel allows private addresses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createNotifier } from '../../services/notify/notifier.js';
import { closeEmailTransports } from '../../services/notify/email-sender.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { silentLog, testConfig, waitFor } from './helpers.js';

const mails: Array<{ server: string; mail: ParsedMail; user: string | undefined; secure: boolean }> = [];
const servers: SMTPServer[] = [];
const connections = new Map<string, number>();
let dropped = 0;

async function smtp(name: string, behaviour: 'accept' | 'reject' | 'drop-once'): Promise<number> {
  const server = new SMTPServer({
    authOptional: false,
    onConnect(_session, cb) {
      connections.set(name, (connections.get(name) ?? 0) + 1);
      cb();
    },
    onAuth(auth, _session, cb) {
      if (auth.username === 'gw' && auth.password === 'smtp-pass') cb(null, { user: 'gw' });
      else cb(new Error('bad credentials'));
    },
    onRcptTo(address, _session, cb) {
      if (behaviour === 'reject') {
        const err = new Error(`mailbox ${address.address} unavailable`) as Error & { responseCode: number };
        err.responseCode = 550;
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      if (behaviour === 'drop-once' && dropped === 0) {
        dropped++;
        stream.resume();
        // the connection dies in the middle of the message
        setTimeout(() => (session as unknown as { socket?: { destroy(): void } }).socket?.destroy?.(), 5);
        stream.on('end', () => cb(new Error('connection lost')));
        return;
      }
      simpleParser(stream)
        .then((mail) => {
          mails.push({ server: name, mail, user: session.user as string | undefined, secure: session.secure });
          cb();
        })
        .catch(cb);
    },
    logger: false,
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.server.address() as AddressInfo).port;
}

let rt: Runtime;
beforeAll(async () => {
  const ports = { ok: await smtp('ok', 'accept'), reject: await smtp('reject', 'reject'), drop: await smtp('drop', 'drop-once'), guarded: await smtp('guarded', 'accept') };
  // the servers are on loopback: every channel that should reach one opts in (allowPrivate)
  const channel = (name: string, port: number, host = '127.0.0.1', allowPrivate = true) => ({
    type: 'email', name, to: ['soc@example.com', 'oncall@example.com'], from: 'gatewatch@example.com', detectors: name.startsWith('guard') ? ['guard_test'] : ['credential_stuffing'],
    ...(allowPrivate ? { allowPrivate: true } : {}),
    smtp: { host, port, user: 'gw', pass: 'smtp-pass', requireTls: true, rejectUnauthorized: false, timeoutMs: 2000 },
  });
  rt = await openRuntime(
    testConfig({
      notify: {
        backoffBaseMs: 20, backoffMaxMs: 100, maxAttempts: 3, dashboardUrl: 'https://gatewatch.example.com',
        channels: [
          channel('mail', ports.ok), channel('rejecting', ports.reject), channel('flaky-mail', ports.drop),
          // no opt-in: a loopback literal, and a name (/etc/hosts: localhost is 127.0.0.1) resolving to loopback
          channel('guard-literal', ports.guarded, '127.0.0.1', false), channel('guard-v6-literal', ports.guarded, '[::1]', false), channel('guard-name', ports.guarded, 'localhost', false),
          // the same name with the opt-in: a local relay
          channel('guard-relay', ports.guarded, 'localhost', true),
        ],
      },
    }),
    { role: 'test', log: silentLog },
  );
});
afterAll(async () => {
  closeEmailTransports();
  await rt?.close();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

describe('e-mail delivery', () => {
  it('sends a readable alert over STARTTLS with auth, dead-letters a refusal, retries a dropped connection', async () => {
    const now = new Date().toISOString();
    const alert: Alert = {
      id: 'mail-1', detector: 'credential_stuffing', severity: 'high', entity: { type: 'ip', value: '45.83.64.20' }, window: { start: now, end: now },
      observed: 59, expected: 10, score: 5.9, summary: '45.83.64.20 failed to log in as 59 different principals in 5 min (98% of 60 requests failed)',
      owasp: 'API2', evidence: { sql: "SELECT principal_id, count() FROM events WHERE client_ip = toIPv6('45.83.64.20') GROUP BY principal_id", rows: [{ principal_id: 'a@b.example', attempts: 3 }, { principal_id: '<script>x</script>', attempts: 1 }] },
      detail: {}, status: 'open', windows: 3, first_seen: now, last_seen: now,
    };
    const alerts = createClickHouseAlertStore(rt.store);
    await alerts.save([alert]);
    const notifier = createNotifier({ config: rt.config, store: rt.store, alerts, log: silentLog });
    await waitFor(async () => {
      await notifier.tick();
      return ['mail', 'rejecting', 'flaky-mail'].map((c) => notifier.state('mail-1', c)?.status);
    }, (s) => s.every((x) => x === 'sent' || x === 'dead'), { what: 'mails settled', timeoutMs: 30_000 });

    const ok = mails.filter((m) => m.server === 'ok');
    expect(ok).toHaveLength(1);
    const m = ok[0]!;
    expect(m.secure).toBe(true); // STARTTLS happened
    expect(m.user).toBe('gw');
    expect(m.mail.subject).toBe('[Gatewatch] HIGH credential_stuffing: ip 45.83.64.20');
    expect(m.mail.text).toContain('failed to log in as 59 different principals');
    expect(m.mail.text).toContain('Observed / expected: 59 / 10');
    expect(m.mail.text).toContain('https://gatewatch.example.com/#/alerts/mail-1');
    expect(m.mail.text).toContain("SELECT principal_id, count() FROM events WHERE client_ip = toIPv6('45.83.64.20')");
    expect(String(m.mail.html)).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(String(m.mail.html)).not.toContain('<script>x</script>');
    expect(m.mail.headers.get('x-gatewatch-delivery')).toBe('mail-1:mail');

    expect(notifier.state('mail-1', 'rejecting')).toMatchObject({ status: 'dead', attempts: 1 });
    expect(notifier.state('mail-1', 'rejecting')!.lastError).toMatch(/550|unavailable|rejected/);
    expect(notifier.state('mail-1', 'flaky-mail'), notifier.state('mail-1', 'flaky-mail')?.lastError).toMatchObject({ status: 'sent' });
    expect(notifier.state('mail-1', 'flaky-mail')!.attempts).toBeGreaterThanOrEqual(2);
    expect(mails.filter((x) => x.server === 'drop')).toHaveLength(1);
  });
});

describe('incident e-mails', () => {
  it('open and resolve an incident in one thread, every value escaped', async () => {
    const { createIncidentStore } = await import('../../services/storage/incident-store.js');
    const now = new Date().toISOString();
    const stuffing = (id: string, ip: string): Alert => ({
      id, detector: 'credential_stuffing', severity: 'high', entity: { type: 'ip', value: ip }, window: { start: now, end: now },
      observed: 40, expected: 5, score: 4, summary: `${ip} failed to log in as 40 principals <b>x</b>`, owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [] },
      detail: { route: '/v1/login' }, status: 'open', windows: 1, first_seen: now, last_seen: now,
    });
    const alerts = createClickHouseAlertStore(rt.store);
    const incidents = createIncidentStore(rt.store, alerts);
    const pair = [stuffing('mail-inc-1', '45.83.64.21'), stuffing('mail-inc-2', '45.83.64.22')];
    const id = (await incidents.place(pair, 30)).get('mail-inc-1')!;
    await alerts.save(pair);
    const notifier = createNotifier({ config: rt.config, store: rt.store, alerts, log: silentLog });
    const about = () => mails.filter((m) => m.server === 'ok' && m.mail.headers.get('x-gatewatch-incident') === id);
    await waitFor(async () => {
      await notifier.tick();
      return about().length;
    }, (n) => n === 1, { what: 'incident mail', timeoutMs: 30_000 });
    await incidents.transition(id, 'resolve', 'key-analyst', 'blocked at the edge & <reset>');
    await waitFor(async () => {
      await notifier.tick();
      return about().length;
    }, (n) => n === 2, { what: 'resolution mail', timeoutMs: 30_000 });
    const [opened, resolved] = about().map((m) => m.mail);
    expect(opened!.subject).toMatch(/^\[Gatewatch\] HIGH incident: 45\.83\.64\.2[12] failed to log in/);
    expect(opened!.text).toContain(`https://gatewatch.example.com/#/incidents/${id}`);
    expect(opened!.text).toContain('https://gatewatch.example.com/#/alerts/mail-inc-1');
    expect(opened!.text).toContain('ip:45.83.64.21');
    expect(String(opened!.html)).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(String(opened!.html)).not.toContain('<b>x</b>');
    expect(resolved!.subject).toMatch(/^\[Gatewatch\] Resolved: /);
    expect(resolved!.text).toContain('resolved by key-analyst');
    expect(String(resolved!.html)).toContain('blocked at the edge &amp; &lt;reset&gt;');
    // one thread: the first is its root, the resolution refers to it
    expect(opened!.messageId).toBe(`<${id}@incidents.gatewatch>`);
    expect(String(resolved!.headers.get('references') ?? '')).toContain(`${id}@incidents.gatewatch`);
    expect(resolved!.inReplyTo).toBe(`<${id}@incidents.gatewatch>`);
  });
});

describe('e-mail and the SSRF guard', () => {
  it('refuses an SMTP host at a loopback address, as a literal or by name, for good and without connecting; a channel that opts in delivers', async () => {
    const now = new Date().toISOString();
    const alert: Alert = {
      id: 'guard-1', detector: 'guard_test', severity: 'high', entity: { type: 'ip', value: '198.51.100.9' }, window: { start: now, end: now },
      observed: 9, expected: 1, score: 9, summary: 'guard test', owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open', windows: 1, first_seen: now, last_seen: now,
    };
    const alerts = createClickHouseAlertStore(rt.store);
    await alerts.save([alert]);
    const notifier = createNotifier({ config: rt.config, store: rt.store, alerts, log: silentLog });
    const names = ['guard-literal', 'guard-v6-literal', 'guard-name', 'guard-relay'];
    await waitFor(async () => {
      await notifier.tick();
      return names.map((c) => notifier.state('guard-1', c)?.status);
    }, (s) => s.every((x) => x === 'sent' || x === 'dead'), { what: 'guarded mails settled', timeoutMs: 30_000 });

    for (const c of ['guard-literal', 'guard-v6-literal', 'guard-name']) {
      // final at the first attempt, not retried
      expect(notifier.state('guard-1', c), c).toMatchObject({ status: 'dead', attempts: 1 });
      expect(notifier.state('guard-1', c)!.lastError).toMatch(/not a public address \(set allowPrivate on the channel/);
    }
    expect(notifier.state('guard-1', 'guard-literal')!.lastError).toContain('127.0.0.1');
    expect(notifier.state('guard-1', 'guard-v6-literal')!.lastError).toContain('::1');
    expect(notifier.state('guard-1', 'guard-name')!.lastError).toMatch(/localhost resolves to 127\.0\.0\.1/);
    // the opted-in relay got its one message, and the refused channels never even connected
    expect(notifier.state('guard-1', 'guard-relay')).toMatchObject({ status: 'sent', attempts: 1 });
    const got = mails.filter((m) => m.server === 'guarded');
    expect(got.map((m) => m.mail.headers.get('x-gatewatch-delivery'))).toEqual(['guard-1:guard-relay']);
    expect(got[0]!.secure).toBe(true); // STARTTLS over the guarded connection
    expect(connections.get('guarded')).toBe(1);
    // recorded like a webhook refusal: one dead attempt each in the delivery log
    const log = (await (await rt.store.client.query({ query: "SELECT channel, attempt, outcome, error FROM deliveries WHERE alert_id = 'guard-1' ORDER BY channel, attempt", format: 'JSONEachRow' })).json()) as Array<{ channel: string; attempt: number; outcome: string; error: string }>;
    expect(log.map((l) => [l.channel, Number(l.attempt), l.outcome])).toEqual([['guard-literal', 1, 'dead'], ['guard-name', 1, 'dead'], ['guard-relay', 1, 'sent'], ['guard-v6-literal', 1, 'dead']]);
    expect(log.find((l) => l.channel === 'guard-name')!.error).toMatch(/not a public address/);
  });
});

describe('e-mail digest', () => {
  it('sends each period once: counts, the alerts most severe first, silenced ones left out; nothing per alert when digest-only', async () => {
    const { createSilenceStore } = await import('../../services/storage/silence-store.js');
    const T = Date.UTC(2026, 10, 27, 12, 10);
    const at = (h: number, m: number) => new Date(Date.UTC(2026, 10, 27, h, m)).toISOString();
    const mk = (id: string, severity: Alert['severity'], detector: string, t: string): Alert => ({
      id, detector, severity, entity: { type: 'ip', value: `198.51.100.${id.length}` }, window: { start: t, end: t }, observed: 9, expected: 1, score: 9,
      summary: `digest test ${id}`, owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open', windows: 1, first_seen: t, last_seen: t,
    });
    const alerts = createClickHouseAlertStore(rt.store);
    await alerts.save([mk('dg-crit', 'critical', 'dg_a', at(11, 5)), mk('dg-high', 'high', 'dg_b', at(11, 40)), mk('dg-low', 'low', 'dg_silenced', at(11, 50)), mk('dg-before', 'high', 'dg_a', at(10, 30)), mk('dg-after', 'high', 'dg_a', at(12, 5))]);
    await createSilenceStore(rt.store).create({ matchers: { detector: 'dg_silenced' }, startsAt: T - 3 * 3_600_000, endsAt: T + 3_600_000, createdBy: 'test', comment: 'quiet' });
    const { port } = (rt.config.notify.channels.find((c) => c.name === 'mail') as { smtp: { port: number } }).smtp;
    const digestChannel = { type: 'email' as const, name: 'digest', to: ['soc@example.com'], from: 'gatewatch@example.com', detectors: ['dg_a', 'dg_b', 'dg_silenced'], digest: { everyMin: 60, only: true, sendEmpty: false }, allowPrivate: true, smtp: { host: '127.0.0.1', port, user: 'gw', pass: 'smtp-pass', secure: false, requireTls: true, rejectUnauthorized: false, timeoutMs: 2000 } };
    const config = { ...rt.config, notify: { ...rt.config.notify, channels: [digestChannel] } };
    const digests = () => mails.filter((m) => String(m.mail.subject).startsWith('[Gatewatch] digest'));
    const before = mails.length;
    const notifier = createNotifier({ config, store: rt.store, alerts, log: silentLog, now: () => T });
    await waitFor(async () => {
      await notifier.tick();
      return digests().length;
    }, (n) => n >= 1, { what: 'the digest', timeoutMs: 20_000 });
    for (let i = 0; i < 3; i++) await notifier.tick();
    // a restarted notifier does not send that period again
    const again = createNotifier({ config, store: rt.store, alerts, log: silentLog, now: () => T + 60_000 });
    for (let i = 0; i < 3; i++) await again.tick();
    expect(digests()).toHaveLength(1);
    expect(mails.length - before).toBe(1); // digest only: no e-mail per alert
    const d = digests()[0]!.mail;
    expect(d.subject).toBe('[Gatewatch] digest: 2 alerts (1 critical, 1 high), 2026-11-27 11:00 – 2026-11-27 12:00 UTC');
    const text = String(d.text);
    expect(text.indexOf('dg-crit')).toBeGreaterThan(-1);
    expect(text.indexOf('digest test dg-crit')).toBeLessThan(text.indexOf('digest test dg-high'));
    expect(text).toContain('1 silenced alert(s) not listed.');
    expect(text).not.toContain('dg-before');
    expect(text).not.toContain('dg-after');
    expect(text).toContain('https://gatewatch.example.com/#/alerts/dg-high');
    expect(d.headers.get('x-gatewatch-digest')).toBe('2026-11-27T11:00:00.000Z/2026-11-27T12:00:00.000Z');
  });
});
