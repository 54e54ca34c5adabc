/**
 * POST /v1/query: SQL over the history. Every statement passes the SQL guard first
 * (sql-guard/: one SELECT, EXPLAIN or DESCRIBE, every node, table, function and setting on an
 * allow-list); then the canonical statement the guard checked runs read-only (readonly=1,
 * enforced by ClickHouse) within the configured limits on time, rows read, result size and
 * memory. Every query is audited with who ran it and whether it was refused.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Store } from '../../storage/clickhouse.js';
import { HttpError } from '../auth.js';
import type { AuditLog } from '../../storage/audit-log.js';
import { createSqlGuard, engineMessage, MAX_SQL_LENGTH, type SqlGuard } from '../sql-guard/sql-guard.js';

export { SQL_SYSTEM_TABLES, SQL_TABLE_FUNCTIONS, SQL_TABLES } from '../sql-guard/sql-guard.js';

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

export const queryRoutes: FastifyPluginAsyncTypebox<{ store: Store; audit: AuditLog; guard?: SqlGuard }> = async (app, opts) => {
  const guard = opts.guard ?? createSqlGuard(opts.store);
  app.post(
    '/v1/query',
    {
      config: { role: 'analyst' },
      schema: {
        summary: 'Run read-only SQL over the stored history',
        description: 'One SELECT (WITH, UNION, subqueries), or an EXPLAIN or DESCRIBE of one, over the tables open to SQL, with allowed functions and settings only.',
        body: Type.Object({ sql: Type.String({ minLength: 1, maxLength: MAX_SQL_LENGTH }), format: Type.Optional(Type.String({ maxLength: 40 })) }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      const { sql, format: inline } = splitFormat(req.body.sql);
      const format = req.body.format ?? inline ?? 'JSON';
      const contentType = OUTPUT_FORMATS[format];
      if (!contentType) throw new HttpError(400, `unsupported output format ${format}; use one of ${Object.keys(OUTPUT_FORMATS).join(', ')}`, 'invalid_format');
      const who = req.principal!;
      const audit = (outcome: string) => opts.audit.record({ key_id: who.id, role: who.role, action: 'query', target: '', detail: sql.slice(0, 10_000), outcome });
      const started = Date.now();
      const verdict = await guard.check(sql);
      if (!verdict.ok) {
        await audit('refused');
        req.log.warn({ key: who.id, refusals: verdict.refusals.map((r) => r.what) }, 'analyst SQL refused');
        throw new HttpError(verdict.status, verdict.message, verdict.code);
      }
      try {
        const stream = await opts.store.readOnly(`${verdict.sql}\nFORMAT ${format}`, { settings: verdict.settings });
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
        await audit('ok');
        reply.header('content-type', `${contentType}; charset=utf-8`).header('x-gatewatch-elapsed-ms', String(Date.now() - started));
        return reply.send(Buffer.concat(chunks));
      } catch (err) {
        await audit('failed');
        // the statement passed the guard: the engine's message is about data SQL may read (syntax, a limit)
        throw new HttpError(400, engineMessage(err), 'query_failed');
      }
    },
  );
};
