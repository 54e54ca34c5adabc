/**
 * Failed authentications per client address: after `max` failures in a window, the address's
 * further requests to guarded routes are refused (429) without their key being looked at,
 * until the window that began with its first failure ends. Successes do not reset the count
 * (a caller holding one good key cannot interleave it to keep guessing others), and one
 * address's failures never block another's.
 *
 * The state is in this process's memory: with several API processes behind a balancer each
 * counts on its own, so an address gets up to `max` failures per window from each. That is
 * acceptable for a throttle (it slows guessing and floods; 256-bit secrets are what make
 * guessing hopeless) and is said in README's security notes.
 *
 * Memory is bounded: at most `maxClients` addresses are tracked; entries are kept in the order
 * their windows end, expired ones are dropped as new ones come, and when the table is still
 * full the oldest is evicted (an attacker with that many addresses can only shorten the
 * memory of its own oldest ones).
 */
import ipaddr from 'ipaddr.js';

export interface AuthThrottleOptions {
  max: number;
  windowMs: number;
  maxClients?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  endsAt: number;
}

export class AuthFailureThrottle {
  private readonly clients = new Map<string, Entry>();
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(private readonly opts: AuthThrottleOptions) {
    this.maxClients = opts.maxClients ?? 100_000;
    this.now = opts.now ?? Date.now;
  }

  /** Milliseconds until `ip` may try again, or 0 when it is not throttled. */
  blockedForMs(ip: string): number {
    const e = this.clients.get(clientBucket(ip));
    if (!e) return 0;
    const left = e.endsAt - this.now();
    return left > 0 && e.failures >= this.opts.max ? left : 0;
  }

  /** Counts one failure; true when this one reached the limit (the address is throttled from now on). */
  fail(ip: string): boolean {
    const bucket = clientBucket(ip);
    const now = this.now();
    this.prune(now);
    let e = this.clients.get(bucket);
    if (!e || e.endsAt <= now) {
      // (re)inserted at the end: the map stays ordered by the end of each window
      this.clients.delete(bucket);
      if (this.clients.size >= this.maxClients) this.clients.delete(this.clients.keys().next().value!);
      e = { failures: 0, endsAt: now + this.opts.windowMs };
      this.clients.set(bucket, e);
    }
    e.failures++;
    return e.failures === this.opts.max;
  }

  /** addresses tracked now (for tests and the bound) */
  get size(): number {
    return this.clients.size;
  }

  private prune(now: number): void {
    for (const [k, e] of this.clients) {
      if (e.endsAt > now) break;
      this.clients.delete(k);
    }
  }
}

/**
 * What one client is: an IPv4 address, or an IPv6 /64 (one subscriber usually holds a whole
 * /64, so counting single IPv6 addresses would let it rotate past the limit). An IPv4-mapped
 * IPv6 address is its IPv4 address.
 */
export function clientBucket(ip: string): string {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    return ip;
  }
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    return `${ipaddr.IPv6.networkAddressFromCIDR(`${v6.toString()}/64`).toString()}/64`;
  }
  return addr.toString();
}
