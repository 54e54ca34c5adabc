/** `gatewatch silence add|list|expire`: silences through the running server, or the store directly. */
import type { Config } from '../../schemas/config-schema.js';
import { createSilenceStore } from '../storage/silence-store.js';
import { validateMatchers, type Silence, type SilenceMatchers } from '../notify/silence-matcher.js';
import { createLogger } from '../shared/logger.js';
import { openRuntime } from '../shared/runtime.js';
import { callServer, findLocalServer } from './local-server.js';

async function viaServerOrStore<T>(config: Config, server: (s: NonNullable<ReturnType<typeof findLocalServer>>) => Promise<T>, local: (store: ReturnType<typeof createSilenceStore>) => Promise<T>): Promise<T> {
  const s = config.clickhouse.url ? undefined : findLocalServer(config.dataDir);
  if (s) return server(s);
  const rt = await openRuntime(config, { role: 'cli', log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { pretty: false, redaction: config.redaction }) });
  try {
    return await local(createSilenceStore(rt.store));
  } finally {
    await rt.close();
  }
}

async function ok(res: Response): Promise<unknown> {
  const body = await res.text();
  if (!res.ok) throw new Error(`the server refused: ${res.status} ${body}`);
  return JSON.parse(body) as unknown;
}

const show = (s: Silence) => `${s.id}  until ${s.ends_at}  ${Object.entries(s.matchers).map(([k, v]) => `${k}=${v}`).join(' ')}  by ${s.created_by}: ${s.comment}`;

export async function silenceAdd(config: Config, matchers: SilenceMatchers, durationMin: number, comment: string): Promise<void> {
  const problem = validateMatchers(matchers);
  if (problem) throw new Error(problem);
  const s = await viaServerOrStore(
    config,
    async (server) => (await ok(await callServer(server, '/v1/silences', { method: 'POST', body: JSON.stringify({ matchers, duration_min: durationMin, comment }), headers: { 'content-type': 'application/json' } }))) as Silence,
    (store) => store.create({ matchers, startsAt: Date.now(), endsAt: Date.now() + durationMin * 60_000, createdBy: 'cli', comment }),
  );
  console.log(show(s));
}

export async function silenceList(config: Config, all: boolean): Promise<void> {
  const list = await viaServerOrStore(
    config,
    async (server) => ((await ok(await callServer(server, `/v1/silences?all=${all}`, { method: 'GET' }))) as { silences: Silence[] }).silences,
    (store) => store.list({ all }),
  );
  console.log(list.length ? list.map(show).join('\n') : 'no silences');
}

export async function silenceExpire(config: Config, id: string): Promise<void> {
  const s = await viaServerOrStore(
    config,
    async (server) => (await ok(await callServer(server, `/v1/silences/${encodeURIComponent(id)}`, { method: 'DELETE' }))) as Silence,
    async (store) => {
      const r = await store.expire(id);
      if (!r) throw new Error(`no silence ${id}`);
      return r;
    },
  );
  console.log(`ended: ${show(s)}`);
}
