/**
 * GET /v1/alerts/stream: server-sent events, one `alert` event per new or changed alert
 * version and per change of its status (its trail), and one `incident` event per new or
 * changed incident (grouping) and per change of its status or silence (its trail), each with
 * the newest state. Resumable: each event's id is the stream's position, `<alert
 * version>.<incident version>.<incident trail version>.<alert trail version>`, and a client
 * that reconnects with Last-Event-ID gets everything after it (a shorter id, from an older
 * server, resumes what it names and starts the rest from now). A comment line every 15 s keeps proxies from closing an idle stream.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Store } from '../../storage/clickhouse.js';
import { HttpError } from '../auth.js';
import type { Metrics } from '../../shared/metrics.js';
import type { IncidentStore } from '../../storage/incident-store.js';
import { createStreamPositions, type StreamTable } from '../../storage/stream-positions.js';

const POLL_MS = 1000;
/**
 * Versions are wall-clock microseconds taken by each writing process before its insert, so a
 * version may land after a higher one was read: every poll reads again the last 5 s before its
 * cursors and leaves out what this stream has sent already (a reconnecting client may see up to
 * 5 s of events again: each is the newest state, so a repeat is harmless).
 */
const OVERLAP_US = 5_000_000;
const PAGE = 500;
const HEARTBEAT_MS = 15_000;
/** how often an open stream checks that its key still holds (a revoked key loses its stream) */
const REVERIFY_MS = 5000;

export interface AlertStreamOptions {
  store: Store;
  byIds: (ids: string[]) => Promise<Array<{ id: string }>>;
  incidents?: Pick<IncidentStore, 'byIds' | 'changesSince' | 'lastChange'>;
  stillValid: (req: import('fastify').FastifyRequest) => Promise<boolean>;
  /** open streams one key may hold in this process; the next gets 429 */
  maxPerKey: number;
  metrics?: Pick<Metrics, 'streamsOpen' | 'streamsRefused'>;
}

