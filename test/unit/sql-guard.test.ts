import { describe, expect, it } from 'vitest';
import { AstDumpError, parseAstDump } from '../../services/api/sql-guard/ast-dump.js';
import { explainParts, settingsClauses, statementKind, subqueryNames, tokenize } from '../../services/api/sql-guard/sql-tokens.js';
import { isAllowedFunction, policyRefusals, requestedSettings, settingsRefusals, type PolicyContext } from '../../services/api/sql-guard/sql-policy.js';

const ctx = (over: Partial<PolicyContext> = {}): PolicyContext => ({ tables: new Set(['events', 'gatewatch.events', 'system.one']), existingTables: new Set(['events', 'api_keys']), subqueryNames: new Set(), settings: [], ...over });

const dump = (...lines: string[]) => lines.join('\n');
const selectFrom = (tableLine: string, exprs: string[] = [' Literal UInt64_1']) =>
  dump(
    'SelectWithUnionQuery (children 1)',
    ' ExpressionList (children 1)',
    '  SelectQuery (children 2)',
    `   ExpressionList (children ${exprs.length})`,
    ...exprs.map((e) => `   ${e}`),
    '   TablesInSelectQuery (children 1)',
    '    TablesInSelectQueryElement (children 1)',
    '     TableExpression (children 1)',
    `      ${tableLine}`,
  );

describe('parseAstDump', () => {
  it('reads kinds, names, aliases and children', () => {
    const tree = parseAstDump(selectFrom('TableIdentifier events (alias e)'));
    const table = tree.children[0]!.children[0]!.children[1]!.children[0]!.children[0]!.children[0]!;
    expect(table).toMatchObject({ type: 'TableIdentifier', text: 'events', alias: 'e' });
  });

  it.each([
    ['a child count that does not add up', dump('SelectWithUnionQuery (children 2)', ' ExpressionList')],
    ['a line broken by a newline in a name', dump('SelectWithUnionQuery (children 1)', ' Literal UInt64_1 (alias x', 'y)')],
    ['a node at the wrong depth', dump('SelectWithUnionQuery (children 1)', '   ExpressionList')],
    ['a trailing extra node', dump('Literal UInt64_1', 'Literal UInt64_2')],
    ['an empty dump', ''],
  ])('refuses %s', (_n, text) => {
    expect(() => parseAstDump(text)).toThrow(AstDumpError);
  });
});

describe('tokens', () => {
  it('finds SETTINGS clauses outside strings and quoted names only', () => {
    const t = tokenize("SELECT 'SETTINGS a = 1', `SETTINGS b = 2` FROM (SELECT 1 SETTINGS max_threads = 2) SETTINGS join_use_nulls = true, session_timezone = 'UTC'");
    expect(settingsClauses(t)).toEqual([
      [{ name: 'max_threads', value: '2', kind: 'number' }],
      [{ name: 'join_use_nulls', value: 'true', kind: 'word' }, { name: 'session_timezone', value: 'UTC', kind: 'string' }],
    ]);
  });
  it('names WITH subqueries, and reads EXPLAIN and statement kinds', () => {
    expect([...subqueryNames(tokenize('WITH t AS (SELECT 1), `u` AS (SELECT 2) SELECT * FROM t'))]).toEqual(['t', 'u']);
    const e = tokenize('EXPLAIN QUERY TREE passes = 1 SELECT 1');
    expect(explainParts(e)).toMatchObject({ kind: 'QUERY TREE', options: [{ name: 'passes', value: '1' }] });
    expect(statementKind(tokenize('(SELECT 1)'))).toBe('select');
    expect(statementKind(tokenize('desc events'))).toBe('describe');
    expect(statementKind(tokenize('SHOW TABLES'))).toBe('other');
  });
});

describe('the function allow-list', () => {
  it.each([
    ['count', true], ['COUNT', true], ['sumIf', true], ['uniqExactArray', true], ['avgOrNull', true], ['quantilesTDigestIf', true], ['substr', true], ['DATE_TRUNC', true], ['toStartOfFiveMinutes', true], ['lambda', true],
    ['file', false], ['FILE', false], ['getSetting', false], ['dictGet', false], ['joinGet', false], ['hostName', false], ['sleep', false], ['chdb', false], ['globalIn', false], ['fileIf', false], ['toDateIf', false], ['aiGenerate', false],
  ])('%s → %s', (name, allowed) => {
    expect(isAllowedFunction(name)).toBe(allowed);
  });
});

describe('policyRefusals', () => {
  it('lets a plain SELECT over an open table through', () => {
    expect(policyRefusals(parseAstDump(selectFrom('TableIdentifier gatewatch.events')), ctx())).toEqual([]);
  });
  it.each([
    ['a closed table', 'TableIdentifier api_keys', 'table api_keys'],
    ['a WITH name that hides a real table', 'TableIdentifier api_keys', 'table api_keys'],
    ['a closed table function', 'Function file (children 1)\n       ExpressionList (children 1)\n        Literal \'/etc/passwd\'', 'table function file()'],
    ['numbers() past its bound', 'Function numbers (children 1)\n       ExpressionList (children 1)\n        Literal UInt64_1000000000', 'numbers()'],
  ])('refuses %s', (_n, line, what) => {
    const r = policyRefusals(parseAstDump(selectFrom(line)), ctx({ subqueryNames: new Set(['api_keys']) }));
    expect(r.map((x) => x.what)).toContain(what);
  });
  it('accepts a WITH name that no table has', () => {
    expect(policyRefusals(parseAstDump(selectFrom('TableIdentifier recent')), ctx({ subqueryNames: new Set(['recent']) }))).toEqual([]);
  });
  it('refuses unknown node kinds and a SETTINGS node the text does not account for', () => {
    const tree = parseAstDump(dump('SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 2)', '   ExpressionList (children 1)', '    ColumnsApplyTransformer', '   Set'));
    expect(policyRefusals(tree, ctx()).map((r) => r.what)).toEqual(['ColumnsApplyTransformer', 'SETTINGS']);
  });
});

describe('settings', () => {
  it('allows the safe list within its values only, and one value per setting', () => {
    const clauses = [[{ name: 'max_threads', value: '2', kind: 'number' as const }, { name: 'readonly', value: '0', kind: 'number' as const }], [{ name: 'max_threads', value: '99', kind: 'number' as const }]];
    expect(settingsRefusals(clauses).map((r) => r.what)).toEqual(['setting readonly', 'setting max_threads = 99']);
    expect(requestedSettings([[{ name: 'join_use_nulls', value: 'true', kind: 'word' }]]).settings).toEqual({ join_use_nulls: '1' });
    expect(requestedSettings([[{ name: 'max_threads', value: '1', kind: 'number' }], [{ name: 'max_threads', value: '2', kind: 'number' }]]).conflict).toBeDefined();
  });
});
