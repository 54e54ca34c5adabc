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
import { ROLLUPS } from '../../../schemas/rollups.js';
import { LRUCache } from 'lru-cache';

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

/**
 * What analyst SQL may read: the history (events, rollups), alerts and their trail,
 * baselines, silences, deliveries, dead letters and the audit log; of the system tables only
 * the harmless ones a console needs. Not: API keys, notification channels, the ingest journal.
 * ClickHouse's analyzer says which tables a query reads (EXPLAIN QUERY TREE resolves names,
 * CTEs, subqueries and aliases), so the check does not rest on parsing SQL here.
 */
export const SQL_TABLES = [
  'events', 'alerts', 'alert_events', 'baselines', 'silences', 'notifications', 'deliveries', 'dead_letters', 'audit_log', 'detector_runs', 'detector_state', 'schema_migrations',
  ...ROLLUPS.map((r) => r.table),
];
export const SQL_SYSTEM_TABLES = ['system.one', 'system.numbers', 'system.numbers_mt', 'system.zeros', 'system.columns', 'system.tables', 'system.functions', 'system.data_type_families', 'system.time_zones'];
export const SQL_TABLE_FUNCTIONS = ['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateSeries', 'values'];

/** statements that return no table rows (or are refused by readonly=1); anything else is checked */
const NOT_QUERIES = new Set(['INSERT', 'ALTER', 'DROP', 'CREATE', 'SET', 'SYSTEM', 'TRUNCATE', 'RENAME', 'OPTIMIZE', 'GRANT', 'REVOKE', 'KILL', 'DELETE', 'UPDATE', 'ATTACH', 'DETACH', 'USE', 'BACKUP', 'RESTORE', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'EXPLAIN', 'CHECK', 'UNDROP', 'EXCHANGE', 'MOVE']);

// the verdict depends on the text alone (and the schema, which only migrations change): a
// dashboard that sends the same queries again skips the EXPLAIN
const verdicts = new LRUCache<string, string[]>({ max: 2000 });

/** The tables and table functions a query reads that it may not, as ClickHouse resolves them. */
export async function forbiddenReads(store: Store, sql: string): Promise<string[]> {
  const cached = verdicts.get(`${store.db}\0${sql}`);
  if (cached) return cached;
  // only a query reads rows: any other statement (INSERT, SET, SYSTEM…, or SHOW, DESCRIBE,
  // EXPLAIN) goes to ClickHouse as it is, which refuses what would write
  const kind = /^[A-Z]+/.exec(await store.format(sql))?.[0] ?? '';
  if (NOT_QUERIES.has(kind)) {
    verdicts.set(`${store.db}\0${sql}`, []);
    return [];
  }
  const stream = await store.readOnly(`EXPLAIN QUERY TREE ${sql}\nFORMAT TSVRaw`);
  let tree = '';
  for await (const c of stream) tree += Buffer.isBuffer(c) ? c.toString('utf8') : String(c);
  const allowed = new Set([...SQL_TABLES.map((t) => `${store.db}.${t}`), ...SQL_SYSTEM_TABLES]);
  const bad = new Set<string>();
  for (const m of tree.matchAll(/\bTABLE id: \d+(?:, alias: [^,\n]+)?, table_name: ([^\s,]+)/g)) if (!allowed.has(m[1]!)) bad.add(m[1]!);
  for (const m of tree.matchAll(/\bTABLE_FUNCTION id: \d+(?:, alias: [^,\n]+)?, table_function_name: ([^\s,]+)/g)) if (!SQL_TABLE_FUNCTIONS.includes(m[1]!)) bad.add(`${m[1]!}()`);
  verdicts.set(`${store.db}\0${sql}`, [...bad]);
  return [...bad];
}

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
        const bad = await forbiddenReads(opts.store, sql);
        if (bad.length) {
          await opts.audit.record({ key_id: who.id, role: who.role, action: 'query', target: '', detail: sql.slice(0, 10_000), outcome: 'refused' });
          throw new HttpError(403, `not open to SQL: ${bad.join(', ')}. Tables: ${SQL_TABLES.join(', ')}; ${SQL_SYSTEM_TABLES.join(', ')}; table functions ${SQL_TABLE_FUNCTIONS.join(', ')}`, 'table_not_allowed');
        }
        const stream = await opts.store.readOnly(`${sql}\nFORMAT ${format}`);
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
        await opts.audit.record({ key_id: who.id, role: who.role, action: 'query', target: '', detail: sql.slice(0, 10_000), outcome: 'ok' });
        reply.header('content-type', `${contentType}; charset=utf-8`).header('x-gatewatch-elapsed-ms', String(Date.now() - started));
        return reply.send(Buffer.concat(chunks));
      } catch (err) {
        if (err instanceof HttpError) throw err;
        await opts.audit.record({ key_id: who.id, role: who.role, action: 'query', target: '', detail: sql.slice(0, 10_000), outcome: 'refused' });
        // ClickHouse's message tells the analyst what was wrong (syntax, readonly, a limit)
        throw new HttpError(400, errorMessage(err).replace(/\s+$/, ''), 'query_failed');
      }
    },
  );
};
