/** Silences over HTTP: list (viewer), create and expire (analyst); every change audited. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SEVERITIES, ENTITY_TYPES } from '../../../schemas/alert-schema.js';
import type { SilenceStore } from '../../storage/silence-store.js';
import { validateMatchers } from '../../notify/silence-matcher.js';
import { HttpError } from '../auth.js';
import type { AuditLog } from '../../storage/audit-log.js';

const MAX_DURATION_MS = 90 * 24 * 3_600_000;

const Matchers = Type.Object(
  {
    detector: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    severity: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)))),
    entity_type: Type.Optional(Type.Union(ENTITY_TYPES.map((s) => Type.Literal(s)))),
    entity_value: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: '`*` wildcards; a CIDR for IP entities' })),
    route: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: '`*` wildcards' })),
  },
  { additionalProperties: false },
);
const SilenceReply = Type.Object({ id: Type.String(), matchers: Matchers, starts_at: Type.String(), ends_at: Type.String(), created_by: Type.String(), comment: Type.String() });

export const silenceRoutes: FastifyPluginAsyncTypebox<{ silences: SilenceStore; audit: AuditLog }> = async (app, opts) => {
  app.get(
    '/v1/silences',
    {
      config: { role: 'viewer' },
      schema: { summary: 'Silences not yet ended (all=true: every one)', querystring: Type.Object({ all: Type.Boolean({ default: false }) }, { additionalProperties: false }), response: { 200: Type.Object({ silences: Type.Array(SilenceReply) }) } },
    },
    async (req) => ({ silences: (await opts.silences.list({ all: req.query.all })) as Array<Static<typeof SilenceReply>> }),
  );

  app.post(
    '/v1/silences',
    {
      config: { role: 'analyst' },
      schema: {
        summary: 'Silence matching alerts for a while: they are stored and marked, never delivered',
        body: Type.Object(
          {
            matchers: Matchers,
            starts_at: Type.Optional(Type.String({ format: 'date-time' })),
            ends_at: Type.Optional(Type.String({ format: 'date-time' })),
            duration_min: Type.Optional(Type.Integer({ minimum: 1, maximum: 90 * 24 * 60 })),
            comment: Type.String({ minLength: 1, maxLength: 2000, description: 'why: shown to whoever wonders where the alerts went' }),
          },
          { additionalProperties: false },
        ),
        response: { 201: SilenceReply },
      },
    },
    async (req, reply) => {
      const problem = validateMatchers(req.body.matchers);
      if (problem) throw new HttpError(400, problem, 'invalid_silence');
      const startsAt = req.body.starts_at ? Date.parse(req.body.starts_at) : Date.now();
      const endsAt = req.body.ends_at ? Date.parse(req.body.ends_at) : req.body.duration_min ? startsAt + req.body.duration_min * 60_000 : Number.NaN;
      if (Number.isNaN(endsAt)) throw new HttpError(400, 'give ends_at or duration_min', 'invalid_silence');
      if (endsAt <= startsAt) throw new HttpError(400, 'ends_at must be after starts_at', 'invalid_silence');
      if (endsAt - startsAt > MAX_DURATION_MS) throw new HttpError(400, 'a silence may last 90 days at most', 'invalid_silence');
      const who = req.principal!;
      const s = await opts.silences.create({ matchers: req.body.matchers, startsAt, endsAt, createdBy: who.id, comment: req.body.comment });
      await opts.audit.record({ key_id: who.id, role: who.role, action: 'silence.create', target: s.id, detail: JSON.stringify(req.body).slice(0, 4000), outcome: 'ok' });
      return reply.code(201).send(s as Static<typeof SilenceReply>);
    },
  );

  app.delete(
    '/v1/silences/:id',
    {
      config: { role: 'analyst' },
      schema: { summary: 'End a silence now', params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) }), response: { 200: SilenceReply } },
    },
    async (req) => {
      const s = await opts.silences.expire(req.params.id);
      if (!s) throw new HttpError(404, `no silence ${req.params.id}`, 'not_found');
      const who = req.principal!;
      await opts.audit.record({ key_id: who.id, role: who.role, action: 'silence.expire', target: s.id, detail: '', outcome: 'ok' });
      return s as Static<typeof SilenceReply>;
    },
  );
};
