/**
 * Webhook delivery against real HTTP receivers on loopback: signatures that verify, retries
 * with backoff on 5xx and timeouts, no retry on 4xx, the SSRF guard, dead-lettering after the
 * last attempt, the delivery log, and no second delivery after a notifier restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createNotificationRepo } from '../../services/storage/notification-repo.js';
import { createNotifier } from '../../services/notify/notifier.js';
import { verifyWebhook } from '../../services/notify/webhook-signature.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { silentLog, testConfig, waitFor } from './helpers.js';

const SECRET = 'whsec-test-0123456789abcdef';

interface Received {
  path: string;
  body: string;
  verified: boolean;
  delivery: string;
}

let rt: Runtime;
let server: http.Server;
let base = '';
const received: Received[] = [];
const hits = new Map<string, number>();
let recovered = false;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const key = `${path}|${String(req.headers['x-gatewatch-delivery'])}`;
      const n = (hits.get(key) ?? 0) + 1;
      hits.set(key, n);
      const verified = verifyWebhook(SECRET, String(req.headers['x-gatewatch-signature']), String(req.headers['x-gatewatch-timestamp']), body, Math.floor(Date.now() / 1000));
      received.push({ path, body, verified, delivery: String(req.headers['x-gatewatch-delivery']) });
      if (path === '/flaky' && n <= 2) {
        res.writeHead(n === 1 ? 503 : 429, { 'retry-after': '0' }).end('busy');
      } else if (path === '/bad') {
        res.writeHead(400).end('no');
      } else if (path === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else if (path === '/recovering' && !recovered) {
        res.writeHead(500).end('down');
      } else if (path === '/slow') {
        setTimeout(() => res.writeHead(200).end('late'), 1500);
      } else {
        res.writeHead(verified ? 200 : 401).end('ok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const channel = (name: string, path: string, extra: Record<string, unknown> = {}) => ({ type: 'webhook', name, url: `${base}${path}`, secret: SECRET, allowPrivate: true, timeoutMs: 400, ...extra });
  rt = await openRuntime(
    testConfig({
      notify: {
        backoffBaseMs: 20,
        backoffMaxMs: 200,
        maxAttempts: 3,
        groupIntervalSec: 1,
        rateLimitPerMin: 1000,
        channels: [
          channel('ok', '/ok'),
          channel('slack', '/ok', { format: 'slack', minSeverity: 'high' }),
          channel('flaky', '/flaky'),
          channel('bad', '/bad'),
          channel('redirect', '/redirect'),
          channel('slow', '/slow'),
          channel('limited', '/limited', { detectors: ['enumeration'] }),
          channel('recovering', '/recovering', { detectors: ['credential_stuffing'] }),
          { type: 'webhook', name: 'guarded', url: `${base}/ok`, secret: SECRET },
          // a name that resolves to loopback (/etc/hosts: localhost is 127.0.0.1) is refused too
          { type: 'webhook', name: 'guarded-name', url: `${base.replace('127.0.0.1', 'localhost')}/ok`, secret: SECRET },
        ],
      },
    }),
    { role: 'test', log: silentLog },
  );
});
afterAll(async () => {
  await rt?.close();
  await new Promise((r) => server.close(r));
});

function alert(id: string, severity: Alert['severity'], entity = `198.51.100.${id.length + id.charCodeAt(id.length - 1) % 200}`): Alert {
  const now = new Date().toISOString();
  return {
    id, detector: 'brute_force', severity, entity: { type: 'ip', value: entity }, window: { start: now, end: now },
    observed: 40, expected: 20, score: 2, summary: `test alert ${id}`, owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [{ n: 1 }] },
    detail: {}, status: 'open', windows: 1, first_seen: now, last_seen: now,
  };
}

describe('webhook delivery', () => {
  it('delivers each new alert once per matching channel, retries what may succeed, dead-letters the rest', async () => {
    const alerts = createClickHouseAlertStore(rt.store);
    await alerts.save([alert('a1', 'medium'), alert('a2', 'critical')]);
    const notifier = createNotifier({ config: rt.config, store: rt.store, alerts, log: silentLog });
    await waitFor(
      async () => {
        await notifier.tick();
        return ['ok', 'slack', 'flaky', 'bad', 'redirect', 'slow', 'guarded', 'guarded-name'].flatMap((c) => ['a1', 'a2'].map((a) => notifier.state(a, c)?.status ?? 'none'));
      },
      (states) => states.every((s) => s === 'sent' || s === 'dead' || s === 'none'),
      { what: 'every notification settled', timeoutMs: 30_000 },
    );

    // signed and verified, exactly once per alert
    const ok = received.filter((r) => r.path === '/ok' && !JSON.parse(r.body).blocks);
    expect(ok.map((r) => JSON.parse(r.body).alert.id).sort()).toEqual(['a1', 'a2']);
    expect(ok.every((r) => r.verified)).toBe(true);
    expect(JSON.parse(ok[0]!.body)).toMatchObject({ type: 'alert', link: expect.stringMatching(/#\/alerts\/a[12]$/) });
    // the Slack channel only wanted high and above
    const slack = received.filter((r) => r.path === '/ok' && JSON.parse(r.body).blocks);
    expect(slack).toHaveLength(1);
    expect(JSON.parse(slack[0]!.body).text).toContain('critical');
    expect(notifier.state('a1', 'slack')).toBeUndefined();

    expect(notifier.state('a1', 'flaky')).toMatchObject({ status: 'sent', attempts: 3 });
    expect(notifier.state('a1', 'bad')).toMatchObject({ status: 'dead', attempts: 1, lastError: 'HTTP 400' });
    expect(notifier.state('a1', 'redirect')).toMatchObject({ status: 'dead', attempts: 1 });
    expect(notifier.state('a1', 'redirect')!.lastError).toMatch(/redirect .* refused/);
    expect(notifier.state('a1', 'slow')).toMatchObject({ status: 'dead', attempts: 3 });
    expect(notifier.state('a1', 'slow')!.lastError).toMatch(/no answer within 400 ms/);
    expect(notifier.state('a1', 'guarded')).toMatchObject({ status: 'dead', attempts: 1 });
    expect(notifier.state('a1', 'guarded')!.lastError).toMatch(/not a public address/);
    expect(notifier.state('a1', 'guarded-name')).toMatchObject({ status: 'dead', attempts: 1 });
    expect(notifier.state('a1', 'guarded-name')!.lastError).toMatch(/localhost resolves to 127\.0\.0\.1: not a public address/);
    // neither reached the receiver
    expect(received.filter((r) => /:guarded(-name)?$/.test(r.delivery))).toEqual([]);

    // every attempt is in the delivery log
    const log = (await (await rt.store.client.query({ query: "SELECT channel, attempt, outcome, http_status FROM deliveries WHERE alert_id = 'a1' ORDER BY channel, attempt", format: 'JSONEachRow' })).json()) as Array<{ channel: string; attempt: number; outcome: string; http_status: number }>;
    expect(log.filter((l) => l.channel === 'flaky').map((l) => [Number(l.attempt), l.outcome, Number(l.http_status)])).toEqual([[1, 'retry', 503], [2, 'retry', 429], [3, 'sent', 200]]);
    expect(log.filter((l) => l.channel === 'slow').map((l) => l.outcome)).toEqual(['retry', 'retry', 'dead']);
    expect(log.filter((l) => l.channel === 'bad').map((l) => l.outcome)).toEqual(['dead']);

    // a restarted notifier sends nothing twice
    const before = received.length;
    const again = createNotifier({ config: rt.config, store: rt.store, alerts, log: silentLog });
    await again.tick();
    await again.tick();
    expect(received.length).toBe(before);
    expect(again.state('a1', 'ok')).toMatchObject({ status: 'sent' });

    // an alert already sent that changes later (extended by the detector) is not sent again
    await alerts.save([{ ...alert('a1', 'medium'), windows: 5 }]);
    await again.tick();
    expect(received.length).toBe(before);

    // a silenced alert is stored and marked, never delivered
    const { createSilenceStore } = await import('../../services/storage/silence-store.js');
    const silence = await createSilenceStore(rt.store).create({ matchers: { entity_value: '198.51.100.0/24', detector: 'brute_force' }, startsAt: Date.now() - 60_000, endsAt: Date.now() + 3_600_000, createdBy: 'test', comment: 'maintenance' });
    await alerts.save([alert('a4', 'critical')]);
    await waitFor(async () => {
      await again.tick();
      return again.state('a4', 'ok')?.status;
    }, (s) => s === 'suppressed', { what: 'a4 suppressed' });
    expect(received.filter((r) => r.delivery.startsWith('a4:'))).toEqual([]);
    expect(again.state('a4', 'ok')!.lastError).toBe(`silenced by ${silence.id}`);
    await createSilenceStore(rt.store).expire(silence.id);

    // a new alert after the restart is delivered by the new notifier, once
    await alerts.save([alert('a3', 'low')]);
    await waitFor(async () => {
      await again.tick();
      return again.state('a3', 'ok')?.status;
    }, (s) => s === 'sent', { what: 'a3 delivered' });
    expect(received.filter((r) => r.path === '/ok' && r.delivery === 'a3:ok')).toHaveLength(1);
  });
});

describe('grouping and rate limits', () => {
  it('sends alerts about one entity together, and summarises what a rate limit holds back', async () => {
    const alerts = createClickHouseAlertStore(rt.store);
    const notifier = createNotifier({ config: { ...rt.config, notify: { ...rt.config.notify, rateLimitPerMin: 3 } }, store: rt.store, alerts, log: silentLog });
    await notifier.tick(); // settle what earlier tests left
    const enumeration = (id: string, entity: string): Alert => ({ ...alert(id, 'high', entity), detector: 'enumeration', entity: { type: 'principal', value: entity } });
    // three alerts about mallory arrive together: one message
    await alerts.save([enumeration('g1', 'mallory'), enumeration('g2', 'mallory'), enumeration('g3', 'mallory')]);
    await waitFor(async () => {
      await notifier.tick();
      return ['g1', 'g2', 'g3'].map((a) => notifier.state(a, 'limited')?.status);
    }, (s) => s.every((x) => x === 'sent'), { what: 'group sent' });
    const grouped = received.filter((r) => r.path === '/limited');
    expect(grouped).toHaveLength(1);
    expect(JSON.parse(grouped[0]!.body)).toMatchObject({ type: 'alert_group', reason: 'group', count: 3 });

    // five principals at once against a limit of 3 a minute (1 used): 1 message, then 1 summary of 4
    await alerts.save(['p1', 'p2', 'p3', 'p4', 'p5'].map((p) => enumeration(`r-${p}`, p)));
    await waitFor(async () => {
      await notifier.tick();
      return ['p1', 'p2', 'p3', 'p4', 'p5'].map((p) => notifier.state(`r-${p}`, 'limited')?.status);
    }, (s) => s.every((x) => x === 'sent'), { what: 'rate-limited alerts sent' });
    const after = received.filter((r) => r.path === '/limited').slice(1).map((r) => JSON.parse(r.body) as { type: string; reason?: string; count?: number });
    expect(after).toHaveLength(2);
    expect(after.filter((b) => b.type === 'alert')).toHaveLength(1);
    expect(after.find((b) => b.type === 'alert_group')).toMatchObject({ reason: 'rate_limit', count: 4 });
  });
});

describe('notifications per incident', () => {
  interface IncidentBody {
    type: string;
    event: string;
    summary: string;
    incident: { id: string; status: string; alert_ids: string[]; keys: string[] };
    alerts: Array<{ id: string }>;
    resolution?: { by: string; comment: string };
    link: string;
  }
  const bodies = (from: number) => received.filter((r) => r.path === '/limited').slice(from).map((r) => JSON.parse(r.body) as IncidentBody);
  const walk = (id: string, who: string): Alert => ({ ...alert(id, 'high', who), detector: 'enumeration', entity: { type: 'principal', value: who }, detail: { route: '/v1/orders/{id}' } });

  it('open with the first alerts, update with later ones at a bounded rate, hold updates back once acknowledged, and close with the resolution', async () => {
    const { createIncidentStore } = await import('../../services/storage/incident-store.js');
    const alerts = createClickHouseAlertStore(rt.store);
    const incidents = createIncidentStore(rt.store, alerts);
    const notifier = createNotifier({ config: rt.config, store: rt.store, alerts, log: silentLog });
    await notifier.tick(); // settle what earlier tests left
    const before = received.filter((r) => r.path === '/limited').length;
    // two accounts walking the same order ids: two entities, one incident (they name the same route)
    const pair = [walk('inc-n1', 'oscar'), walk('inc-n2', 'olga')];
    const placed = await incidents.place(pair, 30);
    await alerts.save(pair);
    const id = placed.get('inc-n1')!;
    expect(placed.get('inc-n2')).toBe(id);
    await waitFor(async () => {
      await notifier.tick();
      return pair.map((a) => notifier.state(a.id, 'limited')?.status);
    }, (st) => st.every((x) => x === 'sent'), { what: 'incident sent' });
    let sent = bodies(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'incident', event: 'opened', incident: { id, status: 'open' } });
    expect(sent[0]!.alerts.map((a) => a.id).sort()).toEqual(['inc-n1', 'inc-n2']);
    expect(sent[0]!.link).toMatch(new RegExp(`#/incidents/${id}$`));
    expect(sent[0]!.summary).toMatch(/^HIGH incident: /);

    // a third account joins: one update, carrying only the new alert, not before the group interval (1 s here)
    const third = walk('inc-n3', 'omar');
    await incidents.place([third], 30);
    await alerts.save([third]);
    await waitFor(async () => {
      await notifier.tick();
      return notifier.state('inc-n3', 'limited')?.status;
    }, (st) => st === 'sent', { what: 'update sent' });
    sent = bodies(before);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({ type: 'incident', event: 'updated', incident: { id } });
    expect(sent[1]!.alerts.map((a) => a.id)).toEqual(['inc-n3']);
    expect(sent[1]!.incident.alert_ids).toHaveLength(3);
    expect(sent[1]!.summary).toMatch(/^1 new alert in high incident: /);
    expect(received.filter((r) => r.path === '/limited').at(-1)!.verified).toBe(true);
    // the update waited the group interval after the first message (the delivery log's times)
    const log = await (await rt.store.client.query({ query: `SELECT alert_id, toUnixTimestamp64Milli(at) AS at FROM deliveries WHERE channel = 'limited' AND outcome = 'sent' AND alert_id IN ('inc-n1', 'inc-n3')`, format: 'JSONEachRow' })).json<{ alert_id: string; at: string }>();
    const at = (a: string) => Number(log.find((r) => r.alert_id === a)!.at);
    expect(at('inc-n3') - at('inc-n1')).toBeGreaterThanOrEqual(1000);

    // someone acknowledges it: a fourth account's alert is recorded, and its message held back
    expect(await incidents.transition(id, 'ack', 'key-analyst', 'on it')).toMatchObject({ ok: true, alertsChanged: 3 });
    const fourth = walk('inc-n4', 'otto');
    await incidents.place([fourth], 30);
    await alerts.save([fourth]);
    await waitFor(async () => {
      await notifier.tick();
      return notifier.state('inc-n4', 'limited')?.status;
    }, (st) => st === 'suppressed', { what: 'update held back' });
    expect(notifier.state('inc-n4', 'limited')!.lastError).toMatch(/acknowledged/);
    expect(bodies(before)).toHaveLength(2);

    // resolved by a person: one resolution message, who and why in it; nothing for channels told nothing
    expect(await incidents.transition(id, 'resolve', 'key-analyst', 'accounts locked')).toMatchObject({ ok: true });
    await waitFor(async () => {
      await notifier.tick();
      return bodies(before).length;
    }, (n) => n === 3, { what: 'resolution sent' });
    await notifier.tick();
    sent = bodies(before);
    expect(sent).toHaveLength(3);
    expect(sent[2]).toMatchObject({ type: 'incident', event: 'resolved', incident: { id, status: 'resolved' }, resolution: { by: 'key-analyst', comment: 'accounts locked' }, alerts: [] });
    expect(sent[2]!.summary).toMatch(/^Resolved: /);
    // the same alerts went to the catch-all channel too: it hears of the resolution; the Slack one (high and up) too, as blocks
    const ok = received.filter((r) => r.path === '/ok').map((r) => JSON.parse(r.body) as IncidentBody & { text?: string });
    expect(ok.filter((b) => b.type === 'incident' && b.incident.id === id).map((b) => b.event)).toEqual(['opened', 'updated', 'resolved']);
    expect(ok.filter((b) => b.text?.includes('Resolved:'))).toHaveLength(1);
  });

  it('are held back while the incident is silenced, and say so when the system resolves it', async () => {
    const { createIncidentStore } = await import('../../services/storage/incident-store.js');
    const alerts = createClickHouseAlertStore(rt.store);
    const incidents = createIncidentStore(rt.store, alerts);
    const notifier = createNotifier({ config: rt.config, store: rt.store, alerts, log: silentLog });
    await notifier.tick();
    const before = received.filter((r) => r.path === '/limited').length;
    // a silenced incident: its alerts are recorded, no message goes out
    const quiet = walk('inc-q1', 'quentin');
    const qid = (await incidents.place([quiet], 30)).get('inc-q1')!;
    expect(await incidents.transition(qid, 'silence', 'key-analyst', 'pen test', { untilMs: Date.now() + 3_600_000 })).toMatchObject({ ok: true, incident: { silenced_until: expect.stringMatching(/^20/) } });
    await alerts.save([quiet]);
    await waitFor(async () => {
      await notifier.tick();
      return notifier.state('inc-q1', 'limited')?.status;
    }, (st) => st === 'suppressed', { what: 'silenced incident held back' });
    expect(notifier.state('inc-q1', 'limited')!.lastError).toMatch(/silenced until/);

    // another incident, told, whose alert the system resolves (condition clear): the incident follows, and says who
    const loud = { ...walk('inc-s1', 'sara'), detail: { route: '/v1/carts/{id}' } };
    const sid = (await incidents.place([loud], 30)).get('inc-s1')!;
    await alerts.save([loud]);
    await waitFor(async () => {
      await notifier.tick();
      return notifier.state('inc-s1', 'limited')?.status;
    }, (st) => st === 'sent', { what: 'incident sent' });
    expect(await alerts.transition('inc-s1', 'auto_resolve', 'system', 'condition clear')).toMatchObject({ ok: true });
    expect(await incidents.resolveClear()).toContain(sid);
    // resolving again finds nothing new; a person's reopening is not undone by it
    expect(await incidents.resolveClear()).not.toContain(sid);
    await waitFor(async () => {
      await notifier.tick();
      return bodies(before).filter((b) => b.event === 'resolved').length;
    }, (n) => n === 1, { what: 'system resolution sent' });
    const resolved = bodies(before).find((b) => b.event === 'resolved')!;
    expect(resolved).toMatchObject({ incident: { id: sid }, resolution: { by: 'system' } });
    expect(bodies(before).some((b) => b.incident?.id === qid)).toBe(false);
    expect(await incidents.transition(sid, 'reopen', 'key-analyst', 'not done')).toMatchObject({ ok: true });
    expect(await incidents.resolveClear()).not.toContain(sid);
    expect((await incidents.get(sid))!.status).toBe('open');
  });
});

describe('dead letters', () => {
  it('can be sent again once the receiver is fixed', async () => {
    const alerts = createClickHouseAlertStore(rt.store);
    const notifier = createNotifier({ config: rt.config, store: rt.store, alerts, log: silentLog });
    await alerts.save([{ ...alert('dl-1', 'high'), detector: 'credential_stuffing' }]);
    await waitFor(async () => {
      await notifier.tick();
      return notifier.state('dl-1', 'recovering')?.status;
    }, (s) => s === 'dead', { what: 'dead-lettered' });
    expect(await notifier.requeue('dl-1', 'no-such-channel')).toBe(false);
    recovered = true;
    // a requeue written by another process (the API's, which runs no notifier) reaches a
    // notifier that is already running, restarted since the notification died
    const later = createNotifier({ config: rt.config, store: rt.store, alerts, log: silentLog });
    await later.tick();
    expect(later.state('dl-1', 'recovering')?.status).toBe('dead');
    const api = createNotificationRepo(rt.store);
    expect(await api.requeue('dl-1', 'recovering')).toBe(true);
    await waitFor(async () => {
      await later.tick();
      return later.state('dl-1', 'recovering')?.status;
    }, (s) => s === 'sent', { what: 'sent after requeue' });
    expect(later.state('dl-1', 'recovering')).toMatchObject({ status: 'sent', attempts: 1 });
    // sent now: nothing to requeue, and a round later it is not sent again
    expect(await api.requeue('dl-1', 'recovering')).toBe(false);
    expect(await later.requeue('dl-1', 'recovering')).toBe(false);
    await later.tick();
    expect(later.state('dl-1', 'recovering')).toMatchObject({ status: 'sent', attempts: 1 });
  });
});

describe('channels added through the API', () => {
  it('are picked up by a running notifier within seconds, from then on, and dropped when removed', async () => {
    const { createChannelStore } = await import('../../services/storage/channel-store.js');
    const alerts = createClickHouseAlertStore(rt.store);
    const channels = createChannelStore({ store: rt.store, configChannels: [], fingerprintKey: 'f'.repeat(32), log: silentLog });
    const config = { ...rt.config, notify: { ...rt.config.notify, channels: [] } };
    const notifier = createNotifier({ config, store: rt.store, alerts, log: silentLog, channels: () => channels.channels() });
    const mine = (id: string) => ({ ...alert(id, 'high'), detector: 'api_channel_test' });
    await notifier.tick();
    await alerts.save([mine('api-ch-before')]);
    await new Promise((r) => setTimeout(r, 2100));
    await notifier.tick(); // (channels read again: still none)
    await channels.put({ type: 'webhook', name: 'added', url: `${base}/added`, secret: SECRET, allowPrivate: true, detectors: ['api_channel_test'] }, 'test');
    await alerts.save([mine('api-ch-after')]);
    await waitFor(async () => {
      await notifier.tick();
      return notifier.state('api-ch-after', 'added')?.status;
    }, (s) => s === 'sent', { what: 'delivered through the added channel', timeoutMs: 10_000 });
    const got = received.filter((r) => r.path === '/added');
    expect(got).toHaveLength(1);
    expect(got[0]!.verified).toBe(true);
    expect(JSON.parse(got[0]!.body).alert.id).toBe('api-ch-after');
    // an alert older than the channel is history, not news
    expect(notifier.state('api-ch-before', 'added')).toBeUndefined();

    await channels.remove('added', 'test');
    await new Promise((r) => setTimeout(r, 2100));
    await alerts.save([mine('api-ch-removed')]);
    for (let i = 0; i < 5; i++) await notifier.tick();
    expect(notifier.state('api-ch-removed', 'added')).toBeUndefined();
    expect(received.filter((r) => r.path === '/added')).toHaveLength(1);
  });
});

describe('several notifier processes', () => {
  it('deliver each alert once between them, and again nothing twice after one restarts', async () => {
    const alerts = createClickHouseAlertStore(rt.store);
    const notify = { ...rt.config.notify, channels: [{ type: 'webhook' as const, name: 'sharded', url: `${base}/sharded`, secret: SECRET, allowPrivate: true, detectors: ['shard_test'] }] };
    const a = createNotifier({ config: { ...rt.config, notify: { ...notify, instance: '0/2' } }, store: rt.store, alerts, log: silentLog });
    const b = createNotifier({ config: { ...rt.config, notify: { ...notify, instance: '1/2' } }, store: rt.store, alerts, log: silentLog });
    await Promise.all([a.tick(), b.tick()]);
    const ids = Array.from({ length: 24 }, (_, i) => `shard-${i}`);
    await alerts.save(ids.map((id, i) => ({ ...alert(id, 'high', `203.0.113.${i}`), detector: 'shard_test' })));
    const got = () => received.filter((r) => r.path === '/sharded');
    await waitFor(async () => {
      await Promise.all([a.tick(), b.tick()]);
      return got().length;
    }, (n) => n >= ids.length, { what: 'all sharded alerts delivered', timeoutMs: 20_000 });
    for (let i = 0; i < 3; i++) await Promise.all([a.tick(), b.tick()]);
    const delivered = got().map((r) => JSON.parse(r.body).alert.id as string);
    expect([...delivered].sort()).toEqual([...ids].sort());
    const byA = ids.filter((id) => a.state(id, 'sharded')?.status === 'sent').length;
    const byB = ids.filter((id) => b.state(id, 'sharded')?.status === 'sent').length;
    expect(byA + byB).toBe(ids.length);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    // instance 1 restarts; a new alert arrives meanwhile: delivered once, nothing old again
    await b.stop();
    await alerts.save([{ ...alert('shard-late', 'high', '203.0.113.200'), detector: 'shard_test' }]);
    const b2 = createNotifier({ config: { ...rt.config, notify: { ...notify, instance: '1/2' } }, store: rt.store, alerts, log: silentLog });
    await waitFor(async () => {
      await Promise.all([a.tick(), b2.tick()]);
      return got().length;
    }, (n) => n >= ids.length + 1, { what: 'the late alert delivered', timeoutMs: 20_000 });
    for (let i = 0; i < 3; i++) await Promise.all([a.tick(), b2.tick()]);
    expect(got()).toHaveLength(ids.length + 1);
  });
});
