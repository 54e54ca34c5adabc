/**
 * POST /v1/ingest: NDJSON or a JSON array of gateway log records (format detected per record,
 * or `?format=`). Answers with per-outcome counts; a bad record is counted and dead-lettered,
 * never a reason to refuse the others.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FormatOrAuto } from '../../../schemas/config-schema.js';
import type { IngestGateway } from '../../ingest/ingest-gateway.js';
import { HttpError } from '../auth.js';

export function splitBody(body: Buffer): Array<string | Buffer> {
  let start = 0;
  while (start < body.length && (body[start] === 0x20 || body[start] === 0x0a || body[start] === 0x0d || body[start] === 0x09)) start++;
  if (body[start] === 0x5b /* [ */) {
    let arr: unknown;
    try {
      arr = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, `body starts with [ but is not a JSON array: ${err instanceof Error ? err.message : ''}`, 'invalid_body');
    }
    if (!Array.isArray(arr)) throw new HttpError(400, 'body is not a JSON array', 'invalid_body');
    return arr.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  }
  // NDJSON (or plain text log lines): one record per line, blank lines ignored. Lines stay
  // bytes so that invalid UTF-8 is reported per record.
  const out: Buffer[] = [];
  let lineStart = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || body[i] === 0x0a) {
      let end = i;
      if (end > lineStart && body[end - 1] === 0x0d) end--;
      const line = body.subarray(lineStart, end);
      if (line.some((b) => b !== 0x20 && b !== 0x09)) out.push(line);
      lineStart = i + 1;
    }
  }
  return out;
}

const IngestReply = Type.Object({
  received: Type.Integer(),
  stored: Type.Integer(),
  rejected: Type.Integer(),
  queued: Type.Integer(),
  reasons: Type.Record(Type.String(), Type.Integer()),
  errors: Type.Array(Type.Object({ index: Type.Integer(), reason: Type.String(), detail: Type.String() })),
  eventTimes: Type.Optional(Type.Object({ min: Type.String({ format: 'date-time' }), max: Type.String({ format: 'date-time' }) })),
});

export const ingestRoutes: FastifyPluginAsyncTypebox<{ gateway: IngestGateway; bodyLimit: number }> = async (app, opts) => {
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.bodyLimit }, (_req, body, done) => done(null, body));
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer', bodyLimit: opts.bodyLimit }, (_req, body, done) => done(null, body));

  app.post(
    '/v1/ingest',
    {
      config: { role: 'ingest' },
      bodyLimit: opts.bodyLimit,
      schema: {
        summary: 'Ingest gateway access-log records',
        querystring: Type.Object({ format: Type.Optional(FormatOrAuto) }),
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' })) }),
        response: { 200: IngestReply },
      },
    },
    async (req) => {
      const body = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpError(400, 'empty body: send NDJSON or a JSON array of records', 'invalid_body');
      const records = splitBody(body);
      const key = req.headers['idempotency-key'];
      if (!key) return opts.gateway.submit(records, req.query.format ?? 'auto', { source: 'http' });
      // the key is the sender's own: scoped by the API key that sent it (see submissionToken)
      const sender = req.principal?.id;
      if (!sender) throw new HttpError(401, 'an Idempotency-Key needs an authenticated sender', 'unauthenticated');
      return opts.gateway.submit(records, req.query.format ?? 'auto', { source: 'http', idempotencyKey: key, sender });
    },
  );
};
