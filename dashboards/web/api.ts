/**
 * The dashboard's only way to the server: the public HTTP API with the key the user logged in
 * with. The key lives in this module's memory only (never localStorage, never a cookie): a
 * reload asks for it again. A 401 anywhere logs out with a message; a network failure or a 5xx
 * raises the "API unreachable" banner until a request succeeds again.
 */
export type Role = 'ingest' | 'viewer' | 'analyst' | 'admin';
export interface Me {
  id: string;
  name: string;
  role: Role;
}

export interface Alert {
  id: string;
  detector: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  entity: { type: 'ip' | 'principal' | 'route' | 'gateway' | 'country'; value: string };
  window: { start: string; end: string };
  observed: number;
  expected: number;
  score: number;
  summary: string;
  owasp: string;
  evidence: { sql: string; rows: Array<Record<string, unknown>> };
  detail: Record<string, unknown>;
  status: 'open' | 'acknowledged' | 'resolved';
  windows: number;
  first_seen: string;
  last_seen: string;
}

export interface AlertEvent {
  at: string;
  actor: string;
  action: string;
  from_status: string;
  to_status: string;
  comment: string;
}

export interface Series {
  step_sec: number;
  t: number[];
  series: Record<string, number[]>;
  baselines: Record<string, { metric: string; median: Array<number | null>; lower: Array<number | null>; upper: Array<number | null> }>;
}

export interface QueryResult {
  meta: Array<{ name: string; type: string }>;
  data: unknown[][];
  rows: number;
  statistics?: { elapsed: number; rows_read: number; bytes_read: number };
  elapsedMs: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const RANK: Record<Role, number> = { ingest: 0, viewer: 1, analyst: 2, admin: 3 };
export const can = (me: Me, need: Role) => me.role === 'admin' || (me.role !== 'ingest' && RANK[me.role] >= RANK[need]);

type Listener = (state: { down: boolean; loggedOut?: string }) => void;

let key = '';
const listeners = new Set<Listener>();
let down = false;

export function onApiState(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
function setDown(d: boolean): void {
  if (d === down) return;
  down = d;
  for (const l of listeners) l({ down });
}
export function logout(message?: string): void {
  key = '';
  for (const l of listeners) l({ down, ...(message !== undefined ? { loggedOut: message } : {}) });
}

async function request(path: string, init: RequestInit = {}, opts: { raw?: boolean } = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string> | undefined) } });
  } catch (err) {
    setDown(true);
    throw new ApiError(0, 'the API cannot be reached', 'unreachable');
  }
  if (res.status >= 502 && res.status <= 504) {
    setDown(true);
    throw new ApiError(res.status, 'the API cannot be reached', 'unreachable');
  }
  setDown(false);
  if (res.status === 401 && key) {
    logout('Your API key was refused (revoked, expired or wrong). Log in again.');
    throw new ApiError(401, 'unauthenticated', 'unauthenticated');
  }
  if (!res.ok && !opts.raw) {
    let body: { error?: string; code?: string } = {};
    try {
      body = (await res.json()) as typeof body;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, body.error ?? `${res.status} ${res.statusText}`, body.code ?? 'error');
  }
  return res;
}

export async function login(candidate: string): Promise<Me> {
  const res = await fetch('/v1/me', { headers: { authorization: `Bearer ${candidate}` } }).catch(() => {
    throw new ApiError(0, 'the API cannot be reached', 'unreachable');
  });
  const body = (await res.json().catch(() => ({}))) as { error?: string; code?: string } & Partial<Me>;
  if (!res.ok) throw new ApiError(res.status, res.status === 403 ? 'this key may not read the dashboard (an ingest key?): use a viewer, analyst or admin key' : (body.error ?? `${res.status}`), body.code ?? 'error');
  key = candidate;
  return body as Me;
}

const qs = (params: Record<string, string | number | string[] | undefined>) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    for (const x of Array.isArray(v) ? v : [v]) u.append(k, String(x));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
};

export async function get<T>(path: string, params: Record<string, string | number | string[] | undefined> = {}): Promise<T> {
  return (await (await request(path + qs(params))).json()) as T;
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method: 'POST' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  return (await (await request(path, init)).json()) as T;
}

/** Read-only SQL; `JSONCompact` for the grid. */
export async function query(sql: string): Promise<QueryResult> {
  const res = await request('/v1/query', { method: 'POST', body: JSON.stringify({ sql, format: 'JSONCompact' }), headers: { 'content-type': 'application/json' } });
  const r = (await res.json()) as Omit<QueryResult, 'elapsedMs'>;
  return { ...r, elapsedMs: Number(res.headers.get('x-gatewatch-elapsed-ms') ?? 0) };
}

/** The same query as CSV with a header line, exactly as ClickHouse writes it. */
export async function queryCsv(sql: string): Promise<Blob> {
  const res = await request('/v1/query', { method: 'POST', body: JSON.stringify({ sql, format: 'CSVWithNames' }), headers: { 'content-type': 'application/json' } });
  return res.blob();
}

/**
 * The live alert feed: GET /v1/alerts/stream read with fetch (EventSource cannot send an
 * Authorization header), parsed as server-sent events, reconnected with Last-Event-ID after
 * any failure (1 s, doubling to 15 s).
 */
export function streamAlerts(onAlert: (a: Alert) => void, onStatus: (live: boolean) => void, onIncident: (id: string) => void = () => undefined): () => void {
  const ctl = new AbortController();
  let lastId = '';
  let stopped = false;
  (async () => {
    let delay = 1000;
    while (!stopped) {
      try {
        const res = await fetch('/v1/alerts/stream', { headers: { authorization: `Bearer ${key}`, ...(lastId ? { 'last-event-id': lastId } : {}) }, signal: ctl.signal });
        if (res.status === 401) {
          logout('Your API key was refused (revoked, expired or wrong). Log in again.');
          return;
        }
        if (!res.ok || !res.body) throw new Error(String(res.status));
        setDown(false);
        onStatus(true);
        delay = 1000;
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            let id = '';
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (id) lastId = id;
            if (event === 'alert' && data.length) onAlert(JSON.parse(data.join('\n')) as Alert);
            if (event === 'incident' && data.length) onIncident((JSON.parse(data.join('\n')) as { id: string }).id);
          }
        }
        throw new Error('stream ended');
      } catch {
        if (stopped) return;
        onStatus(false);
        setDown(true);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 15_000);
      }
    }
  })();
  return () => {
    stopped = true;
    ctl.abort();
  };
}
