/**
 * The notifier: every new alert, once per matching channel (signed webhook or e-mail); the
 * alerts of one incident as incident messages — opened (its first alerts), then updated (the
 * alerts new since, at most one message per group interval), then resolved (by a person, or by
 * the system when every alert cleared), each to the channels that were told about it. An
 * acknowledged incident's updates and a silenced incident's messages are held back (marked
 * suppressed, not sent).
 *
 * Invariants:
 * - a notification (alert × channel) is created once, the first time the alert is seen, and
 *   its state lives in `notifications` (pending → sent | dead | suppressed by a silence), so a restart resumes exactly
 *   where it stopped: what was sent is not sent again, what was pending is retried;
 * - every attempt is written to `deliveries` (channel, attempt, outcome, status, latency,
 *   error) before the notification's state moves on;
 * - a receiver that hangs, fails or throttles costs bounded time (timeouts) and is retried
 *   with backoff; one that refuses for good (4xx, a private address) is dead-lettered at once.
 * The one window left is a crash after the receiver answered 2xx and before `sent` was
 * written: that delivery is repeated, with the same X-Gatewatch-Delivery id, so a receiver can
 * drop it (each chunk of a round is recorded as soon as it is answered, so at most a chunk).
 *
 * This file keeps the state and does the I/O; the decisions are parts without I/O, each tested
 * alone: what is due (discovery.ts), what is held back and how due notifications become
 * messages within rate limits (notification-policy.ts), what an attempt's outcome means for
 * alerts and digests alike (attempt.ts, retry-policy.ts), and when digests are due
 * (digest-schedule.ts). The store's side is storage/notification-repo.ts.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Alert, Severity } from '../../schemas/alert-schema.js';
import { SEVERITIES } from '../../schemas/alert-schema.js';
import type { Config } from '../../schemas/config-schema.js';
import type { Channel } from '../../schemas/notify-config-schema.js';
import type { Store } from '../storage/clickhouse.js';
import { errorMessage } from '../shared/errors.js';
import type { AlertStore } from '../storage/clickhouse-alert-store.js';
import { createIncidentStore, type IncidentStore, type IncidentView } from '../storage/incident-store.js';
import type { IncidentNotice } from './webhook-payload.js';
import type { Lease } from '../storage/lease.js';
import { createNotificationRepo, cursorToMs, toCursor, type Delivery } from '../storage/notification-repo.js';
import { settle, timedAttempt, type TimedOutcome } from './attempt.js';
import { dueDigests, type DigestPeriod } from './digest-schedule.js';
import { channelWants, dueAt, newNotifications, worthReading } from './discovery.js';
import { deliver as realDeliver, type Deliver } from './deliver.js';
import { silenceMatches, type Silence } from './silence-matcher.js';
import { decide, rateLimit } from './notification-policy.js';
import { createSilenceStore, type SilenceStore } from '../storage/silence-store.js';
import { sendDigestEmail } from './email-sender.js';
import { DIGEST_LIST, type Digest } from './email-message.js';
import type { EmailChannel } from '../../schemas/notify-config-schema.js';

type Status = 'pending' | 'sent' | 'dead' | 'suppressed';

interface Notification {
  /** the alert's id, or `resolved:<incident>:<trail version>` for an incident's resolution */
  id: string;
  /** the alert (absent for a resolution) */
  alert?: Alert;
  /** for a resolution: the incident */
  incident?: string;
  channel: Channel;
  status: Status;
  attempts: number;
  nextAt: number;
  lastError: string;
}

/** attempts in flight per channel */
const PARALLEL = 16;

const chTime = toCursor;

export { channelWants } from './discovery.js';

export interface NotifierDeps {
  config: Config;
  store: Store;
  alerts: AlertStore;
  /** silences suppress notifications (default: the ClickHouse silence store) */
  silences?: SilenceStore;
  log: Logger;
  now?: () => number;
  /** one delivery attempt (webhook or e-mail) */
  deliver?: Deliver;
  /** the channels in force (default: the config file's); read again every few seconds */
  channels?: () => Promise<Channel[]>;
  /** one attempt to send an e-mail digest */
  sendDigest?: typeof sendDigestEmail;
  /** incidents (default: the store's) */
  incidents?: IncidentStore;
  /** when given, rounds run only while this process holds it (one process per notifier instance) */
  lease?: Lease;
}

