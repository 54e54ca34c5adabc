/**
 * Alerts over HTTP: the list and one alert (viewer), and scoring a range of event time on
 * demand (analyst; `gatewatch replay` uses it to score what it backfilled through a running
 * server). Filters, pagination, the live stream and the lifecycle arrive with the API issue.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AlertSchema, ALERT_STATUSES, ENTITY_TYPES, SEVERITIES } from '../../../schemas/alert-schema.js';
import type { AlertStore } from '../../storage/clickhouse-alert-store.js';
import type { DetectionRunner } from '../../detect/detection-runner.js';
import { HttpError } from '../auth.js';
import type { AuditLog } from '../../storage/audit-log.js';
import { StandbyError } from '../../shared/errors.js';

const MINUTE = 60_000;

export function commentOf(body: unknown): string {
  if (body === undefined || body === null || body === '') return '';
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object: {"comment": "…"}', 'invalid_body');
  const extra = Object.keys(body).filter((k) => k !== 'comment');
  if (extra.length) throw new HttpError(400, `unknown field ${extra[0]}: only "comment" is accepted`, 'invalid_body');
  const c = (body as { comment?: unknown }).comment ?? '';
  if (typeof c !== 'string' || c.length > 2000) throw new HttpError(400, 'comment must be a string of at most 2,000 characters', 'invalid_body');
  return c;
}
const MAX_RANGE_MS = 31 * 24 * 60 * MINUTE;

export const alertRoutes: FastifyPluginAsyncTypebox<{ alerts: AlertStore; runner?: DetectionRunner; audit: AuditLog }> = async (app, opts) => {
  app.get(
    '/v1/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Alerts, newest first, filtered; pages follow next_cursor',
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union(ALERT_STATUSES.map((s) => Type.Literal(s)))),
            severity: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)))),
            detector: Type.Optional(Type.String({ pattern: '^[a-z_]{1,64}$' })),
            entity_type: Type.Optional(Type.Union(ENTITY_TYPES.map((s) => Type.Literal(s)))),
            entity_value: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
            from: Type.Optional(Type.String({ format: 'date-time', description: 'last_seen at or after' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'last_seen before' })),
            cursor: Type.Optional(Type.String({ maxLength: 300, description: 'next_cursor of the previous page' })),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ alerts: Type.Array(AlertSchema), next_cursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (req) => {
      const q = req.query;
      let after: { lastSeen: string; id: string } | undefined;
      if (q.cursor) {
        const decoded = Buffer.from(q.cursor, 'base64url').toString('utf8');
        const bar = decoded.indexOf('|');
        const lastSeen = decoded.slice(0, bar);
        const id = decoded.slice(bar + 1);
        if (bar < 0 || Number.isNaN(Date.parse(lastSeen)) || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new HttpError(400, 'cursor is not one this API gave out', 'invalid_cursor');
        after = { lastSeen, id };
      }
      const alerts = await opts.alerts.search({
        limit: q.limit,
        ...(q.status ? { status: q.status } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.detector ? { detector: q.detector } : {}),
        ...(q.entity_type ? { entityType: q.entity_type } : {}),
        ...(q.entity_value ? { entityValue: q.entity_value } : {}),
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        ...(after ? { after } : {}),
      });
      const last = alerts[alerts.length - 1];
      const next = alerts.length === q.limit && last ? Buffer.from(`${last.last_seen}|${last.id}`).toString('base64url') : null;
      return { alerts, next_cursor: next };
    },
  );

  const Id = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
  const Event = Type.Object({ at: Type.String(), actor: Type.String(), action: Type.String(), from_status: Type.String(), to_status: Type.String(), comment: Type.String() });

  app.get(
    '/v1/alerts/:id',
    {
      config: { role: 'viewer' },
      schema: { summary: 'One alert with its evidence and its audit trail', params: Id, response: { 200: Type.Object({ alert: AlertSchema, events: Type.Array(Event) }) } },
    },
    async (req) => {
      const [alert] = await opts.alerts.byIds([req.params.id]);
      if (!alert) throw new HttpError(404, `no alert ${req.params.id}`, 'not_found');
      return { alert, events: await opts.alerts.events(req.params.id) };
    },
  );

  for (const action of ['ack', 'resolve', 'reopen'] as const) {
    app.post(
      `/v1/alerts/:id/${action}`,
      {
        config: { role: 'analyst' },
        schema: {
          summary: { ack: 'Acknowledge an open alert', resolve: 'Resolve an alert', reopen: 'Reopen a resolved alert' }[action],
          params: Id,
          description: 'Body (optional): {"comment": "…"}, at most 2,000 characters.',
          response: { 200: Type.Object({ alert: AlertSchema }) },
        },
      },
      async (req) => {
        const who = req.principal!;
        // the body is optional (`curl -X POST …/ack` works), so it is checked here, not by a schema
        const comment = commentOf(req.body);
        const r = await opts.alerts.transition(req.params.id, action, who.id, comment);
        await opts.audit.record({ key_id: who.id, role: who.role, action: `alert.${action}`, target: req.params.id, detail: comment, outcome: r.ok ? 'ok' : 'refused' });
        if (!r.ok) throw new HttpError(r.reason === 'not_found' ? 404 : 409, r.message, r.reason === 'not_found' ? 'not_found' : 'invalid_transition');
        return { alert: r.alert };
      },
    );
  }

  let scoring = 0;
  app.post(
    '/v1/detect/score',
    {
      config: { role: 'analyst' },
      schema: {
        summary: 'Score the windows ending in an event-time range now (after a backfill)',
        body: Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ opened: Type.Integer(), extended: Type.Integer(), failed: Type.Array(Type.String()) }) },
      },
    },
    async (req, reply) => {
      if (!opts.runner) throw new HttpError(409, 'detection does not run in this process', 'detect_disabled');
      // one scoring at a time from the API: each waits for the detector lock and reads a range
      // of rollups, so callers queueing up behind one another would hold the engine for hours
      if (scoring > 0) {
        reply.header('retry-after', '30');
        throw new HttpError(429, 'a range is being scored already; retry when it is done', 'detect_busy');
      }
      const from = Math.floor(Date.parse(req.body.from) / MINUTE) * MINUTE;
      const to = Math.ceil(Date.parse(req.body.to) / MINUTE) * MINUTE;
      if (!(to > from)) throw new HttpError(400, '`to` must be after `from`', 'invalid_range');
      if (to - from > MAX_RANGE_MS) throw new HttpError(400, 'a range may span 31 days at most', 'invalid_range');
      const who = req.principal!;
      scoring++;
      let r;
      try {
        r = await opts.runner.scoreRange({ from, to });
      } catch (err) {
        if (err instanceof StandbyError) throw new HttpError(409, err.message, 'detect_standby');
        throw err;
      } finally {
        scoring--;
      }
      await opts.audit.record({ key_id: who.id, role: who.role, action: 'detect.score', target: `${req.body.from}/${req.body.to}`, detail: '', outcome: r.failed.length ? 'partial' : 'ok' });
      return { opened: r.opened.length, extended: r.extended, failed: r.failed };
    },
  );
};
