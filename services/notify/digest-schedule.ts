/**
 * When e-mail digests are due: each digest channel's last complete period (periods are aligned
 * to multiples of `everyMin` since the epoch, in UTC), named by its start so that every process
 * and every restart agrees on it. A period is due once, until it is settled (sent, suppressed
 * when empty, or dead).
 */
import type { Channel, EmailChannel } from '../../schemas/notify-config-schema.js';

export interface DigestPeriod {
  channel: EmailChannel & { digest: NonNullable<EmailChannel['digest']> };
  /** `digest-<period start, ISO>`: the notification id of this period's digest */
  id: string;
  from: number;
  to: number;
}

const isDigestChannel = (c: Channel): c is DigestPeriod['channel'] => c.type === 'email' && c.digest !== undefined && c.enabled !== false;

/** The last complete period of one digest channel at `now`. */
export function lastPeriod(channel: DigestPeriod['channel'], now: number): DigestPeriod {
  const period = channel.digest.everyMin * 60_000;
  const to = Math.floor(now / period) * period;
  const from = to - period;
  return { channel, id: `digest-${new Date(from).toISOString()}`, from, to };
}

/** The digests due now: each digest channel's last complete period this process owns and has not settled. */
export function dueDigests(channels: Channel[], now: number, opts: { mine: (id: string, channel: string) => boolean; settled: (id: string, channel: string) => boolean }): DigestPeriod[] {
  return channels.filter(isDigestChannel).map((c) => lastPeriod(c, now)).filter((p) => opts.mine(p.id, p.channel.name) && !opts.settled(p.id, p.channel.name));
}
