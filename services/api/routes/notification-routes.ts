/**
 * Notifications over HTTP: their states (viewer), and a dead-lettered one sent again (admin):
 * the requeue is written to the store, so it works from any process; the notifier holding the
 * lease sends it on its next round.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Store } from '../../storage/clickhouse.js';
import { HttpError } from '../auth.js';
import type { AuditLog } from '../../storage/audit-log.js';
import { createNotificationRepo } from '../../storage/notification-repo.js';

const Row = Type.Object({ alert_id: Type.String(), channel: Type.String(), status: Type.String(), attempts: Type.Integer(), last_error: Type.String(), updated_at: Type.String() });

export const notificationRoutes: FastifyPluginAsyncTypebox<{ store: Store; audit: AuditLog }> = async (app, opts) => {
  const repo = createNotificationRepo(opts.store);
  app.get(
    '/v1/notifications',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Notification states, newest first (status=dead: the dead letters)',
        querystring: Type.Object(
          { status: Type.Optional(Type.Union((['pending', 'sent', 'dead', 'suppressed'] as const).map((s) => Type.Literal(s)))), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ notifications: Type.Array(Row) }) },
      },
    },
    async (req) => {
      const list = await repo.list({ limit: req.query.limit, ...(req.query.status ? { status: req.query.status } : {}) });
      return { notifications: list.map((n) => ({ alert_id: n.id, channel: n.channel, status: n.status, attempts: n.attempts, last_error: n.lastError, updated_at: n.updated })) };
    },
  );

  app.post(
    '/v1/notifications/retry',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Send a dead-lettered notification again (its receiver is fixed)',
        body: Type.Object({ alert_id: Type.String({ pattern: '^(?:[A-Za-z0-9_-]{1,64}|resolved:[A-Za-z0-9_-]{1,64}:[0-9]{1,20}|digest-[0-9T:.Z-]{1,40})$', description: "an alert's id, an incident resolution's (resolved:<incident>:<n>) or a digest's (digest-<period start>)" }), channel: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }) }, { additionalProperties: false }),
        response: { 202: Type.Object({ requeued: Type.Boolean() }) },
      },
    },
    async (req, reply) => {
      const ok = await repo.requeue(req.body.alert_id, req.body.channel);
      const who = req.principal!;
      await opts.audit.record({ key_id: who.id, role: who.role, action: 'notification.retry', target: `${req.body.alert_id}:${req.body.channel}`, detail: '', outcome: ok ? 'ok' : 'refused' });
      if (!ok) throw new HttpError(404, `no dead-lettered notification of alert ${req.body.alert_id} on channel ${req.body.channel}`, 'not_found');
      return reply.code(202).send({ requeued: true });
    },
  );
};
