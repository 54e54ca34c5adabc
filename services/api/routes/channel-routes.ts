/**
 * Notification channels over HTTP (admin): list, read, create, replace, delete and test. The
 * config file's channels are listed too, read-only. Secrets are write-only: a webhook created
 * without a secret gets a generated one, shown once in the creation reply; every later reply
 * shows `[REDACTED:secret]`, and a replacement that sends that marker (or omits the secret)
 * keeps the stored one. Every change is audited, without its secrets.
 */
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Channel } from '../../../schemas/notify-config-schema.js';
import { channelProblem, publicChannel, SECRET_MARK, type ChannelInfo, type ChannelStore } from '../../storage/channel-store.js';
import { testAlert, type Deliver } from '../../notify/deliver.js';
import { HttpError } from '../auth.js';
import type { AuditLog } from '../../storage/audit-log.js';

const NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';
const Reply = Type.Object({ channel: Type.Record(Type.String(), Type.Unknown()), source: Type.String(), updated_at: Type.Union([Type.String(), Type.Null()]), updated_by: Type.Union([Type.String(), Type.Null()]) });
const view = (i: ChannelInfo) => ({ channel: publicChannel(i.channel), source: i.source, updated_at: i.updated_at, updated_by: i.updated_by });

/** The body with stored secrets carried over where the caller left them out or sent the marker back. */
function withSecrets(body: Record<string, unknown>, old: Channel | undefined): Record<string, unknown> {
  const out = structuredClone(body);
  if (out.type === 'webhook') {
    if (out.secret === undefined || out.secret === SECRET_MARK) out.secret = old?.type === 'webhook' ? old.secret : undefined;
    const headers = out.headers as Record<string, string> | undefined;
    if (headers && old?.type === 'webhook') for (const [k, v] of Object.entries(headers)) if (v === SECRET_MARK && old.headers?.[k] !== undefined) headers[k] = old.headers[k]!;
  }
  if (out.type === 'email' && out.smtp && typeof out.smtp === 'object') {
    const smtp = out.smtp as Record<string, unknown>;
    if (smtp.pass === SECRET_MARK) smtp.pass = old?.type === 'email' ? old.smtp.pass : undefined;
    if (smtp.pass === undefined) delete smtp.pass;
  }
  return out;
}

