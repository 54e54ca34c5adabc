/**
 * Notification channels: those of the config file (read-only here) and those an admin adds
 * through the API, kept in ClickHouse (`channels`, newest version wins, a tombstone deletes).
 *
 * A stored channel is sealed whole with AES-256-GCM under a key derived (HKDF) from the
 * fingerprint key: its signing secret, SMTP password and extra headers are not readable by
 * anyone who can read the table (an analyst's SQL included), only by a process holding the key.
 * What the API shows of a channel has every secret replaced by `[REDACTED:secret]`.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import { WebhookChannelSchema, EmailChannelSchema, type Channel } from '../../schemas/notify-config-schema.js';
import type { Store } from './clickhouse.js';
import { chToIso as iso, msToCh as ch } from './time.js';

export const SECRET_MARK = '[REDACTED:secret]';

export interface ChannelInfo {
  channel: Channel;
  source: 'config' | 'api';
  updated_at: string | null;
  updated_by: string | null;
}

/** A channel as it may be shown: secrets replaced, header values too (they are usually tokens). */
export function publicChannel(c: Channel): Record<string, unknown> {
  if (c.type === 'webhook') {
    return { ...c, secret: SECRET_MARK, ...(c.headers ? { headers: Object.fromEntries(Object.keys(c.headers).map((k) => [k, SECRET_MARK])) } : {}) };
  }
  return { ...c, smtp: { ...c.smtp, ...(c.smtp.pass !== undefined ? { pass: SECRET_MARK } : {}) } };
}

const schemaOf = (c: unknown) => {
  const type = (c as { type?: unknown } | null)?.type;
  return type === 'email' ? EmailChannelSchema : type === 'webhook' ? WebhookChannelSchema : undefined;
};

/** Schema errors of a channel, as one readable line, or undefined when it is valid. */
export function channelProblem(c: unknown): string | undefined {
  const schema = schemaOf(c);
  if (!schema) return 'type must be "webhook" or "email"';
  const withDefaults = Value.Default(schema, structuredClone(c));
  const e = [...Value.Errors(schema, withDefaults)][0];
  return e ? `${e.path || '/'}: ${e.message}` : undefined;
}

/** Defaults filled in (from, smtp.port, …): what is stored and used. */
export function normalizeChannel(c: unknown): Channel {
  const schema = schemaOf(c);
  if (!schema) throw new Error('type must be "webhook" or "email"');
  return Value.Default(schema, structuredClone(c)) as Channel;
}

function sealer(fingerprintKey: string) {
  const key = Buffer.from(hkdfSync('sha256', fingerprintKey, 'gatewatch', 'channel secrets v1', 32));
  return {
    seal(plain: string): string {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return `v1.${iv.toString('base64')}.${c.getAuthTag().toString('base64')}.${body.toString('base64')}`;
    },
    open(sealed: string): string {
      const [v, iv, tag, body] = sealed.split('.');
      if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed channel');
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      d.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
    },
  };
}


export interface ChannelStore {
  /** config channels first, then stored ones by name */
  list(): Promise<ChannelInfo[]>;
  /** the channels the notifier uses: every enabled one */
  channels(): Promise<Channel[]>;
  get(name: string): Promise<ChannelInfo | undefined>;
  /** creates or replaces a stored channel (a config channel cannot be replaced) */
  put(c: Channel, by: string): Promise<ChannelInfo>;
  remove(name: string, by: string): Promise<boolean>;
}

export function createChannelStore(deps: { store: Store; configChannels: Channel[]; fingerprintKey: string; log: Logger; now?: () => number }): ChannelStore {
  const { client, db } = deps.store;
  const now = deps.now ?? Date.now;
  const box = sealer(deps.fingerprintKey);
  let version = 0;
  const fromConfig = (): ChannelInfo[] => deps.configChannels.map((channel) => ({ channel, source: 'config', updated_at: null, updated_by: null }));

  async function stored(): Promise<ChannelInfo[]> {
    const rows = await (await client.query({
      query: `SELECT name, sealed, updated_by, toString(updated_at) AS updated_at FROM ${db}.channels FINAL WHERE deleted = 0 ORDER BY name`,
      format: 'JSONEachRow',
    })).json<{ name: string; sealed: string; updated_by: string; updated_at: string }>();
    const out: ChannelInfo[] = [];
    for (const r of rows) {
      try {
        const channel = normalizeChannel(JSON.parse(box.open(r.sealed)));
        out.push({ channel, source: 'api', updated_at: iso(r.updated_at), updated_by: r.updated_by });
      } catch {
        // sealed under another fingerprint key: the processes of one deployment must share it
        deps.log.error({ channel: r.name }, 'a stored channel cannot be opened with this fingerprint key (set the same GATEWATCH_FINGERPRINT_KEY everywhere); it is skipped');
      }
    }
    return out;
  }
  async function write(name: string, type: string, sealed: string, by: string, deleted: boolean): Promise<number> {
    version = Math.max(version + 1, now() * 1000);
    const at = now();
    await client.insert({ table: `${db}.channels`, format: 'JSONEachRow', values: [{ name, type, sealed, updated_by: by, updated_at: ch(at), deleted: deleted ? 1 : 0, version }] });
    return at;
  }

  return {
    async list() {
      const configNames = new Set(deps.configChannels.map((c) => c.name));
      return [...fromConfig(), ...(await stored()).filter((s) => !configNames.has(s.channel.name))];
    },
    async channels() {
      return (await this.list()).map((i) => i.channel).filter((c) => c.enabled !== false);
    },
    async get(name) {
      return (await this.list()).find((i) => i.channel.name === name);
    },
    async put(c, by) {
      if (deps.configChannels.some((x) => x.name === c.name)) throw new Error(`channel ${c.name} comes from the config file; change it there`);
      const channel = normalizeChannel(c);
      const at = await write(channel.name, channel.type, box.seal(JSON.stringify(channel)), by, false);
      return { channel, source: 'api', updated_at: new Date(at).toISOString(), updated_by: by };
    },
    async remove(name, by) {
      if (deps.configChannels.some((x) => x.name === name)) throw new Error(`channel ${name} comes from the config file; remove it there`);
      const existing = (await stored()).find((s) => s.channel.name === name);
      if (!existing) return false;
      await write(name, existing.channel.type, '', by, true);
      return true;
    },
  };
}
