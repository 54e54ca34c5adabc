/** API keys over HTTP (admin): list, create (the secret is shown once, in this answer), revoke. Audited. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ROLES, type ApiKeyStore } from '../../storage/api-keys.js';
import { HttpError } from '../auth.js';
import type { AuditLog } from '../../storage/audit-log.js';

const Info = Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), created_at: Type.String(), revoked_at: Type.Union([Type.String(), Type.Null()]) });

export const keyRoutes: FastifyPluginAsyncTypebox<{ keys: ApiKeyStore; audit: AuditLog }> = async (app, opts) => {
  app.get('/v1/keys', { config: { role: 'admin' }, schema: { summary: 'API keys (never their secrets)', response: { 200: Type.Object({ keys: Type.Array(Info) }) } } }, async () => ({ keys: await opts.keys.list() }));

  app.post(
    '/v1/keys',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create an API key; its secret is in this answer and nowhere else',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), role: Type.Union(ROLES.map((r) => Type.Literal(r))) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), key: Type.String(), role: Type.String(), name: Type.String() }) },
      },
    },
    async (req, reply) => {
      const created = await opts.keys.create(req.body.name, req.body.role);
      const who = req.principal!;
      await opts.audit.record({ key_id: who.id, role: who.role, action: 'key.create', target: created.id, detail: `${req.body.role} ${req.body.name}`, outcome: 'ok' });
      return reply.code(201).send({ ...created, role: req.body.role, name: req.body.name });
    },
  );

  app.delete(
    '/v1/keys/:id',
    { config: { role: 'admin' }, schema: { summary: 'Revoke an API key now', params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{12}$' }) }), response: { 200: Type.Object({ revoked: Type.Boolean() }) } } },
    async (req) => {
      const who = req.principal!;
      if (req.params.id === who.id) throw new HttpError(409, 'a key cannot revoke itself: use another admin key', 'self_revoke');
      const ok = await opts.keys.revoke(req.params.id);
      await opts.audit.record({ key_id: who.id, role: who.role, action: 'key.revoke', target: req.params.id, detail: '', outcome: ok ? 'ok' : 'refused' });
      if (!ok) throw new HttpError(404, `no key ${req.params.id}`, 'not_found');
      return { revoked: true };
    },
  );
};
