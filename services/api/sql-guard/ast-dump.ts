/**
 * Reads ClickHouse's `EXPLAIN AST` text into a tree. That text is the parser's own view of a
 * statement (nothing is resolved or run to make it), one node a line, indented one space a
 * level: `Function plus (alias x) (children 1)`.
 *
 * The dump was made for people, not for parsers, so this reader is strict: every line must
 * have the shape above, and every node must have exactly the children its `(children N)`
 * says. A name or alias that could make a line mean something else (a backquoted name with a
 * space, a newline, a fake `(children 3)`) breaks that count or that shape, and the whole
 * statement is refused instead of being read wrongly.
 */

export interface AstNode {
  /** the node kind: SelectQuery, Function, TableIdentifier, Literal… */
  type: string;
  /** what follows the kind: a function's or table's name, a literal's value, an EXPLAIN's kind */
  text: string;
  alias?: string;
  children: AstNode[];
  /** 1-based line in the dump, for messages */
  line: number;
}

export class AstDumpError extends Error {
  override name = 'AstDumpError';
}

const LINE = /^( *)([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)?)(.*)$/;

function parseLine(raw: string, line: number): { depth: number; node: AstNode; expected: number } {
  const m = LINE.exec(raw);
  if (!m) throw new AstDumpError(`line ${line} of the parsed statement has an unexpected shape`);
  let rest = m[3]!;
  let expected = 0;
  const children = / \(children (\d+)\)$/.exec(rest);
  if (children) {
    expected = Number(children[1]);
    rest = rest.slice(0, children.index);
  }
  let alias: string | undefined;
  const aliased = / \(alias (.*)\)$/.exec(rest);
  if (aliased) {
    alias = aliased[1]!;
    rest = rest.slice(0, aliased.index);
  }
  if (rest !== '' && !rest.startsWith(' ')) throw new AstDumpError(`line ${line} of the parsed statement has an unexpected shape`);
  return { depth: m[1]!.length, node: { type: m[2]!, text: rest.slice(1), ...(alias !== undefined ? { alias } : {}), children: [], line }, expected };
}

/** The tree of one statement's dump; throws AstDumpError when the dump cannot be read for sure. */
export function parseAstDump(dump: string): AstNode {
  const lines = dump.replace(/\n+$/, '').split('\n');
  if (lines.length === 0 || lines[0] === '') throw new AstDumpError('the parsed statement is empty');
  const parsed = lines.map((l, i) => parseLine(l, i + 1));
  let next = 0;
  function read(depth: number): AstNode {
    const cur = parsed[next];
    if (!cur || cur.depth !== depth) throw new AstDumpError(`the parsed statement's tree does not hold together (line ${next + 1})`);
    next++;
    for (let i = 0; i < cur.expected; i++) cur.node.children.push(read(depth + 1));
    return cur.node;
  }
  const root = read(0);
  if (next !== parsed.length) throw new AstDumpError(`the parsed statement's tree does not hold together (line ${next + 1})`);
  return root;
}

/** Every node of a tree with its ancestors (nearest last). */
export function* walk(node: AstNode, ancestors: AstNode[] = []): Generator<{ node: AstNode; ancestors: AstNode[] }> {
  yield { node, ancestors };
  for (const c of node.children) yield* walk(c, [...ancestors, node]);
}
