/**
 * Finding what is due, without I/O: which alerts written since the last look become new
 * notifications (one per alert and channel, created once), on which channels, and when each
 * may go out (at once, or when its group's interval has passed); and which notifications are
 * due at a moment. The notifier reads the alerts and its state and persists what this decides.
 */
import type { Alert, Severity } from '../../schemas/alert-schema.js';
import { SEVERITIES } from '../../schemas/alert-schema.js';
import type { Channel } from '../../schemas/notify-config-schema.js';

/** Whether a channel is sent an alert's message (its filters; a digest-only e-mail channel only gets digests). */
export function channelWants(channel: Channel, alert: Alert, opts: { digest?: boolean } = {}): boolean {
  if (channel.enabled === false) return false;
  if (!opts.digest && channel.type === 'email' && channel.digest?.only) return false;
  if (channel.minSeverity && SEVERITIES.indexOf(alert.severity as Severity) < SEVERITIES.indexOf(channel.minSeverity)) return false;
  if (channel.detectors && !channel.detectors.includes(alert.detector)) return false;
  return true;
}

export interface NewNotification {
  alert: Alert;
  channel: Channel;
  /** when it may be sent first */
  nextAt: number;
}

export interface DiscoveryContext {
  now: number;
  /** this process owns the alert's notifications on this channel (its shard) */
  mine: (id: string, channel: string) => boolean;
  /** a notification of this alert on this channel exists already (pending or settled) */
  seen: (id: string, channel: string) => boolean;
  /** a channel added while running: alerts written before this (a cursor) are history to it */
  since: (channel: string) => string | undefined;
  /** when the alert's group (incident or entity) on this channel may be sent to next (a group interval after its last message), if later than now */
  heldUntil: (alert: Alert, channel: Channel) => number | undefined;
}

/** Alerts written since the last look (`updated` is when, as a cursor) → the notifications to create. */
export function newNotifications(updates: Array<{ id: string; updated: string }>, alerts: Map<string, Alert>, channels: Channel[], ctx: DiscoveryContext): NewNotification[] {
  const out: NewNotification[] = [];
  for (const u of updates) {
    const alert = alerts.get(u.id);
    if (!alert) continue;
    for (const channel of channels) {
      if (!ctx.mine(alert.id, channel.name) || ctx.seen(alert.id, channel.name) || !channelWants(channel, alert)) continue;
      if (u.updated < (ctx.since(channel.name) ?? '')) continue;
      const held = ctx.heldUntil(alert, channel);
      out.push({ alert, channel, nextAt: held !== undefined && held > ctx.now ? held : ctx.now });
    }
  }
  return out;
}

/** Of the alerts written since the last look, those that may need a notification (read in full only these). */
export function worthReading(updates: Array<{ id: string }>, channels: Channel[], ctx: Pick<DiscoveryContext, 'mine' | 'seen'>): string[] {
  return updates.filter((u) => channels.some((c) => ctx.mine(u.id, c.name) && !ctx.seen(u.id, c.name))).map((u) => u.id);
}

/** The pending notifications whose time has come. */
export function dueAt<T extends { status: string; nextAt: number }>(list: Iterable<T>, now: number): T[] {
  return [...list].filter((n) => n.status === 'pending' && n.nextAt <= now);
}
