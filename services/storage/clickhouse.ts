/**
 * The one way the code base reaches ClickHouse: @clickhouse/client, over HTTP to a server
 * when clickhouse.url is set, otherwise over chDB (the engine in-process) with its data in
 * <dataDir>/chdb. chDB binds one data directory per process; callers open one Store per
 * process and share it.
 *
 * chDB applies a request's `clickhouse_settings` as session-wide SET statements, which then
 * stay in force for every later statement on that connection (a deduplication token would
 * silently swallow the next insert; readonly=1 would freeze the session). So on chDB:
 * insert settings are moved into the INSERT statement's own SETTINGS clause, other
 * statements refuse per-request settings, and read-only SQL runs on a second connection
 * whose limits and readonly=1 are set once, at open.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings, type DataFormat } from '@clickhouse/client';
import type { Config } from '../../schemas/config-schema.js';

export interface Store {
  client: ClickHouseClient;
  db: string;
  embedded: boolean;
  /** where the embedded engine keeps its data (undefined on a server) */
  path?: string;
  /**
   * Runs SQL that ClickHouse itself keeps read-only and within the configured limits. A
   * statement with INTO OUTFILE is refused before it runs (the embedded engine would write
   * the file even with readonly=1).
   */
  readOnly(sql: string, opts?: ReadOnlyOptions): Promise<Readable>;
  /** ClickHouse's canonical text of a statement (formatQuery: parsed, never run). */
  format(sql: string): Promise<string>;
  /**
   * Inserts a body already encoded in `format` (the ingest path: rows are encoded where they
   * are made, off the main thread). The settings apply to this statement only. On the
   * embedded engine the bytes go to it as they are, without a copy into a JavaScript string.
   */
  insertRaw(insert: RawInsert): Promise<void>;
  close(): Promise<void>;
}

export interface ReadOnlyOptions {
  /**
   * Settings to apply before readonly=1 locks the session (the safe SETTINGS an analyst's
   * query asked for: under readonly=1 its own clause then changes nothing and is accepted).
   * Names and values are the caller's to have checked.
   */
  settings?: Record<string, string>;
  /** the output format when the statement names none (EXPLAIN's own output cannot name one) */
  defaultFormat?: string;
}

export interface RawInsert {
  /** table name, unqualified (the store's database) */
  table: string;
  columns: readonly string[];
  format: 'JSONCompactEachRow' | 'JSONEachRow';
  body: Buffer;
  settings?: Record<string, string | number>;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkRawInsert(r: RawInsert): void {
  for (const name of [r.table, ...r.columns]) if (!IDENT.test(name)) throw new Error(`invalid identifier ${JSON.stringify(name)} in an insert`);
}

export function chdbPath(dataDir: string): string {
  return resolve(join(dataDir, 'chdb'));
}

/** Limits for analyst SQL. Order matters: readonly comes last, after the limits it locks in. */
export function readOnlySettings(api: Config['api']): ClickHouseSettings {
  return {
    max_execution_time: api.queryTimeoutSec,
    timeout_overflow_mode: 'throw',
    max_rows_to_read: String(api.queryMaxRowsToRead),
    max_result_rows: String(api.queryMaxResultRows),
    max_result_bytes: String(api.queryMaxResultBytes),
    result_overflow_mode: 'throw',
    max_memory_usage: String(api.queryMaxMemoryBytes),
    readonly: '1',
  };
}

/**
 * The analyst limits as a statement's own SETTINGS clause, readonly last: for the queries the
 * API builds itself (series, top lists, an entity's events), which run on the service's
 * connection; a query-level clause lasts for that statement only, on chDB too.
 */
export function limitsClause(api: Config['api']): string {
  return settingsClause(readOnlySettings(api));
}

/** Whether ClickHouse stopped a statement at one of the limits above. */
export function isLimitError(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '');
  // TOO_MANY_ROWS, TIMEOUT_EXCEEDED, TOO_MANY_ROWS_OR_BYTES, MEMORY_LIMIT_EXCEEDED
  return ['158', '159', '396', '241'].includes(code) || /Limit for rows|Timeout exceeded|memory limit exceeded|Limit for result exceeded/i.test(err instanceof Error ? err.message : String(err));
}