export const channelRoutes: FastifyPluginAsyncTypebox<{ channels: ChannelStore; audit: AuditLog; deliver: Deliver; dashboardUrl: string }> = async (app, opts) => {
  const params = { params: Type.Object({ name: Type.String({ pattern: NAME }) }) };
  const body = Type.Object({}, { additionalProperties: true, description: 'a webhook or e-mail channel, as in the config file (notify.channels[])' });

  async function save(req: { body: Record<string, unknown>; principal?: { id: string; role: string } }, name: string, isNew: boolean): Promise<{ info: ChannelInfo; generated?: string }> {
    const who = req.principal!;
    const existing = await opts.channels.get(name);
    if (existing?.source === 'config') throw new HttpError(409, `channel ${name} comes from the config file; change it there`, 'config_channel');
    if (isNew && existing) throw new HttpError(409, `channel ${name} exists; PUT /v1/channels/${name} replaces it`, 'exists');
    if (!isNew && !existing) throw new HttpError(404, `no channel ${name}`, 'not_found');
    if (req.body.name !== undefined && req.body.name !== name) throw new HttpError(400, 'the name in the body differs from the one in the path', 'invalid_channel');
    const merged = withSecrets({ ...req.body, name }, existing?.channel);
    let generated: string | undefined;
    if (merged.type === 'webhook' && merged.secret === undefined) merged.secret = generated = randomBytes(32).toString('base64url');
    const problem = channelProblem(merged);
    if (problem) throw new HttpError(400, `invalid channel: ${problem}`, 'invalid_channel');
    if (merged.type === 'webhook') {
      try {
        new URL(String(merged.url));
      } catch {
        throw new HttpError(400, 'invalid channel: /url is not a URL', 'invalid_channel');
      }
    }
    const info = await opts.channels.put(merged as Channel, who.id);
    await opts.audit.record({ key_id: who.id, role: who.role, action: isNew ? 'channel.create' : 'channel.replace', target: name, detail: JSON.stringify(publicChannel(info.channel)).slice(0, 4000), outcome: 'ok' });
    return generated ? { info, generated } : { info };
  }

  app.get('/v1/channels', { config: { role: 'admin' }, schema: { summary: 'Notification channels (config file and API), secrets hidden', response: { 200: Type.Object({ channels: Type.Array(Reply) }) } } }, async () => ({
    channels: (await opts.channels.list()).map(view),
  }));

  app.get('/v1/channels/:name', { config: { role: 'admin' }, schema: { summary: 'One channel, secrets hidden', ...params, response: { 200: Reply } } }, async (req) => {
    const c = await opts.channels.get(req.params.name);
    if (!c) throw new HttpError(404, `no channel ${req.params.name}`, 'not_found');
    return view(c);
  });

  app.post(
    '/v1/channels',
    { config: { role: 'admin' }, schema: { summary: 'Add a channel; a webhook without `secret` gets one, returned once as `secret`', body, response: { 201: Type.Intersect([Reply, Type.Object({ secret: Type.Optional(Type.String()) })]) } } },
    async (req, reply) => {
      const name = (req.body as Record<string, unknown>).name;
      if (typeof name !== 'string' || !new RegExp(NAME).test(name)) throw new HttpError(400, `invalid channel: /name must match ${NAME}`, 'invalid_channel');
      const { info, generated } = await save(req, name, true);
      return reply.code(201).send({ ...view(info), ...(generated ? { secret: generated } : {}) });
    },
  );

  app.put('/v1/channels/:name', { config: { role: 'admin' }, schema: { summary: 'Replace a channel; omitted or `[REDACTED:secret]` secrets are kept', ...params, body, response: { 200: Reply } } }, async (req) => view((await save(req, req.params.name, false)).info));

  app.delete('/v1/channels/:name', { config: { role: 'admin' }, schema: { summary: 'Remove a channel added through the API', ...params, response: { 200: Type.Object({ deleted: Type.Boolean() }) } } }, async (req) => {
    const who = req.principal!;
    const existing = await opts.channels.get(req.params.name);
    if (existing?.source === 'config') throw new HttpError(409, `channel ${req.params.name} comes from the config file; remove it there`, 'config_channel');
    if (!existing || !(await opts.channels.remove(req.params.name, who.id))) throw new HttpError(404, `no channel ${req.params.name}`, 'not_found');
    await opts.audit.record({ key_id: who.id, role: who.role, action: 'channel.delete', target: req.params.name, detail: '', outcome: 'ok' });
    return { deleted: true };
  });

  app.post(
    '/v1/channels/:name/test',
    { config: { role: 'admin' }, schema: { summary: 'Send a test alert through a channel and report what the receiver answered', ...params, response: { 200: Type.Object({ delivered: Type.Boolean(), status: Type.Union([Type.Integer(), Type.Null()]), latency_ms: Type.Number(), error: Type.Union([Type.String(), Type.Null()]) }) } } },
    async (req) => {
      const c = await opts.channels.get(req.params.name);
      if (!c) throw new HttpError(404, `no channel ${req.params.name}`, 'not_found');
      const alert = testAlert();
      const r = await opts.deliver(c.channel, [alert], opts.dashboardUrl, alert.id);
      const who = req.principal!;
      await opts.audit.record({ key_id: who.id, role: who.role, action: 'channel.test', target: req.params.name, detail: r.ok ? 'delivered' : r.error.slice(0, 500), outcome: r.ok ? 'ok' : 'failed' });
      return { delivered: r.ok, status: r.status ?? null, latency_ms: r.latencyMs, error: r.ok ? null : r.error };
    },
  );
};
