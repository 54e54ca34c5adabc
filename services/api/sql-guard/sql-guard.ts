/**
 * The gate analyst SQL passes before it runs. Invariant: what runs is exactly what was
 * checked, and nothing of a query runs before it has been checked.
 *
 *  1. ClickHouse's formatQuery parses the text, passed as a parameter (never spliced into
 *     SQL), and writes its canonical form; it refuses more than one statement. That canonical
 *     text is what is checked and what runs: no second parser can read it differently.
 *  2. The statement must be a SELECT (WITH, UNION, subqueries), or an EXPLAIN or DESCRIBE of
 *     one; the SELECT's parse tree (EXPLAIN AST: parsing only, nothing is resolved or run) is
 *     walked node by node against the allow-lists of sql-policy.ts.
 *  3. Only then does ClickHouse's analyzer see it (EXPLAIN QUERY TREE), and every table it
 *     resolves must be open to SQL: a second, independent look at what the query reads.
 *
 * Messages name what was refused and why; they never carry the engine's text from a step that
 * could have touched data (steps 1 and 2 touch none: a parse error quotes the analyst's own
 * text).
 */
import { LRUCache } from 'lru-cache';
import type { Store } from '../../storage/clickhouse.js';
import { errorMessage } from '../../shared/errors.js';
import { ROLLUPS } from '../../../schemas/rollups.js';
import { AstDumpError, parseAstDump } from './ast-dump.js';
import { explainRefusals, policyRefusals, requestedSettings, settingsRefusals, TABLE_FUNCTIONS, type Refusal } from './sql-policy.js';
import { describedStart, explainParts, SqlLexError, settingsClauses, statementKind, subqueryNames, tokenize } from './sql-tokens.js';

/**
 * What analyst SQL may read: the history (events, rollups), alerts and their trail,
 * baselines, silences, deliveries, dead letters and the audit log; of the system tables only
 * the catalogue a console needs. Not: API keys, notification channels, the ingest journal.
 */
export const SQL_TABLES = [
  'events', 'alerts', 'alerts_current', 'alert_events', 'incidents', 'incident_events', 'baselines', 'silences', 'notifications', 'deliveries', 'dead_letters', 'audit_log', 'detector_runs', 'detector_state', 'schema_migrations',
  ...ROLLUPS.map((r) => r.table),
];
export const SQL_SYSTEM_TABLES = ['system.one', 'system.columns', 'system.tables', 'system.functions', 'system.data_type_families', 'system.time_zones'];
export const SQL_TABLE_FUNCTIONS = TABLE_FUNCTIONS;

/** The most SQL text one query may have. */
export const MAX_SQL_LENGTH = 100_000;

export type GuardVerdict =
  | { ok: true; /** the canonical statement to run */ sql: string; /** SETTINGS the query asks for, to apply before readonly */ settings: Record<string, string> }
  | { ok: false; status: 400 | 403; code: string; message: string; refusals: Refusal[] };

export interface SqlGuard {
  check(sql: string): Promise<GuardVerdict>;
}

const refused = (refusals: Refusal[]): GuardVerdict => ({
  ok: false,
  status: 403,
  code: 'sql_not_allowed',
  message: `not open to SQL: ${refusals.map((r) => `${r.what} (${r.why})`).join('; ')}`,
  refusals,
});

const invalid = (message: string): GuardVerdict => ({ ok: false, status: 400, code: 'sql_invalid', message, refusals: [] });

/** ClickHouse's message without its code, type, version and stack: the part an analyst reads. */
export function engineMessage(err: unknown): string {
  let m = errorMessage(err);
  m = m.replace(/^Code:\s*\d+\.\s*/, '').replace(/^DB::Exception:\s*/, '');
  m = m.replace(/\s*\(version [^)]*\)/g, '').replace(/\s*Stack trace[\s\S]*$/, '');
  m = m.split('\n')[0]!.replace(/\s*:?\s*In scope [\s\S]*$/, '').trim();
  return m.length > 600 ? `${m.slice(0, 600)}…` : m;
}

async function text(stream: AsyncIterable<unknown>): Promise<string> {
  let out = '';
  for await (const c of stream) out += Buffer.isBuffer(c) ? c.toString('utf8') : String(c);
  return out;
}

