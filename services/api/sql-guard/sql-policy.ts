/**
 * What analyst SQL may be, judged on ClickHouse's own parse of it (ast-dump.ts), before any
 * of it runs. Everything is an allow-list: the kinds of syntax, the tables, the table
 * functions and their sizes, the functions, the settings. Whatever the lists do not name is
 * refused, so that a newer ClickHouse, with new functions, table functions or syntax, opens
 * nothing until someone has read it and named it here.
 */
import { walk, type AstNode } from './ast-dump.js';
import { AGGREGATE_FUNCTIONS, CASE_INSENSITIVE, FUNCTION_ALIASES, FUNCTIONS_BY_CATEGORY } from './allowed-functions.js';
import type { Setting } from './sql-tokens.js';

export interface Refusal {
  /** what was refused, as the analyst wrote it or as ClickHouse parsed it */
  what: string;
  why: string;
}

/** The kinds of parse-tree node a query may be made of. */
const NODE_TYPES = new Set([
  'SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'SelectQuery', 'ExpressionList', 'Function', 'Identifier', 'Literal', 'Asterisk', 'QualifiedAsterisk',
  'TablesInSelectQuery', 'TablesInSelectQueryElement', 'TableExpression', 'TableIdentifier', 'TableJoin', 'ArrayJoin', 'Subquery', 'OrderByElement', 'WithElement',
  'WindowDefinition', 'WindowListElement', 'Set', 'SampleRatio', 'InterpolateElement', 'ColumnsRegexpMatcher', 'ColumnsListMatcher', 'QualifiedColumnsRegexpMatcher',
  'QualifiedColumnsListMatcher', 'ColumnsTransformerList', 'ColumnsExceptTransformer', 'ColumnsReplaceTransformer', 'ColumnsReplaceTransformer::Replacement',
]);

/** Names the parser gives syntax that ClickHouse's catalogue does not list as functions. */
const SYNTAX_FUNCTIONS = ['lambda', 'exists', 'grouping'];

const FUNCTIONS = new Set([...Object.values(FUNCTIONS_BY_CATEGORY).flat(), ...FUNCTION_ALIASES, ...SYNTAX_FUNCTIONS]);
const FUNCTIONS_ANY_CASE = new Set(CASE_INSENSITIVE);
const AGGREGATES = new Set(AGGREGATE_FUNCTIONS);
const AGGREGATES_ANY_CASE = new Set(AGGREGATE_FUNCTIONS.map((n) => n.toLowerCase()).filter((n) => FUNCTIONS_ANY_CASE.has(n)));
/** aggregate combinators (sumIf, uniqExactArray, avgOrNull…), longest first */
const COMBINATORS = ['SimpleState', 'MergeState', 'OrDefault', 'Distinct', 'Resample', 'ForEach', 'ArgMin', 'ArgMax', 'OrNull', 'State', 'Merge', 'Array', 'Null', 'Map', 'If'];

const isAggregate = (name: string): boolean => AGGREGATES.has(name) || AGGREGATES_ANY_CASE.has(name.toLowerCase());

/** Whether a function (not a table function) may be called: by name, by alias, in any case ClickHouse allows, or as an allowed aggregate with combinators. */
export function isAllowedFunction(name: string): boolean {
  if (FUNCTIONS.has(name) || FUNCTIONS_ANY_CASE.has(name.toLowerCase())) return true;
  // strip combinators from the end; what remains must be an allowed aggregate
  let base = name;
  for (let round = 0; round < 4; round++) {
    const c = COMBINATORS.find((s) => base.length > s.length && base.endsWith(s));
    if (!c) return false;
    base = base.slice(0, -c.length);
    if (isAggregate(base)) return true;
  }
  return false;
}

/** How many rows a generating table function may make (numbers(), zeros(), generate_series()). */
export const MAX_GENERATED_ROWS = 1_000_000;

/** Table functions open to SQL: those that only make values, and only so many. */
export const TABLE_FUNCTIONS = ['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateSeries', 'values'];

/**
 * Settings a query may set in a SETTINGS clause: they change how results are computed or
 * written, never what may be read or how much. Each with the values it may take.
 */
