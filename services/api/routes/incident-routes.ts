/**
 * Incidents over HTTP: the alerts of one attack together. The list and one incident with its
 * alerts and trail (viewer); acknowledge, resolve, reopen, silence and unsilence with a comment
 * (analyst), recorded in the incident's trail and the audit log. Acknowledging or resolving an
 * incident does the same to its alerts. Detection never undoes a person's decision: the one
 * status it writes is a resolution once every alert of the incident is clear.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AlertSchema, SEVERITIES } from '../../../schemas/alert-schema.js';
import type { IncidentAction, IncidentStore } from '../../storage/incident-store.js';
import { HttpError } from '../auth.js';
import type { AuditLog } from '../../storage/audit-log.js';
import { commentOf } from './alert-routes.js';

const STATUSES = ['open', 'acknowledged', 'resolved'] as const;

export const IncidentSchema = Type.Object(
  {
    id: Type.String(),
    title: Type.String({ description: "its most severe alert's summary, and the detectors that also saw it" }),
    severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
    status: Type.Union(STATUSES.map((s) => Type.Literal(s))),
    keys: Type.Array(Type.String(), { description: 'every entity its alerts are about or name, as type:value' }),
    detectors: Type.Array(Type.String()),
    owasp: Type.Array(Type.String()),
    alert_ids: Type.Array(Type.String()),
    alerts_count: Type.Integer(),
    first_seen: Type.String({ format: 'date-time' }),
    last_seen: Type.String({ format: 'date-time' }),
    merged_into: Type.String({ description: "the incident this one became part of ('' for none)" }),
    silenced_until: Type.String({ description: "its notifications are held back until then ('' when not silenced)" }),
  },
  { $id: 'Incident', additionalProperties: false },
);

const Event = Type.Object({ at: Type.String(), actor: Type.String(), action: Type.String(), from_status: Type.String(), to_status: Type.String(), comment: Type.String(), until: Type.String() });
const Id = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

export const incidentRoutes: FastifyPluginAsyncTypebox<{ incidents: IncidentStore; audit: AuditLog }> = async (app, opts) => {
  app.get(
    '/v1/incidents',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Incidents (the alerts of one attack together), newest first, filtered',
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))),
            severity: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)))),
            from: Type.Optional(Type.String({ format: 'date-time', description: 'last_seen at or after' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'last_seen before' })),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ incidents: Type.Array(IncidentSchema) }) },
      },
    },
    async (req) => {
      const q = req.query;
      const incidents = await opts.incidents.list({ limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.severity ? { severity: q.severity } : {}), ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) });
      return { incidents };
    },
  );

  app.get(
    '/v1/incidents/:id',
    {
      config: { role: 'viewer' },
      schema: { summary: 'One incident with its alerts (oldest first) and its trail', params: Id, response: { 200: Type.Object({ incident: IncidentSchema, alerts: Type.Array(AlertSchema), events: Type.Array(Event) }) } },
    },
    async (req) => {
      const found = await opts.incidents.get(req.params.id);
      if (!found) throw new HttpError(404, `no incident ${req.params.id}`, 'not_found');
      const { alerts, events, ...incident } = found;
      return { incident, alerts: [...alerts].sort((a, b) => Date.parse(a.first_seen) - Date.parse(b.first_seen)), events };
    },
  );

  for (const action of ['ack', 'resolve', 'reopen', 'unsilence'] as const) {
    app.post(
      `/v1/incidents/:id/${action}`,
      {
        config: { role: 'analyst' },
        schema: {
          summary: { ack: 'Acknowledge an open incident (and its open alerts)', resolve: 'Resolve an incident (and its alerts)', reopen: 'Reopen a resolved incident', unsilence: "Lift an incident's silence" }[action],
          params: Id,
          description: 'Body (optional): {"comment": "…"}, at most 2,000 characters. Alerts that return after a resolution open a new incident.',
          response: { 200: Type.Object({ incident: IncidentSchema, alerts_changed: Type.Integer() }) },
        },
      },
      async (req) => act(req.params.id, action, req.principal!, commentOf(req.body)),
    );
  }

  app.post(
    '/v1/incidents/:id/silence',
    {
      config: { role: 'analyst' },
      schema: {
        summary: "Hold an incident's notifications back for a while (its alerts are still recorded and shown)",
        params: Id,
        body: Type.Object(
          {
            duration_min: Type.Integer({ minimum: 1, maximum: 30 * 24 * 60, description: 'how long, in minutes (at most 30 days)' }),
            comment: Type.String({ maxLength: 2000, default: '' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ incident: IncidentSchema, alerts_changed: Type.Integer() }) },
      },
    },
    async (req) => act(req.params.id, 'silence', req.principal!, req.body.comment, { untilMs: Date.now() + req.body.duration_min * 60_000 }),
  );

  async function act(id: string, action: IncidentAction, who: { id: string; role: string }, comment: string, extra: { untilMs?: number } = {}) {
    const r = await opts.incidents.transition(id, action, who.id, comment, extra);
    const detail = extra.untilMs ? `${comment} (until ${new Date(extra.untilMs).toISOString()})`.trim() : comment;
    await opts.audit.record({ key_id: who.id, role: who.role, action: `incident.${action}`, target: id, detail, outcome: r.ok ? 'ok' : 'refused' });
    if (!r.ok) throw new HttpError(r.reason === 'not_found' ? 404 : 409, r.message, r.reason === 'not_found' ? 'not_found' : 'invalid_transition');
    return { incident: r.incident, alerts_changed: r.alertsChanged };
  }
};