export function createSqlGuard(store: Store, opts: { cacheTtlMs?: number } = {}): SqlGuard {
  const allowed = new Set([...SQL_TABLES, ...SQL_TABLES.map((t) => `${store.db}.${t}`), ...SQL_SYSTEM_TABLES]);
  // the verdict depends on the text and the schema, which only migrations change
  const verdicts = new LRUCache<string, GuardVerdict>({ max: 2000, ttl: opts.cacheTtlMs ?? 600_000 });
  let existing: { names: Set<string>; at: number } | undefined;

  async function existingTables(): Promise<Set<string>> {
    if (existing && Date.now() - existing.at < 60_000) return existing.names;
    const out = await text(await store.readOnly("SELECT name FROM system.tables WHERE database = currentDatabase() FORMAT TSVRaw"));
    existing = { names: new Set(out.split('\n').filter(Boolean)), at: Date.now() };
    return existing.names;
  }

  /** The parse tree of one SELECT (canonical text), judged; a verdict when it is refused. */
  async function judgeSelect(select: string): Promise<{ refusals: Refusal[]; settings: Record<string, string> } | GuardVerdict> {
    let tokens;
    try {
      tokens = tokenize(select);
    } catch (err) {
      if (err instanceof SqlLexError) return invalid(err.message);
      throw err;
    }
    // SETTINGS first, from the text: under readonly=1 ClickHouse refuses to even parse a
    // statement whose SETTINGS change anything, so the safe ones are applied to the session
    // that parses it (and later runs it); one this lexer missed stays refused by ClickHouse
    const clauses = settingsClauses(tokens);
    const early = settingsRefusals(clauses);
    const { settings, conflict } = requestedSettings(clauses);
    if (conflict) early.push(conflict);
    if (early.length) return refused(early);
    let dump: string;
    try {
      // EXPLAIN's own output cannot name a format in its text (a FORMAT there belongs to the
      // statement explained), hence the default format of the request
      dump = await text(await store.readOnly(`EXPLAIN AST ${select}`, { defaultFormat: 'TSVRaw', settings }));
    } catch (err) {
      return invalid(`could not parse: ${engineMessage(err)}`);
    }
    let tree;
    try {
      tree = parseAstDump(dump);
    } catch (err) {
      if (err instanceof AstDumpError) return refused([{ what: 'the statement', why: err.message }]);
      throw err;
    }
    const refusals = policyRefusals(tree, { tables: allowed, existingTables: await existingTables(), subqueryNames: subqueryNames(tokens), settings: clauses });
    return { refusals, settings };
  }

  /** Step 3: the tables ClickHouse's analyzer resolves, each of which must be open. */
  async function resolvedRefusals(select: string, settings: Record<string, string>): Promise<Refusal[]> {
    let tree: string;
    try {
      tree = await text(await store.readOnly(`EXPLAIN QUERY TREE ${select}`, { defaultFormat: 'TSVRaw', settings }));
    } catch {
      // the query itself will fail the same way when it runs, with the engine's message
      return [];
    }
    const out: Refusal[] = [];
    for (const m of tree.matchAll(/\bTABLE id: \d+(?:, alias: [^,\n]+)?, table_name: ([^\s,]+)/g)) if (!allowed.has(m[1]!)) out.push({ what: `table ${m[1]!}`, why: 'not a table open to SQL' });
    for (const m of tree.matchAll(/\bTABLE_FUNCTION id: \d+(?:, alias: [^,\n]+)?, table_function_name: ([^\s,]+)/g)) if (!TABLE_FUNCTIONS.includes(m[1]!)) out.push({ what: `table function ${m[1]!}()`, why: 'not a table function open to SQL' });
    return out;
  }

  async function judge(sql: string): Promise<GuardVerdict> {
    if (sql.trim() === '') return invalid('the query is empty');
    if (sql.length > MAX_SQL_LENGTH) return invalid(`the query is over ${MAX_SQL_LENGTH.toLocaleString('en')} characters`);
    let canonical: string;
    try {
      canonical = (await store.format(sql)).trim();
    } catch (err) {
      return invalid(`could not parse: ${engineMessage(err)}`);
    }
    let tokens;
    try {
      tokens = tokenize(canonical);
    } catch (err) {
      if (err instanceof SqlLexError) return invalid(err.message);
      throw err;
    }
    const kind = statementKind(tokens);
    let select: string;
    const refusals: Refusal[] = [];
    if (kind === 'select') {
      select = canonical;
    } else if (kind === 'explain') {
      const parts = explainParts(tokens);
      refusals.push(...explainRefusals(parts.kind, parts.options));
      if (parts.statementStart < 0 || statementKind(tokenize(canonical.slice(parts.statementStart))) !== 'select') return refused([...refusals, { what: 'EXPLAIN', why: 'only of a SELECT' }]);
      select = canonical.slice(parts.statementStart);
    } else if (kind === 'describe') {
      const start = describedStart(tokens);
      if (start < 0) return invalid('DESCRIBE what?');
      // DESCRIBE x reads what SELECT * FROM x reads: the same table, table function or subquery
      select = `SELECT * FROM ${canonical.slice(start)}`;
    } else {
      const word = tokens[0]?.value.toUpperCase() ?? '';
      return refused([{ what: word || 'the statement', why: 'only SELECT (with WITH, UNION, subqueries), EXPLAIN and DESCRIBE are open to SQL' }]);
    }
    // a file written by the engine before anything is parsed again (see Store.readOnly)
    if (/^INTO OUTFILE\b/m.test(canonical)) return refused([{ what: 'INTO OUTFILE', why: 'SQL here reads, it does not write files (use the CSV format)' }]);
    const judged = await judgeSelect(select);
    if ('ok' in judged) return judged;
    refusals.push(...judged.refusals);
    if (refusals.length) return refused(refusals);
    const resolved = await resolvedRefusals(select, judged.settings);
    if (resolved.length) return refused(resolved);
    return { ok: true, sql: canonical, settings: judged.settings };
  }

  return {
    async check(sql) {
      const cached = verdicts.get(sql);
      if (cached) return cached;
      const verdict = await judge(sql);
      // a parse error is not kept: it may be the engine's passing trouble, and it is cheap
      if (verdict.ok || verdict.status === 403) verdicts.set(sql, verdict);
      return verdict;
    },
  };
}
