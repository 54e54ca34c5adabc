/**
 * What the notifier sends, decided without I/O: which due notifications are held back
 * (a silence, a silenced incident, an incident someone is on), how the rest become messages
 * (one per incident or entity group: an incident message says whether it opened or was
 * updated; a resolution is its own message), and what a channel's rate limit lets through now.
 * The notifier (notifier.ts) reads the state these need and carries the decisions out.
 */
import type { Alert } from '../../schemas/alert-schema.js';
import type { IncidentView } from '../storage/incident-store.js';
import { silenceMatches, type Silence } from './silence-matcher.js';

export interface Due {
  /** the notification's id: an alert's, or `resolved:<incident>:<n>` */
  id: string;
  /** the alert (absent for a resolution) */
  alert?: Alert;
  /** the incident it belongs to, if any */
  incidentId?: string;
  /** notifications with the same key go out together */
  groupKey: string;
}

export interface Message<T extends Due> {
  items: T[];
  reason: 'group' | 'rate_limit';
  notice?: { event: 'opened' | 'updated' | 'resolved'; incident: IncidentView };
}

export interface Decision<T extends Due> {
  suppressed: Array<{ item: T; why: string }>;
  messages: Array<Message<T>>;
}

const isResolution = (d: Due) => d.alert === undefined;

/**
 * One channel's due notifications → held back ones and messages. `told` holds the ids of the
 * alerts this channel has been sent already (an incident it heard of is `updated`, else
 * `opened`); `now` decides which silences are in force (also those in force when the alert
 * fired).
 */
export function decide<T extends Due>(due: T[], ctx: { silences: Silence[]; incidents: Map<string, IncidentView>; told: Set<string>; now: number }): Decision<T> {
  const suppressed: Decision<T>['suppressed'] = [];
  const live: T[] = [];
  for (const d of due) {
    const s = d.alert ? ctx.silences.find((x) => silenceMatches(x, d.alert!, Date.parse(d.alert!.first_seen)) || silenceMatches(x, d.alert!, ctx.now)) : undefined;
    const incident = d.incidentId ? ctx.incidents.get(d.incidentId) : undefined;
    if (s) suppressed.push({ item: d, why: `silenced by ${s.id}` });
    else if (incident?.silenced_until) suppressed.push({ item: d, why: `incident ${incident.id} silenced until ${incident.silenced_until}` });
    else live.push(d);
  }
  const groups = new Map<string, T[]>();
  for (const d of live) groups.set(d.groupKey, [...(groups.get(d.groupKey) ?? []), d]);
  const messages: Array<Message<T>> = [];
  for (const items of groups.values()) {
    const head = items[0]!;
    const incident = head.incidentId ? ctx.incidents.get(head.incidentId) : undefined;
    if (!incident) {
      messages.push({ items, reason: 'group' });
      continue;
    }
    if (isResolution(head)) {
      messages.push({ items, reason: 'group', notice: { event: 'resolved', incident } });
      continue;
    }
    const event = incident.alert_ids.some((id) => ctx.told.has(id)) ? 'updated' : 'opened';
    // resolved: nothing more to say; acknowledged: someone is on it, updates wait in the dashboard
    if (incident.status === 'resolved' || (event === 'updated' && incident.status === 'acknowledged')) {
      for (const item of items) suppressed.push({ item, why: `incident ${incident.id} is ${incident.status}: ${event === 'updated' ? 'updates' : 'messages'} held back` });
      continue;
    }
    messages.push({ items, reason: 'group', notice: { event, incident } });
  }
  return { suppressed, messages };
}

/**
 * A channel's rate limit: at most `perMin` messages in any minute (`recent`: when it sent the
 * ones of the last minute, oldest first). What is over goes out as one summary message of its
 * alerts, not dropped; resolutions are not summed up: they wait (`deferred`, with when to try).
 */
export function rateLimit<T extends Due>(messages: Array<Message<T>>, recent: number[], perMin: number, now: number): { send: Array<Message<T>>; deferred: Array<{ item: T; at: number }> } {
  if (!messages.length) return { send: [], deferred: [] };
  const budget = perMin - recent.length;
  if (budget <= 0) {
    // nothing more this minute: try again when the oldest send leaves the window
    const at = recent[0]! + 60_000;
    return { send: [], deferred: messages.flatMap((m) => m.items.map((item) => ({ item, at }))) };
  }
  if (messages.length <= budget) return { send: messages, deferred: [] };
  const over = messages.slice(budget - 1);
  const overflow = over.flatMap((m) => m.items.filter((d) => !isResolution(d)));
  const deferred = over.flatMap((m) => m.items.filter(isResolution).map((item) => ({ item, at: now + 60_000 })));
  return { send: [...messages.slice(0, budget - 1), ...(overflow.length ? [{ items: overflow, reason: 'rate_limit' as const }] : [])], deferred };
}
