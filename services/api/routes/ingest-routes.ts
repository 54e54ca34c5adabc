/**
 * POST /v1/ingest: NDJSON or a JSON array of gateway log records (format detected per record,
 * or `?format=`). Answers with per-outcome counts; a bad record is counted and dead-lettered,
 * never a reason to refuse the others.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FormatOrAuto } from '../../../schemas/config-schema.js';
import type { HttpIngestGateway, IngestLimits } from '../../ingest/ingest-gateway.js';
import { HttpError } from '../auth.js';
import { checkContentType, decodeBody, splitBody, TooDeepError, TooManyRecordsError } from '../ingest-body.js';

export { splitBody } from '../ingest-body.js';

const IngestReply = Type.Object({
  received: Type.Integer(),
  stored: Type.Integer(),
  rejected: Type.Integer(),
  queued: Type.Integer(),
  reasons: Type.Record(Type.String(), Type.Integer()),
  errors: Type.Array(Type.Object({ index: Type.Integer(), reason: Type.String(), detail: Type.String() })),
  eventTimes: Type.Optional(Type.Object({ min: Type.String({ format: 'date-time' }), max: Type.String({ format: 'date-time' }) })),
});

export const ingestRoutes: FastifyPluginAsyncTypebox<{ gateway: HttpIngestGateway; bodyLimit: number; limits: IngestLimits }> = async (app, opts) => {
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
      checkContentType(req.headers['content-type']);
      const sent = req.body;
      if (!Buffer.isBuffer(sent) || sent.length === 0) throw new HttpError(400, 'empty body: send NDJSON or a JSON array of records', 'invalid_body');
      const body = await decodeBody(sent, req.headers['content-encoding'], opts.limits.maxDecodedBytes);
      let records: Array<string | Buffer>;
      try {
        records = splitBody(body, { maxDepth: opts.limits.maxDepth, maxRecords: opts.limits.maxRecords });
      } catch (err) {
        if (err instanceof TooDeepError) {
          // refused whole, and said once in the dead letters (its start, redacted), not once per level
          await opts.gateway.refuse(body, 'too_deep', err.message, { source: 'http' });
          throw new HttpError(400, `${err.message} (ingest.maxDepth): nothing of it was stored`, 'too_deep');
        }
        if (err instanceof TooManyRecordsError) {
          await opts.gateway.refuse(body, 'too_large', `request of more than ${err.maxRecords} records`, { source: 'http' });
          throw new HttpError(413, `the request holds more than ${err.maxRecords} records, what a request may hold (ingest.maxRecordsPerRequest): send several requests. Nothing of it was stored`, 'too_many_records');
        }
        throw err;
      }
      if (records.length === 0) throw new HttpError(400, 'the body holds no record: send NDJSON or a JSON array of records', 'invalid_body');
      const key = req.headers['idempotency-key'];
      if (!key) return opts.gateway.submit(records, req.query.format ?? 'auto', { source: 'http' });
      // the key is the sender's own: scoped by the API key that sent it (see submissionToken)
      const sender = req.principal?.id;
      if (!sender) throw new HttpError(401, 'an Idempotency-Key needs an authenticated sender', 'unauthenticated');
      return opts.gateway.submit(records, req.query.format ?? 'auto', { source: 'http', idempotencyKey: key, sender });
    },
  );
};
