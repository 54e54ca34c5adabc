/**
 * The embedded ClickHouse engine (chDB) behind ClickHouse's HTTP interface, on loopback: what
 * `CLICKHOUSE_URL` needs, for tests and benchmarks of the server path on a machine where no
 * ClickHouse server can run. Every statement is executed by the engine; this file only carries
 * HTTP: the SQL from the body or the `query` parameter, the data of an INSERT from the body,
 * settings and `param_*` from the URL, users by Basic auth, errors as ClickHouse writes them
 * (`Code: N. DB::Exception: …`, `X-ClickHouse-Exception-Code`).
 *
 * Not a ClickHouse server: no grants (a user is a name and a password, and a `readonly` user
 * gets `readonly=1` after its request's own settings), no sessions across requests, no
 * compression of requests, no progress headers. Each request runs in a session of its own,
 * so its settings end with it, as on a server. `CHDB_HTTP_TRACE=1` prints each request's user
 * and statement to stderr.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface ChdbHttpUser {
  password: string;
  readonly?: boolean;
}

export interface ChdbHttpServer {
  url: string;
  /** requests served; INSERT requests with data, by table */
  stats: { requests: number; inserts: Record<string, number> };
  close(): Promise<void>;
}

/** URL parameters of the protocol; every other one is a setting. */
const PROTOCOL = new Set(['query', 'query_id', 'database', 'session_id', 'session_timeout', 'session_check', 'role', 'default_format', 'user', 'password']);
/** settings a server reads for HTTP only; the engine does not know them */
const HTTP_ONLY = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'enable_http_compression', 'http_zlib_compression_level', 'http_response_buffer_size', 'output_format_json_quote_64bit_integers_for_http']);
const INSERT_WITH_DATA = /^\s*INSERT\s+INTO\s+([\w.`"]+)\s*(?:\(([^)]*)\))?\s*(?:SETTINGS\s+(.+?)\s+)?FORMAT\s+(\w+)\s*$/is;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A `param_*` value as a server reads it: text in the escaped format (`\\'` is `'`, `\\t` a tab…). */
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', a: '\x07', v: '\v', e: '\x1b' };
const unescape = (v: string) => v.replace(/\\(.)/gs, (_, c: string) => ESCAPES[c] ?? c);

const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function credentials(req: IncomingMessage, params: URLSearchParams): { user: string; password: string } {
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const i = text.indexOf(':');
    return { user: text.slice(0, i < 0 ? undefined : i), password: i < 0 ? '' : text.slice(i + 1) };
  }
  const header = (n: string) => (Array.isArray(req.headers[n]) ? req.headers[n][0] : req.headers[n]) as string | undefined;
  return { user: header('x-clickhouse-user') ?? params.get('user') ?? 'default', password: header('x-clickhouse-key') ?? params.get('password') ?? '' };
}

function samePassword(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** ClickHouse's error text and code; the engine's own messages already read `Code: N. DB::Exception: …`. */
function clickhouseError(err: unknown): { code: number; text: string } {
  const message = err instanceof Error ? err.message : String(err);
  const code = Number(/^Code: (\d+)\./.exec(message)?.[1] ?? 1001);
  return { code, text: /^Code: \d+\./.test(message) ? message : `Code: ${code}. DB::Exception: ${message}. (STD_EXCEPTION)` };
}

export async function startChdbHttpServer(opts: { path: string; users: Record<string, ChdbHttpUser>; port?: number }): Promise<ChdbHttpServer> {
  const { Session } = await import('chdb');
  // the engine is opened once, by this session, for as long as the server runs
  const keeper = new Session(opts.path);
  await keeper.queryAsync('SELECT 1');
  const stats: ChdbHttpServer['stats'] = { requests: 0, inserts: {} };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/ping') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Ok.\n');
      return;
    }
    if (url.pathname !== '/' || (req.method !== 'POST' && req.method !== 'GET')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    stats.requests++;
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    const fail = (status: number, e: { code: number; text: string }) =>
      res.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': String(e.code), 'x-clickhouse-query-id': queryId }).end(`${e.text}\n`);

    const { user, password } = credentials(req, url.searchParams);
    const account = Object.hasOwn(opts.users, user) ? opts.users[user] : undefined;
    if (!account || !samePassword(account.password, password)) {
      fail(516, { code: 516, text: `Code: 516. DB::Exception: ${user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)` });
      return;
    }
    if (req.headers['content-encoding'] && req.headers['content-encoding'] !== 'identity') {
      fail(400, { code: 1001, text: `Code: 1001. DB::Exception: request compression (${req.headers['content-encoding']}) is not supported here. (STD_EXCEPTION)` });
      return;
    }

    const settings: Array<[string, string]> = [];
    const params: Record<string, string> = {};
    for (const [k, v] of url.searchParams) {
      if (k.startsWith('param_')) params[k.slice(6)] = unescape(v);
      else if (!PROTOCOL.has(k) && !HTTP_ONLY.has(k)) {
        if (!NAME.test(k)) return void fail(400, { code: 115, text: `Code: 115. DB::Exception: Unknown setting ${k}. (UNKNOWN_SETTING)` });
        settings.push([k, v]);
      }
    }
    if (account.readonly) settings.push(['readonly', '1']);
    const database = url.searchParams.get('database');
    if (database !== null && !NAME.test(database)) return void fail(400, { code: 81, text: `Code: 81. DB::Exception: Database ${database} does not exist. (UNKNOWN_DATABASE)` });
    const data = await body(req);
    const inUrl = url.searchParams.get('query');
    const sql = inUrl ?? data.toString('utf8');

    if (process.env.CHDB_HTTP_TRACE) process.stderr.write(`chdb-http ${user}: ${sql.slice(0, 160).replace(/\s+/g, ' ')} [${data.length} bytes]\n`);
    const session = new Session(opts.path);
    try {
      const prelude = [...(database ? [`USE ${database}`] : []), ...settings.map(([k, v]) => `SET ${k} = ${/^-?\d+(\.\d+)?$/.test(v) ? v : quote(v)}`)];
      if (inUrl !== null && data.length > 0) {
        // an INSERT whose rows are the body: the engine reads them as they are
        const m = INSERT_WITH_DATA.exec(inUrl);
        if (!m) throw new Error(`Code: 62. DB::Exception: only INSERT … FORMAT takes data in the body here: ${inUrl.slice(0, 200)}. (SYNTAX_ERROR)`);
        if (prelude.length) await session.queryAsync(prelude.join('; '));
        const insertSettings = m[3] ? Object.fromEntries(m[3].split(',').map((s) => s.split('=').map((x) => x.trim().replace(/^'(.*)'$/, '$1')) as [string, string])) : undefined;
        const table = m[1]!.replace(/[`"]/g, '');
        const r = await session.insert({ table, ...(m[2] ? { columns: m[2].split(',').map((c) => c.trim().replace(/[`"]/g, '')) } : {}), format: m[4]! as 'JSONEachRow', values: data, ...(insertSettings ? { settings: insertSettings } : {}) });
        stats.inserts[table] = (stats.inserts[table] ?? 0) + 1;
        res.writeHead(200, {
          'content-type': 'text/plain; charset=UTF-8',
          'x-clickhouse-query-id': queryId,
          'x-clickhouse-summary': JSON.stringify({ read_rows: '0', read_bytes: '0', written_rows: String(r.rowsWritten), written_bytes: String(r.bytesWritten), total_rows_to_read: '0', result_rows: String(r.rowsWritten), result_bytes: String(r.bytesWritten), elapsed_ns: String(Math.round(r.elapsed * 1e9)) }),
        }).end();
        return;
      }
      const statement = [...prelude, sql].join(';\n');
      const format = url.searchParams.get('default_format') ?? 'TabSeparated';
      const result = Object.keys(params).length ? await session.queryBindAsync(statement, params, { format }) : await session.queryAsync(statement, { format });
      const bytes = Buffer.from(result.bytes());
      res.writeHead(200, {
        'content-type': 'text/plain; charset=UTF-8',
        'x-clickhouse-query-id': queryId,
        'x-clickhouse-summary': JSON.stringify({ read_rows: String(result.rowsRead ?? 0), read_bytes: String(result.bytesRead ?? 0), written_rows: '0', written_bytes: '0', total_rows_to_read: '0', result_rows: '0', result_bytes: String(bytes.length), elapsed_ns: String(Math.round((result.elapsed ?? 0) * 1e9)) }),
      }).end(bytes);
    } finally {
      session.close();
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = clickhouseError(err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': String(e.code) }).end(`${e.text}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      keeper.close();
    },
  };
}
