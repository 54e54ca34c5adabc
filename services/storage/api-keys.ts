/**
 * API keys with roles. A key is `gw_<id>_<secret>`: the id finds the record, the secret is
 * checked against a stored SHA-256 hash in constant time (secrets are 256 random bits, so a
 * fast hash is enough: there is nothing to brute-force). Secrets are shown once, at creation.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from './clickhouse.js';
import { isoToCh as t } from './time.js';

export const ROLES = ['ingest', 'viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { ingest: 0, viewer: 1, analyst: 2, admin: 3 };

/**
 * `ingest` is a separate lane (a gateway's key can push logs and read nothing); the others are
 * ordered: viewer < analyst < admin. Admin can do everything.
 */
export function roleAllows(have: Role, need: Role): boolean {
  if (have === 'admin') return true;
  if (need === 'ingest') return have === 'ingest';
  return have !== 'ingest' && RANK[have] >= RANK[need];
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  revoked_at: string | null;
}

interface KeyRow extends ApiKeyInfo {
  secret_hash: string;
}

const hash = (secret: string) => createHash('sha256').update(secret).digest();
const DUMMY = hash('not-a-key');

export function parseKey(presented: string): { id: string; secret: string } | undefined {
  const m = /^gw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(presented.trim());
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export class ApiKeyStore {
  private cache = new Map<string, KeyRow>();
  private loadedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly refreshMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  private async load(force = false): Promise<void> {
    if (!force && this.now() - this.loadedAt < this.refreshMs) return;
    const rows = await (
      await this.store.client.query({
        query: `SELECT id, name, role, secret_hash, toString(created_at) AS created_at, if(isNull(revoked_at), NULL, toString(revoked_at)) AS revoked_at
                FROM ${this.store.db}.api_keys FINAL ORDER BY created_at`,
        format: 'JSONEachRow',
      })
    ).json<KeyRow>();
    this.cache = new Map(rows.map((r) => [r.id, r]));
    this.loadedAt = this.now();
  }

  async list(): Promise<ApiKeyInfo[]> {
    await this.load(true);
    return [...this.cache.values()].map(({ secret_hash: _, ...info }) => info);
  }

  async count(): Promise<number> {
    await this.load(true);
    return this.cache.size;
  }

  async create(name: string, role: Role): Promise<{ id: string; key: string }> {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    await this.write({ id, name, role, secret_hash: hash(secret).toString('hex'), created_at: new Date(this.now()).toISOString(), revoked_at: null });
    return { id, key: `gw_${id}_${secret}` };
  }

  /** Returns false when no such key exists. */
  async revoke(id: string): Promise<boolean> {
    await this.load(true);
    const row = this.cache.get(id);
    if (!row) return false;
    if (!row.revoked_at) await this.write({ ...row, revoked_at: new Date(this.now()).toISOString() });
    return true;
  }

  private async write(row: KeyRow): Promise<void> {
    await this.store.client.insert({
      table: `${this.store.db}.api_keys`,
      values: [{ ...row, created_at: t(row.created_at), revoked_at: row.revoked_at ? t(row.revoked_at) : null, version: this.now() * 1000 + Math.floor(Math.random() * 1000) }],
      format: 'JSONEachRow',
    });
    await this.load(true);
  }

  /** The key's identity and role, or undefined for a malformed, unknown or revoked key. */
  async verify(presented: string): Promise<Principal | undefined> {
    const r = await this.check(presented);
    return r.ok ? r.principal : undefined;
  }

  /**
   * verify() with the reason of a refusal, for metrics and the audit log (never for the caller,
   * who hears only "invalid or revoked"). `keyId` is the id part of what was presented when it
   * has the shape of one (12 hex digits), never any of the secret.
   */
  async check(presented: string): Promise<KeyCheck> {
    const parsed = parseKey(presented);
    await this.load();
    let row = parsed ? this.cache.get(parsed.id) : undefined;
    // a key created by another process moments ago: look again, but at most once a second,
    // so that a flood of made-up ids cannot turn into a flood of ClickHouse queries
    if (parsed && !row && this.now() - this.loadedAt > 1000) {
      await this.load(true);
      row = this.cache.get(parsed.id);
    }
    const expected = row ? Buffer.from(row.secret_hash, 'hex') : DUMMY;
    const secretOk = timingSafeEqual(expected, hash(parsed?.secret ?? ''));
    if (!parsed) return { ok: false, reason: 'malformed', keyId: presentedKeyId(presented) };
    if (!row) return { ok: false, reason: 'unknown', keyId: parsed.id };
    if (!secretOk) return { ok: false, reason: 'wrong_secret', keyId: parsed.id };
    if (row.revoked_at) return { ok: false, reason: 'revoked', keyId: parsed.id };
    return { ok: true, principal: { id: row.id, name: row.name, role: row.role } };
  }
}

export interface Principal {
  id: string;
  name: string;
  role: Role;
}

export type KeyCheck = { ok: true; principal: Principal } | { ok: false; reason: 'malformed' | 'unknown' | 'wrong_secret' | 'revoked'; keyId: string };

/** The `<id>` of something shaped `gw_<id>_…` (12 hex digits), or '': safe to log and audit. */
export function presentedKeyId(presented: string): string {
  return /^gw_([0-9a-f]{12})_/.exec(presented.trim())?.[1] ?? '';
}
