/**
 * POST /v1/query: SQL over the history, read-only by ClickHouse's own enforcement (see
 * Store.readOnly), with limits on time, rows read, result size and memory. Every query is
 * audited with who ran it.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Store } from '../../shared/clickhouse.js';
import { errorMessage } from '../../shared/errors.js';
import { HttpError } from '../auth.js';
import type { AuditLog } from '../audit-log.js';

export const OUTPUT_FORMATS: Record<string, string> = {
  JSON: 'application/json',
  JSONCompact: 'application/json',
  JSONEachRow: 'application/x-ndjson',
  CSV: 'text/csv',
  CSVWithNames: 'text/csv',
  TSV: 'text/tab-separated-values',
  TabSeparated: 'text/tab-separated-values',
  TSVWithNames: 'text/tab-separated-values',
  TabSeparatedWithNames: 'text/tab-separated-values',
  Pretty: 'text/plain',
  PrettyCompact: 'text/plain',
  PrettyCompactMonoBlock: 'text/plain',
  PrettySpace: 'text/plain',
  Vertical: 'text/plain',
  Markdown: 'text/markdown',
};

/** Splits a trailing `FORMAT Name` (and `;`) off a statement. */
export function splitFormat(sql: string): { sql: string; format?: string } {
  const m = /\bFORMAT\s+([A-Za-z]+)\s*;?\s*$/i.exec(sql);
  if (!m) return { sql: sql.replace(/;\s*$/, '') };
  return { sql: sql.slice(0, m.index).trimEnd(), format: m[1]! };
}

export const queryRoutes: FastifyPluginAsyncTypebox<{ store: Store; audit: AuditLog }> = async (app, opts) => {
  app.post(
    '/v1/query',
    {
      config: { role: 'analyst' },
      schema: {
        summary: 'Run read-only SQL over the stored history',
        body: Type.Object({ sql: Type.String({ minLength: 1, maxLength: 100_000 }), format: Type.Optional(Type.String({ maxLength: 40 })) }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      const { sql, format: inline } = splitFormat(req.body.sql);
      const format = req.body.format ?? inline ?? 'JSON';
      const contentType = OUTPUT_FORMATS[format];
      if (!contentType) throw new HttpError(400, `unsupported output format ${format}; use one of ${Object.keys(OUTPUT_FORMATS).join(', ')}`, 'invalid_format');
      const who = req.principal!;
      const started = Date.now();
      try {
        const stream = await opts.store.readOnly(`${sql}\nFORMAT ${format}`);
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
        await opts.audit.record({ key_id: who.id, role: who.role, action: 'query', target: '', detail: sql.slice(0, 10_000), outcome: 'ok' });
        reply.header('content-type', `${contentType}; charset=utf-8`).header('x-gatewatch-elapsed-ms', String(Date.now() - started));
        return reply.send(Buffer.concat(chunks));
      } catch (err) {
        await opts.audit.record({ key_id: who.id, role: who.role, action: 'query', target: '', detail: sql.slice(0, 10_000), outcome: 'refused' });
        // ClickHouse's message tells the analyst what was wrong (syntax, readonly, a limit)
        throw new HttpError(400, errorMessage(err).replace(/\s+$/, ''), 'query_failed');
      }
    },
  );
};
