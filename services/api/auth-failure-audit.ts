/**
 * Failed authentications in the audit log, bounded so that a flood of them cannot become a
 * flood of ClickHouse inserts: failures are counted in memory and written once a flush period
 * (default a minute) as one row per client address and reason, holding the count, the first
 * and last time, and up to ten distinct routes and key ids. At most `maxGroups` rows are
 * written a flush; the failures of addresses beyond that go into one `overflow` row that
 * counts them and their addresses. So a flood costs at most maxGroups + 1 rows a minute,
 * however many requests or addresses it has, and the memory held is bounded the same way.
 *
 * Rows: action `auth.failure`, outcome the reason (missing, malformed, unknown, revoked,
 * wrong_secret, forbidden_role), target the client address, key_id the first key id seen (the
 * `<id>` of `gw_<id>_…` only: never any of the secret), role the verified role for
 * forbidden_role, detail JSON {count, first, last, routes, key_ids}.
 * Written by a timer (and on close); a failed write is logged and dropped, never retried
 * into a pile-up, and never fails a request.
 */
import type { Logger } from 'pino';
import type { AuditLog, AuditEntry } from '../storage/audit-log.js';

export const AUTH_FAILURE_REASONS = ['missing', 'malformed', 'unknown', 'revoked', 'wrong_secret', 'forbidden_role'] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

export interface AuthFailure {
  ip: string;
  reason: AuthFailureReason;
  /** METHOD and route template, e.g. `POST /v1/query` */
  route: string;
  /** the id part of the presented key, '' when none */
  keyId: string;
  /** the verified role (forbidden_role only) */
  role?: string;
}

interface Group {
  ip: string;
  reason: AuthFailureReason;
  role: string;
  count: number;
  first: number;
  last: number;
  routes: Set<string>;
  keyIds: Set<string>;
}

const LISTED = 10;

export class AuthFailureAudit {
  private groups = new Map<string, Group>();
  private overflow = { count: 0, clients: new Set<string>(), first: 0, last: 0 };
  private timer: NodeJS.Timeout | undefined;
  private readonly maxGroups: number;
  private readonly now: () => number;

  constructor(
    private readonly audit: AuditLog,
    private readonly log: Pick<Logger, 'warn'>,
    opts: { maxGroups?: number; now?: () => number } = {},
  ) {
    this.maxGroups = opts.maxGroups ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  add(f: AuthFailure): void {
    const t = this.now();
    const k = `${f.ip}\u0000${f.reason}`;
    let g = this.groups.get(k);
    if (!g) {
      if (this.groups.size >= this.maxGroups) {
        const o = this.overflow;
        if (o.count === 0) o.first = t;
        o.count++;
        o.last = t;
        if (o.clients.size < 100_000) o.clients.add(f.ip);
        return;
      }
      g = { ip: f.ip, reason: f.reason, role: f.role ?? '', count: 0, first: t, last: t, routes: new Set(), keyIds: new Set() };
      this.groups.set(k, g);
    }
    g.count++;
    g.last = t;
    if (g.routes.size < LISTED) g.routes.add(f.route);
    if (f.keyId && g.keyIds.size < LISTED) g.keyIds.add(f.keyId);
  }

  /** Writes what was counted since the last flush (one insert) and starts counting afresh. */
  async flush(): Promise<number> {
    const groups = [...this.groups.values()];
    const o = this.overflow;
    this.groups = new Map();
    this.overflow = { count: 0, clients: new Set(), first: 0, last: 0 };
    const iso = (ms: number) => new Date(ms).toISOString();
    const rows: AuditEntry[] = groups.map((g) => ({
      key_id: [...g.keyIds][0] ?? '',
      role: g.role,
      action: 'auth.failure',
      target: g.ip,
      detail: JSON.stringify({ count: g.count, first: iso(g.first), last: iso(g.last), routes: [...g.routes], key_ids: [...g.keyIds] }),
      outcome: g.reason,
    }));
    if (o.count) {
      rows.push({ key_id: '', role: '', action: 'auth.failure', target: '*', detail: JSON.stringify({ count: o.count, clients: o.clients.size, first: iso(o.first), last: iso(o.last), note: `over ${this.maxGroups} address and reason pairs in one period` }), outcome: 'overflow' });
    }
    if (!rows.length) return 0;
    try {
      await this.audit.recordMany(rows);
    } catch (err) {
      this.log.warn({ err, rows: rows.length }, 'could not write failed authentications to the audit log; dropped');
    }
    return rows.length;
  }

  /** Flushes every `everyMs` (the timer does not keep the process alive). */
  start(everyMs = 60_000): void {
    this.timer ??= setInterval(() => void this.flush(), everyMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