export const SAFE_SETTINGS: Readonly<Record<string, (s: Setting) => boolean>> = (() => {
  const bool = (s: Setting) => /^(0|1|true|false)$/i.test(s.value);
  const int = (min: number, max: number) => (s: Setting) => s.kind === 'number' && /^\d+$/.test(s.value) && Number(s.value) >= min && Number(s.value) <= max;
  const oneOf = (...v: string[]) => (s: Setting) => s.kind === 'string' && v.includes(s.value);
  return {
    max_threads: int(1, 16),
    join_use_nulls: bool,
    group_by_use_nulls: bool,
    aggregate_functions_null_for_empty: bool,
    cast_keep_nullable: bool,
    enable_positional_arguments: bool,
    prefer_column_name_to_alias: bool,
    session_timezone: (s) => s.kind === 'string' && /^[A-Za-z][A-Za-z0-9_+\-/]{0,40}$/.test(s.value),
    date_time_output_format: oneOf('simple', 'iso', 'unix_timestamp'),
    output_format_json_quote_64bit_integers: bool,
    output_format_json_quote_decimals: bool,
    output_format_json_named_tuples_as_objects: bool,
    output_format_decimal_trailing_zeros: bool,
    output_format_pretty_max_rows: int(1, 100_000),
    format_csv_delimiter: (s) => s.kind === 'string' && s.value.length === 1,
  };
})();

