/** `gatewatch keys create|list|revoke`: API keys, through the running server or the store directly. */
import type { Config } from '../../schemas/config-schema.js';
import { ApiKeyStore, type ApiKeyInfo, type Role } from '../storage/api-keys.js';
import { createLogger } from '../shared/logger.js';
import { openRuntime } from '../shared/runtime.js';
import { callServer, findLocalServer, type LocalServer } from './local-server.js';

async function withKeys<T>(config: Config, server: (s: LocalServer) => Promise<T>, local: (keys: ApiKeyStore) => Promise<T>): Promise<T> {
  const s = config.clickhouse.url ? undefined : findLocalServer(config.dataDir);
  if (s) return server(s);
  const rt = await openRuntime(config, { role: 'cli', log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { pretty: false, redaction: config.redaction }) });
  try {
    return await local(new ApiKeyStore(rt.store));
  } finally {
    await rt.close();
  }
}

async function body(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`the server refused: ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}

export async function keysCreate(config: Config, name: string, role: Role): Promise<void> {
  const k = await withKeys(
    config,
    async (s) => (await body(await callServer(s, '/v1/keys', { method: 'POST', body: JSON.stringify({ name, role }), headers: { 'content-type': 'application/json' } }))) as { id: string; key: string },
    (keys) => keys.create(name, role),
  );
  process.stderr.write(`created key ${k.id} (${role}, ${name}); the secret below is shown this once:\n`);
  console.log(k.key);
}

export async function keysList(config: Config): Promise<void> {
  const list = await withKeys(config, async (s) => ((await body(await callServer(s, '/v1/keys', { method: 'GET' }))) as { keys: ApiKeyInfo[] }).keys, (keys) => keys.list());
  for (const k of list) console.log(`${k.id}  ${k.role.padEnd(8)} ${k.revoked_at ? `revoked ${k.revoked_at}` : 'active'.padEnd(31)}  ${k.name}`);
}

export async function keysRevoke(config: Config, id: string): Promise<void> {
  await withKeys(
    config,
    async (s) => body(await callServer(s, `/v1/keys/${encodeURIComponent(id)}`, { method: 'DELETE' })),
    async (keys) => {
      if (!(await keys.revoke(id))) throw new Error(`no key ${id}`);
    },
  );
  console.log(`revoked ${id}`);
}