function settingsClause(settings: ClickHouseSettings): string {
  return Object.entries(settings)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid setting name ${JSON.stringify(k)}`);
      return typeof v === 'number' ? `${k} = ${v}` : typeof v === 'boolean' ? `${k} = ${v ? 1 : 0}` : `${k} = '${String(v).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
    })
    .join(', ');
}

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/** Wraps chDB's connection so that no request setting outlives its request (see above). */
function statementScopedSettings(inner: ClientConnection): ClientConnection {
  const refuse = (params: { clickhouse_settings?: ClickHouseSettings | undefined }) => {
    const keys = Object.keys(params.clickhouse_settings ?? {}).filter((k) => (params.clickhouse_settings as Record<string, unknown>)[k] !== undefined);
    if (keys.length) throw new Error(`per-request settings (${keys.join(', ')}) would persist on the embedded store's session; put them in the statement's SETTINGS clause`);
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'insert') {
        return (params: { query: string; clickhouse_settings?: ClickHouseSettings }) => {
          const { clickhouse_settings: settings, ...rest } = params;
          const clause = settings ? settingsClause(settings) : '';
          const query = clause ? rest.query.replace(/\sFORMAT\s/, ` SETTINGS ${clause} FORMAT `) : rest.query;
          return (value as (p: unknown) => unknown).call(target, { ...rest, query });
        };
      }
      if (prop === 'query' || prop === 'exec' || prop === 'command') {
        return (params: { clickhouse_settings?: ClickHouseSettings }) => {
          refuse(params);
          return (value as (p: unknown) => unknown).call(target, params);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

async function streamOf(client: ClickHouseClient, sql: string, settings?: ClickHouseSettings): Promise<Readable> {
  const r = await client.exec(settings ? { query: sql, clickhouse_settings: settings } : { query: sql });
  return r.stream;
}

async function formatOf(client: ClickHouseClient, sql: string): Promise<string> {
  const [row] = await (await client.query({ query: 'SELECT formatQuery({sql:String}) AS f', query_params: { sql }, format: 'JSONEachRow' })).json<{ f: string }>();
  return row?.f ?? '';
}

/**
 * chDB (ClickHouse as a local process) honours `INTO OUTFILE` even under readonly=1: a query
 * could write files on this machine. ClickHouse's own parser finds the clause (comments and
 * spacing cannot hide it: the canonical text puts it at the start of a line, and a string
 * literal's newlines are escaped there).
 */
async function refuseOutfile(client: ClickHouseClient, sql: string): Promise<void> {
  if (/^INTO OUTFILE\b/m.test(await formatOf(client, sql))) throw new Error('INTO OUTFILE is refused: SQL here reads, it does not write files (export with the CSV format instead)');
}

/** read-only chDB sessions: analyst queries run side by side on this many (the cores of a small machine) */
const READ_ONLY_CONNECTIONS = 2;

/*
 * Read-only chDB sessions, each used by one statement at a time and held until its stream is
 * done. chDB hands the rest of a query that failed while streaming (a result limit hit
 * half-way) to the next query on that session as if it were its result: another analyst
 * would get it. So a session whose last stream did not end cleanly ("dirty") first runs
 * queries with a fresh sentinel until one returns its own answer; after three, it is replaced.
 */
function createReadOnlyPool(open: () => Promise<ClickHouseClient>, size: number) {
  interface Conn {
    client?: ClickHouseClient;
    dirty: boolean;
    busy: boolean;
  }
  const conns: Conn[] = Array.from({ length: size }, () => ({ dirty: false, busy: false }));
  const waiting: Array<(c: Conn) => void> = [];
  const handOn = (c: Conn) => {
    const next = waiting.shift();
    if (next) next(c);
    else c.busy = false;
  };
  async function clean(c: Conn): Promise<ClickHouseClient> {
    c.client ??= await open();
    if (!c.dirty) return c.client;
    for (let i = 0; i < 3; i++) {
      const sentinel = `gw_${randomUUID().replace(/-/g, '')}`;
      const got = await (await c.client.query({ query: `SELECT '${sentinel}' AS s`, format: 'TabSeparatedRaw' })).text().catch(() => '');
      if (got.trim() === sentinel) {
        c.dirty = false;
        return c.client;
      }
    }
    await c.client.close().catch(() => undefined);
    c.client = await open();
    c.dirty = false;
    return c.client;
  }
  return {
    async take() {
      const free = conns.find((c) => !c.busy);
      let c: Conn;
      if (free) {
        free.busy = true;
        c = free;
      } else {
        c = await new Promise<Conn>((r) => waiting.push(r));
      }
      let released = false;
      return {
        clean: () => clean(c),
        get dirty() {
          return c.dirty;
        },
        set dirty(v: boolean) {
          c.dirty = v;
        },
        release: () => {
          if (released) return;
          released = true;
          handOn(c);
        },
      };
    },
    async close() {
      await Promise.all(conns.map((c) => c.client?.close()));
    },
  };
}

/**
 * The HTTP client's own logger writes failed requests to the console, outside our logs and
 * their scrubbing (a server's error can quote the SQL it refused); errors reach our logs
 * through the callers instead.
 */
const QUIET = { level: ClickHouseLogLevel.OFF };

/** Answers once the engine answers a query (readiness checks). */
export async function ping(store: Store): Promise<void> {
  await (await store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json();
}

export async function openStore(config: Config): Promise<Store> {
  const db = config.clickhouse.database;
  if (config.clickhouse.url) {
    // A server refuses every request that names a database it does not have, so the database
    // is made first, by a client that names none (only if missing: a user may lack the right
    // to create one that a DBA made for it)
    const bootstrap = createClient({ url: config.clickhouse.url, username: config.clickhouse.username, password: config.clickhouse.password, request_timeout: config.clickhouse.requestTimeoutMs, application: 'gatewatch', log: QUIET });
    try {
      const found = await (await bootstrap.query({ query: 'SELECT name FROM system.databases WHERE name = {db:String}', query_params: { db }, format: 'JSONEachRow' })).json();
      if (found.length === 0) await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
    } finally {
      await bootstrap.close();
    }
    const client = createClient({
      url: config.clickhouse.url,
      username: config.clickhouse.username,
      password: config.clickhouse.password,
      database: db,
      request_timeout: config.clickhouse.requestTimeoutMs,
      application: 'gatewatch',
      log: QUIET,
    });
    const settings = readOnlySettings(config.api);
    // analyst SQL as its own read-only user when one is configured (ClickHouse's grants then
    // bound it too), else as the service's user with readonly=1
    const queryClient = config.clickhouse.queryUsername
      ? createClient({ url: config.clickhouse.url, username: config.clickhouse.queryUsername, password: config.clickhouse.queryPassword ?? '', database: db, request_timeout: config.clickhouse.requestTimeoutMs, application: 'gatewatch-sql', log: QUIET })
      : client;
    return {
      client,
      db,
      embedded: false,
      readOnly: async (sql, opts) => {
        await refuseOutfile(queryClient, sql);
        // readonly comes last, after what it locks in
        return streamOf(queryClient, sql, { ...(opts?.defaultFormat ? { default_format: opts.defaultFormat as DataFormat } : {}), ...opts?.settings, ...settings });
      },
      format: (sql) => formatOf(queryClient, sql),
      insertRaw: async (r) => {
        checkRawInsert(r);
        if (r.body.length === 0) return;
        const res = await client.exec({
          query: `INSERT INTO ${db}.${r.table} (${r.columns.join(', ')}) FORMAT ${r.format}`,
          values: Readable.from([r.body]),
          ...(r.settings ? { clickhouse_settings: r.settings as ClickHouseSettings } : {}),
        });
        res.stream.resume();
        await finished(res.stream);
      },
      close: async () => {
        if (queryClient !== client) await queryClient.close();
        await client.close();
      },
    };
  }
  const path = chdbPath(config.dataDir);
  mkdirSync(path, { recursive: true });
  // loaded here, not at import: the engine's library costs a process ~150 MB of resident
  // memory as soon as it is loaded, which a process on a ClickHouse server never needs
  const { createChdbConnection } = await import('chdb/connection');
  // chdb types its Connection against its own copy of @clickhouse/client-common; the shapes
  // are the same, the declarations are not, hence the casts.
  const engine = createChdbConnection({ path });
  const client = createClient({ connection: statementScopedSettings(engine as unknown as ClientConnection) });
  // chDB ignores the client's `database` option; a session-level USE gives unqualified names
  // (as typed by an analyst in `gatewatch query`) the same meaning as on a server.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({ query: `USE ${db}` });
  const openReadOnly = async (extra: Record<string, string> = {}) => {
    const c = createClient({ connection: createChdbConnection({ path }) as unknown as ClientConnection });
    await c.command({ query: `USE ${db}` });
    // readonly comes last, after what it locks in
    const all: ClickHouseSettings = { ...extra, ...readOnlySettings(config.api) };
    await c.command({ query: Object.entries(all).map(([k, v]) => `SET ${settingsClause({ [k]: v })}`).join('; ') });
    return c;
  };
  const pool = createReadOnlyPool(() => openReadOnly(), READ_ONLY_CONNECTIONS);
  return {
    client,
    db,
    embedded: true,
    path,
    readOnly: async (sql, opts) => {
      if (opts?.settings && Object.keys(opts.settings).length) {
        // a session of its own, made with these settings and dropped after this one statement
        const own = await openReadOnly(opts.settings);
        try {
          await refuseOutfile(own, sql);
          const stream = await streamOf(own, sql, opts.defaultFormat ? { default_format: opts.defaultFormat as DataFormat } : undefined);
          stream.once('close', () => void own.close());
          return stream;
        } catch (err) {
          await own.close();
          throw err;
        }
      }
      const conn = await pool.take();
      let stream: Readable;
      try {
        const ro = await conn.clean();
        await refuseOutfile(ro, sql);
        conn.dirty = true;
        // chDB takes default_format as an option of this call, not as a SET on the session
        stream = await streamOf(ro, sql, opts?.defaultFormat ? { default_format: opts.defaultFormat as DataFormat } : undefined);
      } catch (err) {
        conn.release();
        throw err;
      }
      stream.once('end', () => {
        conn.dirty = false;
      });
      stream.once('close', conn.release);
      stream.once('error', conn.release);
      return stream;
    },
    insertRaw: async (r) => {
      checkRawInsert(r);
      // SETTINGS go into this statement's own clause (chDB builds INSERT … SETTINGS … FORMAT)
      await engine.chdb.rawInsert({ table: `${db}.${r.table}`, columns: r.columns, format: r.format, values: r.body, ...(r.settings ? { settings: r.settings } : {}) });
    },
    format: async (sql) => {
      const conn = await pool.take();
      try {
        return await formatOf(await conn.clean(), sql);
      } finally {
        conn.release();
      }
    },
    close: async () => {
      await pool.close();
      await client.close();
    },
  };
}