const RESOLVED = 'resolved:';
const keyOf = (id: string, channel: string) => `${id}\0${channel}`;

/** how long a read of the channels is reused */
const CHANNELS_TTL_MS = 2000;

export function createNotifier(deps: NotifierDeps) {
  const { config, store, log } = deps;
  const now = deps.now ?? Date.now;
  const repo = createNotificationRepo(store, now);
  const send = deps.deliver ?? realDeliver;
  const silenceStore = deps.silences ?? createSilenceStore(store, now);
  const incidentStore = deps.incidents ?? createIncidentStore(store, deps.alerts, now);
  let channels: Channel[] = config.notify.channels.filter((c) => c.enabled !== false);
  let channelsReadAt = 0;
  /** Channels added, changed or removed through the API take effect here, within seconds. */
  async function refreshChannels(): Promise<void> {
    if (!deps.channels || now() - channelsReadAt < CHANNELS_TTL_MS) return;
    const before = new Set(channels.map((c) => c.name));
    const previousRead = channelsReadAt;
    channels = await deps.channels();
    channelsReadAt = now();
    // a channel added since the last read gets the alerts since that read: look at them again
    // (notifications are per channel, so the other channels are not sent anything twice)
    if (loaded && previousRead && channels.some((c) => !before.has(c.name))) {
      const since = chTime(previousRead - 1000);
      if (since < cursor) cursor = since;
      // and nothing older (the discovery's overlap reads some): alerts from then on
      for (const c of channels) if (!before.has(c.name)) channelSince.set(c.name, since);
    }
    const byName = new Map(channels.map((c) => [c.name, c]));
    for (const [key, n] of known) {
      if (n.status !== 'pending') continue;
      const c = byName.get(n.channel.name);
      // a removed (or disabled) channel's pending notifications stay pending in the table and are picked up if it comes back
      if (c) n.channel = c;
      else known.delete(key);
    }
  }
  /** a channel added while running: alerts updated before this are history to it */
  const channelSince = new Map<string, string>();
  const known = new Map<string, Notification>(); // key: alert id \0 channel; pending, and those settled in this process
  // settled before this process started: their keys, so that an alert updated later is not sent again
  const settledBefore = new Map<string, { status: Status; attempts: number; lastError: string }>();
  // grouping and rate limiting: when an incident (or an entity, for alerts in none) was last
  // notified per channel, when each channel sent
  const incidentOf = new Map<string, string>();
  const groupKey = (n: Notification) => {
    if (n.id.startsWith(RESOLVED)) return `${n.channel.name}\0${n.id}`;
    const incident = n.incident ?? (n.alert ? incidentOf.get(n.alert.id) : undefined);
    return incident ? `${n.channel.name}\0incident\0${incident}` : `${n.channel.name}\0${n.alert!.entity.type}\0${n.alert!.entity.value}`;
  };
  /** Which incident each of these alerts is in (read from the store: grouping is detection's). */
  async function learnIncidents(ids: string[]): Promise<void> {
    const unknown = ids.filter((id) => !incidentOf.has(id));
    if (!unknown.length) return;
    try {
      for (let k = 0; k < unknown.length; k += 5000) {
        const part = unknown.slice(k, k + 5000);
        const rows = await repo.incidentsHolding(part);
        const wanted = new Set(part);
        for (const r of rows) for (const a of r.alert_ids) if (wanted.has(a)) incidentOf.set(a, r.id);
      }
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'could not read the incidents of new alerts: they are grouped by entity');
    }
  }
  /** an incident's messages all belong to one notifier process (the one its id hashes to) */
  const ownerOf = (id: string) => (id.startsWith(RESOLVED) ? id.slice(RESOLVED.length).split(':')[0]! : incidentOf.get(id) ?? id);
  /** Of these alerts, those a message to this channel has already been about. */
  const notifiedBefore = (channel: string, alertIds: string[]) => repo.sentAmong(channel, alertIds);
  const lastSent = new Map<string, number>();
  const sentAtByChannel = new Map<string, number[]>();
  const sentAt = (channel: string) => {
    let list = sentAtByChannel.get(channel);
    if (!list) sentAtByChannel.set(channel, (list = []));
    return list;
  };
  const groupInterval = config.notify.groupIntervalSec * 1000;
  // several notifier processes: each alert × channel belongs to exactly one of them
  const [shardIndex, shardCount] = config.notify.instance.split('/').map(Number) as [number, number];
  const mine = (id: string, channel: string) => shardCount <= 1 || createHash('sha256').update(`${ownerOf(id)}\0${channel}`).digest().readUInt32BE(0) % shardCount === shardIndex;
  let cursor = '';
  let trailCursor = 0;
  let loaded = false;

  async function persist(ns: Notification[]): Promise<void> {
    await repo.save(ns.map((n) => ({ id: n.id, channel: n.channel.name, status: n.status, attempts: n.attempts, nextAt: n.nextAt, lastError: n.lastError })));
  }

  async function load(): Promise<void> {
    // notifications already decided, so that a restart neither repeats nor forgets them
    const all = (await repo.all()).map((r) => ({ alert_id: r.id, channel: r.channel, status: r.status, attempts: r.attempts, next_at: r.nextAt, last_error: r.lastError, updated: r.updated }));
    const pendingIds = [...new Set(all.filter((r) => r.status === 'pending').map((r) => r.alert_id))];
    // (an alert's incident decides which process owns it: learnt before sorting the rows)
    await learnIncidents(pendingIds.filter((id) => !id.startsWith(RESOLVED) && !id.startsWith('digest-')));
    const rows = all.filter((r) => mine(r.alert_id, r.channel));
    const alerts = new Map((await deps.alerts.byIds(pendingIds)).map((a) => [a.id, a]));
    for (const r of all) {
      const key = keyOf(r.alert_id, r.channel);
      if (r.status !== 'pending') {
        settledBefore.set(key, { status: r.status, attempts: Number(r.attempts), lastError: r.last_error });
        continue;
      }
      if (!mine(r.alert_id, r.channel)) continue;
      const channel = channels.find((c) => c.name === r.channel);
      if (!channel) continue;
      const state = { channel, status: r.status, attempts: Number(r.attempts), nextAt: Number(r.next_at), lastError: r.last_error };
      if (r.alert_id.startsWith(RESOLVED)) {
        known.set(key, { id: r.alert_id, incident: ownerOf(r.alert_id), ...state });
        continue;
      }
      const alert = alerts.get(r.alert_id);
      if (alert) known.set(key, { id: alert.id, alert, ...state });
    }
    // alerts older than the notifier's first start are history, not news; after a restart, go
    // on from this instance's own last notification
    cursor = rows.length ? rows.reduce((m, r) => (r.updated > m ? r.updated : m), '') : chTime(now() - 24 * 3_600_000);
    // resolutions of incidents from the same point on (the trail's versions are wall-clock microseconds)
    trailCursor = cursorToMs(cursor) * 1000;
    loaded = true;
  }

  const seen = (key: string) => known.has(key) || settledBefore.has(key);
  let fullPage = false;

  /** New alerts since the last look become pending notifications. */
  async function discover(): Promise<void> {
    // (10 s read again before the cursor: a version written before another can land after it;
    // what was seen is left out below; after a full page, no overlap: the next page must move on)
    const rows = await repo.alertsUpdatedSince(cursor, fullPage ? 0 : 10, 5000);
    fullPage = rows.length === 5000;
    if (rows.length === 0) return;
    await learnIncidents(rows.map((r) => r.id));
    const ctx = {
      now: now(),
      mine,
      seen: (id: string, channel: string) => seen(keyOf(id, channel)),
      since: (channel: string) => channelSince.get(channel),
      // an incident (or entity) notified lately waits for the group interval: its next alerts go out together
      heldUntil: (alert: Alert, channel: Channel) => {
        const last = groupInterval ? lastSent.get(groupKey({ id: alert.id, alert, channel } as Notification)) : undefined;
        return last === undefined ? undefined : last + groupInterval;
      },
    };
    const fresh = worthReading(rows, channels, ctx);
    if (fresh.length) {
      const byId = new Map((await deps.alerts.byIds(fresh)).map((a) => [a.id, a]));
      const created: Notification[] = newNotifications(rows, byId, channels, ctx).map(({ alert, channel, nextAt }) => ({ id: alert.id, alert, channel, status: 'pending', attempts: 0, nextAt, lastError: '' }));
      for (const n of created) known.set(keyOf(n.id, n.channel.name), n);
      await persist(created);
    }
    const last = rows[rows.length - 1]!.updated;
    if (last > cursor) cursor = last;
  }

  /** One message (one or several notifications of one channel), one attempt; returns the delivery-log rows. */
  async function attempt(ns: Notification[], reason: 'group' | 'rate_limit', notice?: IncidentNotice): Promise<Delivery[]> {
    for (const n of ns) n.attempts++;
    const started = now();
    const channel = ns[0]!.channel;
    const id = ns.length === 1 ? `${ns[0]!.id}:${channel.name}` : `group-${createHash('sha256').update(ns.map((n) => n.id).sort().join(',')).digest('hex').slice(0, 24)}:${channel.name}`;
    const outcome = await timedAttempt(() => send(channel, ns.flatMap((n) => (n.alert ? [n.alert] : [])), config.notify.dashboardUrl, id, reason, notice), now);
    const attempts = Math.max(...ns.map((n) => n.attempts));
    const settled = settle(outcome, attempts, config.notify, now());
    const final = settled.final;
    if (outcome.ok) sentAt(channel.name).push(now());
    for (const n of ns) {
      if (settled.final === 'sent') {
        n.status = 'sent';
        n.lastError = '';
        lastSent.set(groupKey(n), now());
      } else if (settled.final === 'dead') {
        n.status = 'dead';
        n.lastError = settled.error;
      } else {
        n.lastError = settled.error;
        n.nextAt = settled.retryAt;
      }
    }
    if (final === 'dead' && !outcome.ok) log.warn({ notifications: ns.map((n) => n.id), channel: channel.name, attempts, error: outcome.error }, 'delivery dead-lettered');
    return ns.map((n) => ({ at: started, id: n.id, channel: channel.name, attempt: n.attempts, outcome: final, httpStatus: outcome.status ?? 0, latencyMs: outcome.latencyMs, error: outcome.ok ? '' : outcome.error }));
  }

  /** A notification held back (a silence, an incident someone is on) is marked and logged, never sent. */
  function suppress(n: Notification, why: string): Delivery {
    n.status = 'suppressed';
    n.lastError = why;
    return { at: now(), id: n.id, channel: n.channel.name, attempt: n.attempts, outcome: 'suppressed', httpStatus: 0, latencyMs: 0, error: n.lastError };
  }

  const incidentIdOf = (n: Notification) => n.incident ?? (n.alert ? incidentOf.get(n.alert.id) : undefined);

  /** Who resolved an incident, when and why: its trail's last resolution. */
  async function resolutionOf(id: string): Promise<IncidentNotice['resolution']> {
    const found = await incidentStore.get(id);
    const e = found?.events.filter((x) => x.to_status === 'resolved' && x.from_status !== 'resolved').at(-1);
    return e ? { by: e.actor, at: e.at, comment: e.comment } : undefined;
  }

  /**
   * One channel's due notifications become messages: silenced ones are marked; the rest are
   * grouped by incident (an incident message: opened the first time this channel hears of it,
   * updated after; held back while the incident is silenced, and for updates once someone
   * acknowledged or resolved it), or by entity for an alert in none (one message per group);
   * an incident's resolution is a message of its own. The channel's rate limit caps the
   * messages, and what is over goes out as one summary message, not dropped.
   */
  async function deliverAll(list: Notification[], silences: Silence[], incidents: Map<string, IncidentView>): Promise<void> {
    const rows: Delivery[] = [];
    const channelName = list[0]!.channel.name;
    // which alerts of these incidents this channel has been sent already (opened or updated)
    const about = [...new Set(list.filter((n) => n.alert).map(incidentIdOf).filter((id): id is string => id !== undefined))].map((id) => incidents.get(id)).filter((i): i is IncidentView => i !== undefined);
    const told = await notifiedBefore(channelName, [...new Set(about.flatMap((i) => i.alert_ids))]);
    const due = list.map((n) => ({ n, id: n.id, ...(n.alert ? { alert: n.alert } : {}), ...(incidentIdOf(n) ? { incidentId: incidentIdOf(n)! } : {}), groupKey: groupKey(n) }));
    const decision = decide(due, { silences, incidents, told, now: now() });
    for (const { item, why } of decision.suppressed) rows.push(suppress(item.n, why));
    const recent = sentAt(channelName).filter((t) => t > now() - 60_000);
    sentAtByChannel.set(channelName, recent);
    const { send, deferred } = rateLimit(decision.messages, recent, config.notify.rateLimitPerMin, now());
    for (const { item, at } of deferred) item.n.nextAt = at;
    const messages: Array<{ ns: Notification[]; reason: 'group' | 'rate_limit'; notice?: IncidentNotice }> = [];
    for (const m of send) {
      let notice: IncidentNotice | undefined = m.notice;
      if (notice?.event === 'resolved') {
        const resolution = await resolutionOf(notice.incident.id);
        notice = { ...notice, ...(resolution ? { resolution } : {}) };
      }
      messages.push({ ns: m.items.map((d) => d.n), reason: m.reason, ...(notice ? { notice } : {}) });
    }
    // what was decided without sending (suppressed, deferred) is recorded first; then each chunk
    // as soon as it is answered, so a process killed mid-round repeats at most the chunk in flight
    const sending = new Set(messages.flatMap((m) => m.ns));
    await repo.recordDeliveries(rows);
    await persist(list.filter((n) => !sending.has(n)));
    for (let i = 0; i < messages.length; i += PARALLEL) {
      // a long round checks it still holds the lease (renewing it) before each chunk: a process
      // that lost it stops, and what it has not sent stays pending for the holder
      if (i > 0 && deps.lease && !(await deps.lease.hold())) {
        log.warn({ channel: channelName, left: messages.length - i }, 'lost the notify lease mid-round: leaving the rest to the holder');
        return;
      }
      const chunk = messages.slice(i, i + PARALLEL);
      const results = await Promise.all(chunk.map((m) => attempt(m.ns, m.reason, m.notice)));
      await repo.recordDeliveries(results.flat());
      await persist(chunk.flatMap((m) => m.ns));
    }
  }

  /**
   * Incidents resolved since the last look (by a person, or by the system when every alert
   * cleared): a resolution message to each channel that was sent something about them.
   */
  async function resolutions(): Promise<void> {
    // (60 s read again before the cursor: the API and detection write the trail, each with its own
    // clock and insert latency; a resolution seen already is `seen` and left out)
    const changes = await incidentStore.changesSince(Math.max(0, trailCursor - 60_000_000), 1000);
    if (!changes.length) return;
    const resolved = changes.filter((c) => c.to_status === 'resolved' && c.from_status !== 'resolved');
    if (resolved.length) {
      const views = new Map((await incidentStore.byIds([...new Set(resolved.map((c) => c.incident_id))])).map((i) => [i.id, i]));
      const created: Notification[] = [];
      for (const c of resolved) {
        const incident = views.get(c.incident_id);
        if (!incident) continue;
        const id = `${RESOLVED}${c.incident_id}:${c.version}`;
        for (const channel of channels) {
          const key = keyOf(id, channel.name);
          if (!mine(id, channel.name) || seen(key)) continue;
          // a channel told nothing about the incident has nothing to close
          if (!(await notifiedBefore(channel.name, incident.alert_ids)).size) continue;
          const n: Notification = { id, incident: c.incident_id, channel, status: 'pending', attempts: 0, nextAt: now(), lastError: '' };
          known.set(key, n);
          created.push(n);
        }
      }
      await persist(created);
    }
    trailCursor = Math.max(trailCursor, changes[changes.length - 1]!.version);
  }

  // digests: state per period and channel (key `digest-<period start>` \0 channel), like a notification's
  const digestState = new Map<string, { status: Status; attempts: number; nextAt: number }>();
  const sendDigest = deps.sendDigest ?? sendDigestEmail;

  /** The period's alerts a digest channel wants: counted, the most severe listed; silenced ones left out. */
  async function buildDigest(c: EmailChannel, from: number, to: number): Promise<Digest> {
    const all = (await deps.alerts.byIds(await repo.alertsFirstSeenIn(from, to))).filter((a) => channelWants(c, a, { digest: true }));
    const silences = all.length ? await silenceStore.list({ all: true }) : [];
    const shown = all.filter((a) => !silences.some((x) => silenceMatches(x, a, Date.parse(a.first_seen))));
    const rank = (a: Alert) => SEVERITIES.indexOf(a.severity as Severity);
    shown.sort((a, b) => rank(b) - rank(a) || b.first_seen.localeCompare(a.first_seen));
    const count = (key: (a: Alert) => string) => shown.reduce<Record<string, number>>((m, a) => ({ ...m, [key(a)]: (m[key(a)] ?? 0) + 1 }), {});
    return { from, to, alerts: shown.slice(0, DIGEST_LIST), total: shown.length, bySeverity: count((a) => a.severity), byDetector: count((a) => a.detector), silenced: all.length - shown.length };
  }

  /** Each digest channel's last complete period, once: sent, retried like a notification, or skipped when empty. */
  async function digests(): Promise<void> {
    const due = dueDigests(channels, now(), { mine, settled: (id, channel) => settledBefore.has(keyOf(id, channel)) });
    for (const p of requeuedDigests.values()) if (!due.some((d) => d.id === p.id && d.channel.name === p.channel.name)) due.push(p);
    for (const { channel: c, id, from, to } of due) {
      const key = keyOf(id, c.name);
      const st = digestState.get(key) ?? { status: 'pending' as Status, attempts: 0, nextAt: now() };
      if (st.status !== 'pending' || st.nextAt > now()) continue;
      digestState.set(key, st);
      const d = await buildDigest(c, from, to);
      const started = now();
      let outcome: TimedOutcome;
      let final: Status | 'retry';
      if (d.total === 0 && !c.digest.sendEmpty) {
        outcome = { ok: false, error: 'no alert in the period: nothing sent', permanent: true, latencyMs: 0 };
        final = 'suppressed';
      } else {
        st.attempts++;
        outcome = await timedAttempt(() => sendDigest(c, d, config.notify.dashboardUrl, `${id}:${c.name}`), now);
        const settled = settle(outcome, st.attempts, config.notify, now());
        final = settled.final;
        if (settled.final === 'retry') st.nextAt = settled.retryAt;
      }
      if (final !== 'retry') st.status = final;
      const error = outcome.ok ? '' : outcome.error.slice(0, 2000);
      if (final !== 'suppressed') await repo.recordDeliveries([{ at: started, id, channel: c.name, attempt: st.attempts, outcome: final, httpStatus: outcome.status ?? 0, latencyMs: outcome.latencyMs, error }]);
      await repo.save([{ id, channel: c.name, status: st.status, attempts: st.attempts, nextAt: st.nextAt, lastError: error }]);
      if (st.status !== 'pending') {
        digestState.delete(key);
        requeuedDigests.delete(key);
        settledBefore.set(key, { status: st.status, attempts: st.attempts, lastError: error });
      }
      if (final === 'dead') log.warn({ channel: c.name, digest: id, error }, 'digest dead-lettered');
    }
  }

  /** a dead-lettered digest sent again: its period, until it settles (digests otherwise only look at the last period) */
  const requeuedDigests = new Map<string, DigestPeriod>();
  /** how far pending states written by others (a person's requeue) have been read: a version, wall-clock µs */
  let requeueCursor = 0;

  /**
   * Notifications someone made pending again in the store (a requeue through the API, in any
   * process) become pending here. (10 s read again before the cursor: the writer's clock is not
   * ours; one already pending here is left as it is.)
   */
  async function requeued(): Promise<void> {
    const rows = await repo.pendingSince(requeueCursor - 10_000_000, 1000);
    if (!rows.length) return;
    await learnIncidents(rows.map((r) => r.id).filter((id) => !id.startsWith(RESOLVED) && !id.startsWith('digest-')));
    const alertIds = rows.map((r) => r.id).filter((id) => !id.startsWith(RESOLVED) && !id.startsWith('digest-'));
    const alerts = new Map((alertIds.length ? await deps.alerts.byIds([...new Set(alertIds)]) : []).map((a) => [a.id, a]));
    for (const r of rows) {
      requeueCursor = Math.max(requeueCursor, r.version);
      const key = keyOf(r.id, r.channel);
      // only a dead letter (or one this process has not seen) is taken back: a row still pending in the
      // store for a notification this process sent (its `sent` write failed) is not sent again
      const here = known.get(key) ?? settledBefore.get(key) ?? digestState.get(key);
      if ((here && here.status !== 'dead') || !mine(r.id, r.channel)) continue;
      const channel = channels.find((c) => c.name === r.channel);
      if (!channel) continue;
      const state = { channel, status: 'pending' as Status, attempts: r.attempts, nextAt: r.nextAt, lastError: r.lastError };
      if (r.id.startsWith('digest-')) {
        const from = Date.parse(r.id.slice('digest-'.length));
        if (channel.type !== 'email' || !channel.digest || Number.isNaN(from)) continue;
        requeuedDigests.set(key, { channel: channel as DigestPeriod['channel'], id: r.id, from, to: from + channel.digest.everyMin * 60_000 });
        digestState.set(key, { status: 'pending', attempts: r.attempts, nextAt: r.nextAt });
      } else if (r.id.startsWith(RESOLVED)) known.set(key, { id: r.id, incident: ownerOf(r.id), ...state });
      else {
        const alert = alerts.get(r.id);
        if (!alert) continue;
        known.set(key, { id: r.id, alert, ...state });
      }
      settledBefore.delete(key);
      log.info({ notification: r.id, channel: r.channel }, 'notification requeued: sending it again');
    }
  }

  let busy = false;
  let holding = !deps.lease;
  /** One round: pick up new alerts, deliver what is due (channels in parallel, a few alerts at a time per channel). */
  async function tick(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      if (deps.lease) {
        const held = await deps.lease.hold();
        if (held && !holding) {
          // taking over (or back): what another process sent meanwhile is in the store, not here
          loaded = false;
          known.clear();
          settledBefore.clear();
          digestState.clear();
          requeuedDigests.clear();
        }
        holding = held;
        if (!held) return;
      }
      await refreshChannels();
      if (!loaded) {
        // (what was pending before this point is read by load itself)
        requeueCursor = now() * 1000;
        await load();
      }
      await requeued();
      // (with no channel too: the cursor moves on, so a channel added later starts from now)
      await discover();
      const due = dueAt(known.values(), now());
      const byChannel = new Map<string, Notification[]>();
      for (const n of due) byChannel.set(n.channel.name, [...(byChannel.get(n.channel.name) ?? []), n]);
      const silences = due.length ? await silenceStore.list({ all: true }) : [];
      const incidentIds = [...new Set(due.map(incidentIdOf).filter((id): id is string => id !== undefined))];
      const incidents = new Map((await incidentStore.byIds(incidentIds)).map((i) => [i.id, i]));
      await Promise.all([...byChannel.values()].map((list) => deliverAll(list, silences, incidents)));
      await resolutions();
      await digests();
    } finally {
      busy = false;
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  return {
    tick,
    start(): void {
      const loop = () => {
        running = tick()
          .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'notifier round failed'))
          .finally(() => {
            if (timer !== undefined) timer = setTimeout(loop, config.notify.pollMs);
          });
      };
      timer = setTimeout(loop, 0);
    },
    async stop(): Promise<void> {
      const t = timer;
      timer = undefined;
      if (t) clearTimeout(t);
      await running;
    },
    /**
     * A dead-lettered notification goes back to pending, attempts reset (the receiver is fixed):
     * written to the store, so any process may do it (the API, a standby); the process holding
     * the lease picks it up on its next round. False when there is no such dead notification.
     */
    requeue: (alertId: string, channelName: string): Promise<boolean> => repo.requeue(alertId, channelName),
    /** state of one notification, for tests and the API */
    state: (id: string, channel: string) => known.get(keyOf(id, channel)) ?? settledBefore.get(keyOf(id, channel)),
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
