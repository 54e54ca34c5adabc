/**
 * Alerts over HTTP: the list and one alert (viewer), and scoring a range of event time on
 * demand (analyst; `gatewatch replay` uses it to score what it backfilled through a running
 * server). Filters, pagination, the live stream and the lifecycle arrive with the API issue.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AlertSchema, ALERT_STATUSES } from '../../../schemas/alert-schema.js';
import type { AlertStore } from '../../detect/clickhouse-alert-store.js';
import type { DetectionRunner } from '../../detect/detection-runner.js';
import { HttpError } from '../auth.js';
import type { AuditLog } from '../audit-log.js';

const MINUTE = 60_000;
const MAX_RANGE_MS = 31 * 24 * 60 * MINUTE;

export const alertRoutes: FastifyPluginAsyncTypebox<{ alerts: AlertStore; runner?: DetectionRunner; audit: AuditLog }> = async (app, opts) => {
  app.get(
    '/v1/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Alerts, newest first',
        querystring: Type.Object(
          { status: Type.Optional(Type.Union(ALERT_STATUSES.map((s) => Type.Literal(s)))), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ alerts: Type.Array(AlertSchema) }) },
      },
    },
    async (req) => ({ alerts: await opts.alerts.list({ limit: req.query.limit, ...(req.query.status ? { status: req.query.status } : {}) }) }),
  );

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
    async (req) => {
      if (!opts.runner) throw new HttpError(409, 'detection does not run in this process', 'detect_disabled');
      const from = Math.floor(Date.parse(req.body.from) / MINUTE) * MINUTE;
      const to = Math.ceil(Date.parse(req.body.to) / MINUTE) * MINUTE;
      if (!(to > from)) throw new HttpError(400, '`to` must be after `from`', 'invalid_range');
      if (to - from > MAX_RANGE_MS) throw new HttpError(400, 'a range may span 31 days at most', 'invalid_range');
      const who = req.principal!;
      const r = await opts.runner.scoreRange({ from, to });
      await opts.audit.record({ key_id: who.id, role: who.role, action: 'detect.score', target: `${req.body.from}/${req.body.to}`, detail: '', outcome: r.failed.length ? 'partial' : 'ok' });
      return { opened: r.opened.length, extended: r.extended, failed: r.failed };
    },
  );
};