export const alertStreamRoute: FastifyPluginAsyncTypebox<AlertStreamOptions> = async (app, opts) => {
  const positions = createStreamPositions(opts.store);
  const perKey = new Map<string, number>();
  // streams never end by themselves: closing the server ends them first, or it would wait for the clients
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of streams) end();
  });
  app.get('/v1/alerts/stream', { config: { role: 'viewer' }, schema: { summary: 'New and changed alerts as server-sent events (resumable with Last-Event-ID)' } }, async (req, reply) => {
    const last = req.headers['last-event-id'];
    let cursor = 0; // version of the last alert row sent
    let icursor = 0; // of the last incident row
    let ecursor = 0; // of the last event of the incidents' trail
    let acursor = 0; // and of the alerts' trail
    const maxVersion = (table: StreamTable) => positions.last(table);
    const lastChange = async () => (opts.incidents ? opts.incidents.lastChange() : 0);
    if (typeof last === 'string' && last !== '') {
      const m = /^(\d{1,16})(?:\.(\d{1,16}))?(?:\.(\d{1,16}))?(?:\.(\d{1,16}))?$/.exec(last);
      if (!m || [m[1], m[2], m[3], m[4]].some((x) => Number(x ?? 0) > Number.MAX_SAFE_INTEGER)) throw new HttpError(400, 'Last-Event-ID is not an id this stream gave out', 'invalid_event_id');
      cursor = Number(m[1]);
      icursor = m[2] !== undefined ? Number(m[2]) : await maxVersion('incidents');
      ecursor = m[3] !== undefined ? Number(m[3]) : await lastChange();
      acursor = m[4] !== undefined ? Number(m[4]) : await maxVersion('alert_events');
    } else {
      cursor = await maxVersion('alerts');
      icursor = await maxVersion('incidents');
      ecursor = await lastChange();
      acursor = await maxVersion('alert_events');
    }
    // what this stream has sent in the overlap, per kind of position
    type Kind = 'alert' | 'alert_trail' | 'incident' | 'incident_trail';
    const sent = new Map<Kind, Map<string, number>>();
    const full = new Set<Kind>();
    // where this stream starts: what is at or before it was sent before (or is history), never again
    const floor: Record<Kind, number> = { alert: cursor, alert_trail: acursor, incident: icursor, incident_trail: ecursor };
    const first = (kind: Kind, id: string, version: number): boolean => {
      if (version <= floor[kind]) return false;
      let m = sent.get(kind);
      if (!m) sent.set(kind, (m = new Map()));
      const k = `${id}\0${version}`;
      if (m.has(k)) return false;
      m.set(k, version);
      return true;
    };
    const prune = (cursors: Record<Kind, number>) => {
      for (const [kind, m] of sent) for (const [k, v] of m) if (v <= cursors[kind] - OVERLAP_US) m.delete(k);
    };
    const keyId = req.principal!.id;
    const held = perKey.get(keyId) ?? 0;
    if (held >= opts.maxPerKey) {
      opts.metrics?.streamsRefused.inc();
      reply.header('retry-after', '30');
      throw new HttpError(429, `this key already holds ${held} open alert streams (api.streamsPerKey); close one first`, 'too_many_streams');
    }
    perKey.set(keyId, held + 1);
    opts.metrics?.streamsOpen.inc();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (perKey.get(keyId) ?? 1) - 1;
      if (n > 0) perKey.set(keyId, n);
      else perKey.delete(keyId);
      opts.metrics?.streamsOpen.dec();
    };
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': gatewatch alert stream\nretry: 3000\n\n');
    let open = true;
    let wake: () => void = () => undefined;
    const end = () => {
      open = false;
      wake();
    };
    streams.add(end);
    const closed = () => {
      end();
      release();
    };
    req.raw.on('close', closed);
    res.on('close', closed);
    // a client that left while the cursors were read: its close has fired already
    if (req.raw.socket?.destroyed || res.destroyed) closed();
    let lastBeat = Date.now();
    let lastVerified = Date.now();
    while (open) {
      try {
        if (Date.now() - lastVerified > REVERIFY_MS) {
          lastVerified = Date.now();
          if (!(await opts.stillValid(req))) {
            res.write('event: error\ndata: {"error":"the API key was revoked","code":"unauthenticated"}\n\n');
            break;
          }
        }
        const position = () => `${cursor}.${icursor}.${ecursor}.${acursor}`;
        const from = (kind: Kind, c: number) => (full.has(kind) ? c : Math.max(0, c - OVERLAP_US));
        // detection's new versions of alerts, then people's (and the system's) status changes
        const rows = await positions.since('alerts', from('alert', cursor), PAGE);
        const trail = await positions.since('alert_events', from('alert_trail', acursor), PAGE);
        if (rows.length || trail.length) {
          const alerts = new Map((await opts.byIds([...new Set([...rows, ...trail].map((r) => r.id))])).map((a) => [a.id, a]));
          for (const r of rows) {
            const a = alerts.get(r.id);
            cursor = Math.max(cursor, Number(r.version));
            if (a && open && first('alert', r.id, Number(r.version))) res.write(`id: ${position()}\nevent: alert\ndata: ${JSON.stringify(a)}\n\n`);
          }
          for (const r of trail) {
            const a = alerts.get(r.id);
            acursor = Math.max(acursor, Number(r.version));
            if (a && open && first('alert_trail', r.id, Number(r.version))) res.write(`id: ${position()}\nevent: alert\ndata: ${JSON.stringify(a)}\n\n`);
          }
        }
        const irows = opts.incidents
          ? await positions.since('incidents', from('incident', icursor), PAGE)
          : [];
        const changes = opts.incidents ? await opts.incidents.changesSince(from('incident_trail', ecursor), PAGE) : [];
        const ids = [...new Set([...irows.map((r) => r.id), ...changes.map((c) => c.incident_id)])];
        if (ids.length) {
          const incidents = new Map((await opts.incidents!.byIds(ids)).map((i) => [i.id, i]));
          for (const r of irows) {
            const i = incidents.get(r.id);
            icursor = Math.max(icursor, Number(r.version));
            if (i && open && first('incident', r.id, Number(r.version))) res.write(`id: ${position()}\nevent: incident\ndata: ${JSON.stringify(i)}\n\n`);
          }
          for (const c of changes) {
            const i = incidents.get(c.incident_id);
            ecursor = Math.max(ecursor, c.version);
            if (i && open && first('incident_trail', c.incident_id, c.version)) res.write(`id: ${position()}\nevent: incident\ndata: ${JSON.stringify(i)}\n\n`);
          }
        }
        // a full page: the next poll reads on from the cursor, without the overlap (or it could read the same page forever)
        for (const [kind, n] of [['alert', rows.length], ['alert_trail', trail.length], ['incident', irows.length], ['incident_trail', changes.length]] as Array<[Kind, number]>) {
          if (n >= PAGE) full.add(kind);
          else full.delete(kind);
        }
        prune({ alert: cursor, alert_trail: acursor, incident: icursor, incident_trail: ecursor });
        if (!rows.length && !trail.length && !ids.length && Date.now() - lastBeat > HEARTBEAT_MS) {
          res.write(`: ${new Date().toISOString()}\n\n`);
          lastBeat = Date.now();
        }
      } catch (err) {
        req.log.warn({ err }, 'alert stream poll failed');
      }
      if (open) await new Promise<void>((r) => {
        const t = setTimeout(r, POLL_MS);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    streams.delete(end);
    release();
    res.end();
  });
};
