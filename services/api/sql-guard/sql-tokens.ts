/**
 * A lexer for the canonical SQL text ClickHouse's formatQuery writes, and the few facts the
 * AST dump leaves out that the guard needs from it: the names in SETTINGS clauses, the names
 * a WITH clause gives its subqueries, and what precedes the statement of an EXPLAIN or a
 * DESCRIBE. Strings and quoted names are single tokens, so nothing inside them counts.
 */

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'punct';

export interface Token {
  kind: TokenKind;
  /** a word as written; a quoted name or a string without its quotes and escapes */
  value: string;
  start: number;
  end: number;
}

export class SqlLexError extends Error {
  override name = 'SqlLexError';
}

const PUNCT2 = new Set(['==', '!=', '<>', '<=', '>=', '||', '->', '::']);

function readQuoted(sql: string, start: number, quote: string): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= sql.length) throw new SqlLexError('a quoted string or name is not closed');
    const ch = sql[i]!;
    if (ch === '\\') {
      value += sql[i + 1] ?? '';
      i += 2;
    } else if (ch === quote) {
      if (sql[i + 1] === quote) {
        value += quote;
        i += 2;
      } else return { value, end: i + 1 };
    } else {
      value += ch;
      i++;
    }
  }
}

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new SqlLexError('a comment is not closed');
      i = close + 2;
    } else if (ch === "'" || ch === '`' || ch === '"') {
      const q = readQuoted(sql, i, ch);
      out.push({ kind: ch === "'" ? 'string' : 'quoted', value: q.value, start: i, end: q.end });
      i = q.end;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 256))!;
      out.push({ kind: 'word', value: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(?:0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)/.exec(sql.slice(i, i + 512))!;
      out.push({ kind: 'number', value: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else {
      const two = sql.slice(i, i + 2);
      const text = PUNCT2.has(two) ? two : ch;
      out.push({ kind: 'punct', value: text, start: i, end: i + text.length });
      i += text.length;
    }
  }
  return out;
}

const isWord = (t: Token | undefined, w: string): boolean => t?.kind === 'word' && t.value.toUpperCase() === w;
const isName = (t: Token | undefined): boolean => t?.kind === 'word' || t?.kind === 'quoted';

export interface Setting {
  name: string;
  /** the value as a string: a number's digits, a string's text, true/false as written */
  value: string;
  kind: 'number' | 'string' | 'word';
}

function readValue(tokens: Token[], i: number): { value: string; kind: Setting['kind']; next: number } | undefined {
  const t = tokens[i];
  if (!t) return undefined;
  if (t.kind === 'punct' && t.value === '-' && tokens[i + 1]?.kind === 'number') return { value: `-${tokens[i + 1]!.value}`, kind: 'number', next: i + 2 };
  if (t.kind === 'number' || t.kind === 'string') return { value: t.value, kind: t.kind, next: i + 1 };
  if (t.kind === 'word') return { value: t.value, kind: 'word', next: i + 1 };
  return undefined;
}

/** `name = value, name = value…` from token i; the pairs and the index after them. */
function readPairs(tokens: Token[], i: number): { pairs: Setting[]; next: number } {
  const pairs: Setting[] = [];
  for (;;) {
    if (!isName(tokens[i]) || tokens[i + 1]?.value !== '=' || tokens[i + 1]?.kind !== 'punct') break;
    const v = readValue(tokens, i + 2);
    if (!v) break;
    pairs.push({ name: tokens[i]!.value, value: v.value, kind: v.kind });
    i = v.next;
    if (tokens[i]?.kind === 'punct' && tokens[i]!.value === ',' && isName(tokens[i + 1]) && tokens[i + 2]?.value === '=') i++;
    else break;
  }
  return { pairs, next: i };
}

/** Every `SETTINGS name = value, …` clause of the text, one array a clause. */
export function settingsClauses(tokens: Token[]): Setting[][] {
  const clauses: Setting[][] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!isWord(tokens[i], 'SETTINGS')) continue;
    const { pairs } = readPairs(tokens, i + 1);
    if (pairs.length) clauses.push(pairs);
  }
  return clauses;
}

/** Names given to subqueries by `name AS (…)`: a WITH clause's (and a WINDOW's, harmlessly). */
export function subqueryNames(tokens: Token[]): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i + 2 < tokens.length; i++) {
    if (isName(tokens[i]) && isWord(tokens[i + 1], 'AS') && tokens[i + 2]!.kind === 'punct' && tokens[i + 2]!.value === '(') names.add(tokens[i]!.value);
  }
  return names;
}

export type StatementKind = 'select' | 'explain' | 'describe' | 'other';

export function statementKind(tokens: Token[]): StatementKind {
  const first = tokens[0];
  if (isWord(first, 'SELECT') || isWord(first, 'WITH') || (first?.kind === 'punct' && first.value === '(')) return 'select';
  if (isWord(first, 'EXPLAIN')) return 'explain';
  if (isWord(first, 'DESCRIBE') || isWord(first, 'DESC')) return 'describe';
  return 'other';
}

const EXPLAIN_KINDS = [['QUERY', 'TREE'], ['AST'], ['SYNTAX'], ['PLAN'], ['PIPELINE'], ['ESTIMATE'], ['TABLE', 'OVERRIDE'], ['CURRENT', 'TRANSACTION']];

/** `EXPLAIN [kind] [option = value, …] <statement>`: its parts, and where the statement starts. */
export function explainParts(tokens: Token[]): { kind: string; options: Setting[]; statementStart: number } {
  let i = 1;
  let kind = 'PLAN';
  for (const words of EXPLAIN_KINDS) {
    if (words.every((w, k) => isWord(tokens[i + k], w))) {
      kind = words.join(' ');
      i += words.length;
      break;
    }
  }
  const { pairs, next } = readPairs(tokens, i);
  return { kind, options: pairs, statementStart: tokens[next]?.start ?? -1 };
}

/** `DESCRIBE [TABLE] <table expression> [SETTINGS …]`: where the table expression starts. */
export function describedStart(tokens: Token[]): number {
  const i = isWord(tokens[1], 'TABLE') ? 2 : 1;
  return tokens[i]?.start ?? -1;
}