export interface PolicyContext {
  /** tables open to SQL, as `name`, `db.name` and `system.name` */
  tables: ReadonlySet<string>;
  /** every table that exists in the current database (a WITH name may not hide one) */
  existingTables: ReadonlySet<string>;
  /** names the text gives its subqueries with `name AS (…)` */
  subqueryNames: ReadonlySet<string>;
  /** the SETTINGS clauses found in the text */
  settings: Setting[][];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IN_FAMILY = new Set(['in', 'notIn', 'nullIn', 'notNullIn']);

function integerLiteral(n: AstNode | undefined): bigint | undefined {
  if (n?.type !== 'Literal' || n.alias !== undefined) return undefined;
  const m = /^(?:UInt64|Int64)_(-?\d+)$/.exec(n.text);
  return m ? BigInt(m[1]!) : undefined;
}

function tableRefusal(name: string, ctx: PolicyContext): Refusal | undefined {
  if (ctx.tables.has(name)) return undefined;
  // a WITH subquery's name: only where no real table has it (else which one runs is ClickHouse's call)
  if (!name.includes('.') && ctx.subqueryNames.has(name) && !ctx.existingTables.has(name)) return undefined;
  return { what: `table ${name}`, why: 'not a table open to SQL' };
}

function tableFunctionRefusal(fn: AstNode): Refusal | undefined {
  const name = fn.text;
  if (!TABLE_FUNCTIONS.includes(name)) return { what: `table function ${name}()`, why: 'not a table function open to SQL' };
  if (name === 'values') return undefined;
  const args = fn.children[0]?.type === 'ExpressionList' ? fn.children[0].children : [];
  const ints = args.map(integerLiteral);
  if (fn.children.length !== 1 || args.length === 0 || ints.some((v) => v === undefined)) return { what: `${name}()`, why: 'takes integer literals only' };
  const v = ints as bigint[];
  let rows: bigint;
  if (name.startsWith('generate')) {
    const [start, stop, step = 1n] = v;
    if (args.length < 2 || args.length > 3 || step <= 0n) return { what: `${name}()`, why: 'takes a start, a stop and a positive step' };
    rows = stop! < start! ? 0n : (stop! - start!) / step + 1n;
  } else {
    if (args.length > 3) return { what: `${name}()`, why: 'takes at most an offset, a count and a step' };
    rows = args.length === 1 ? v[0]! : v[1]!;
  }
  if (rows < 0n || rows > BigInt(MAX_GENERATED_ROWS)) return { what: `${name}()`, why: `makes at most ${MAX_GENERATED_ROWS.toLocaleString('en')} rows` };
  return undefined;
}

/** Everything in a parsed SELECT that analyst SQL may not do (empty: it may run). */
export function policyRefusals(tree: AstNode, ctx: PolicyContext): Refusal[] {
  const out: Refusal[] = [];
  const add = (r: Refusal | undefined) => {
    if (r && !out.some((o) => o.what === r.what)) out.push(r);
  };
  if (tree.type !== 'SelectWithUnionQuery') add({ what: tree.type, why: 'only SELECT (with WITH, UNION, subqueries), EXPLAIN and DESCRIBE are open to SQL' });
  let settingsNodes = 0;
  for (const { node, ancestors } of walk(tree)) {
    const parent = ancestors[ancestors.length - 1];
    if (!NODE_TYPES.has(node.type)) {
      add({ what: node.type === 'QueryParameter' ? 'a {parameter}' : node.type, why: node.type === 'ColumnsApplyTransformer' ? 'APPLY is not open to SQL (call the function on the columns instead)' : 'this kind of SQL is not open to analysts' });
      continue;
    }
    switch (node.type) {
      case 'SelectWithUnionQuery':
        for (const c of node.children.slice(1)) {
          if (c.type === 'Literal') add({ what: 'INTO OUTFILE', why: 'SQL here reads, it does not write files (use the CSV format)' });
          else if (c.type === 'Identifier') add({ what: `FORMAT ${c.text}`, why: 'FORMAT goes once, at the very end (or in the request\'s format field)' });
        }
        break;
      case 'Set':
        settingsNodes++;
        break;
      case 'TableIdentifier':
        add(tableRefusal(node.text, ctx));
        break;
      case 'Function': {
        if (!IDENT.test(node.text)) {
          add({ what: `function ${JSON.stringify(node.text)}`, why: 'not a function open to SQL' });
          break;
        }
        if (parent?.type === 'TableExpression') {
          add(tableFunctionRefusal(node));
          break;
        }
        if (!isAllowedFunction(node.text)) {
          add({ what: `${node.text}()`, why: 'not a function open to SQL' });
          break;
        }
        // `x IN name` reads the table (or WITH subquery) called name
        const rhs = node.children[0]?.children[1];
        if (IN_FAMILY.has(node.text) && rhs?.type === 'Identifier') add(tableRefusal(rhs.text, ctx));
        break;
      }
    }
  }
  if (settingsNodes !== ctx.settings.length) add({ what: 'SETTINGS', why: 'a SETTINGS clause could not be read for sure (write it as SETTINGS name = value, …)' });
  for (const r of settingsRefusals(ctx.settings)) add(r);
  return out;
}

/** Settings outside the safe list, or with values it does not allow. */
export function settingsRefusals(clauses: Setting[][]): Refusal[] {
  const out: Refusal[] = [];
  for (const s of clauses.flat()) {
    const ok = Object.hasOwn(SAFE_SETTINGS, s.name) ? SAFE_SETTINGS[s.name]!(s) : undefined;
    if (ok === undefined) out.push({ what: `setting ${s.name}`, why: `not a setting open to SQL (open: ${Object.keys(SAFE_SETTINGS).join(', ')})` });
    else if (!ok) out.push({ what: `setting ${s.name} = ${s.value}`, why: 'not a value open to SQL' });
  }
  return out;
}

/** The settings a query asks for, merged; a refusal when two clauses disagree. */
export function requestedSettings(clauses: Setting[][]): { settings: Record<string, string>; conflict?: Refusal } {
  const settings: Record<string, string> = {};
  for (const s of clauses.flat()) {
    const v = /^(true|false)$/i.test(s.value) ? (s.value.toLowerCase() === 'true' ? '1' : '0') : s.value;
    if (settings[s.name] !== undefined && settings[s.name] !== v) return { settings, conflict: { what: `setting ${s.name}`, why: 'one value per setting in a query' } };
    settings[s.name] = v;
  }
  return { settings };
}

/** EXPLAIN kinds open to SQL, and their options. */
export const EXPLAIN_KINDS = ['AST', 'SYNTAX', 'QUERY TREE', 'PLAN', 'PIPELINE', 'ESTIMATE'];
const EXPLAIN_OPTIONS = new Set(['header', 'description', 'actions', 'indexes', 'projections', 'sorting', 'distributed', 'json', 'optimize', 'graph', 'compact', 'oneline', 'run_passes', 'dump_passes', 'passes', 'dump_tree', 'dump_ast', 'keep_logical_steps', 'input_headers']);

export function explainRefusals(kind: string, options: Setting[]): Refusal[] {
  const out: Refusal[] = [];
  if (!EXPLAIN_KINDS.includes(kind)) out.push({ what: `EXPLAIN ${kind}`, why: `not open to SQL (open: EXPLAIN ${EXPLAIN_KINDS.join(', ')})` });
  for (const o of options) {
    if (!EXPLAIN_OPTIONS.has(o.name) || !/^-?\d+$/.test(o.value)) out.push({ what: `EXPLAIN option ${o.name}`, why: 'not an EXPLAIN option open to SQL' });
  }
  return out;
}
