/**
 * The SQL console: CodeMirror with SQL highlighting and completion of this database's tables and
 * columns, Ctrl/Cmd-Enter to run, a virtualized results grid with sorting, CSV export (the same
 * query again as ClickHouse's CSVWithNames), ClickHouse's own error messages, example
 * investigations and saved queries (kept in this browser; queries only, never the key).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { EditorView, basicSetup } from 'codemirror';
import { keymap } from '@codemirror/view';
import { Compartment, Prec } from '@codemirror/state';
import { sql as sqlLang, StandardSQL } from '@codemirror/lang-sql';
import { oneDark } from '@codemirror/theme-one-dark';
import { ApiError, query, queryCsv, type QueryResult } from '../api.js';
import { Grid } from '../grid.js';
import { download } from '../util.js';
import { EXAMPLES } from '../sql-examples.js';

export { EXAMPLES };


const SAVED_KEY = 'gatewatch.savedQueries';
interface Saved {
  name: string;
  sql: string;
}
function loadSaved(): Saved[] {
  try {
    const v = JSON.parse(localStorage.getItem(SAVED_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? (v.filter((x) => x && typeof x.name === 'string' && typeof x.sql === 'string') as Saved[]) : [];
  } catch {
    return [];
  }
}

export function SqlConsole(p: { initial?: string | undefined }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const schemaSlot = useRef(new Compartment());
  const [result, setResult] = useState<QueryResult | null>(null);
  const [error, setError] = useState('');
  const [running, setRunning] = useState(false);
  const [saved, setSaved] = useState<Saved[]>(loadSaved);
  const [saveName, setSaveName] = useState('');
  const text = () => view.current?.state.doc.toString() ?? '';

  const run = async () => {
    const q = text().trim();
    if (!q) return;
    setRunning(true);
    setError('');
    try {
      setResult(await query(q));
    } catch (err) {
      setResult(null);
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setRunning(false);
    }
  };
  const runRef = useRef(run);
  runRef.current = run;

  useEffect(() => {
    const v = new EditorView({
      doc: p.initial ?? EXAMPLES[0]!.sql,
      parent: host.current!,
      extensions: [
        Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (void runRef.current(), true) }])),
        basicSetup,
        oneDark,
        schemaSlot.current.of(sqlLang({ dialect: StandardSQL, upperCaseKeywords: true })),
        EditorView.lineWrapping,
      ],
    });
    view.current = v;
    // completion of this database's tables and columns, from the engine itself
    query('SELECT table, name FROM system.columns WHERE database = currentDatabase() ORDER BY table, position')
      .then((r) => {
        const schema: Record<string, string[]> = {};
        for (const [t, c] of r.data as Array<[string, string]>) (schema[t] ??= []).push(c);
        v.dispatch({ effects: schemaSlot.current.reconfigure(sqlLang({ dialect: StandardSQL, upperCaseKeywords: true, schema })) });
      })
      .catch(() => undefined);
    return () => v.destroy();
  }, []);
  // "Open in SQL console" from an alert replaces the text
  useEffect(() => {
    const v = view.current;
    if (v && p.initial !== undefined && p.initial !== text()) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: p.initial } });
  }, [p.initial]);

  const setText = (s: string) => {
    const v = view.current!;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: s } });
    v.focus();
  };
  const exportCsv = async () => {
    try {
      download(await queryCsv(text().trim()), `gatewatch-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.csv`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  const save = () => {
    if (!saveName.trim()) return;
    const next = [...saved.filter((s) => s.name !== saveName.trim()), { name: saveName.trim(), sql: text() }];
    localStorage.setItem(SAVED_KEY, JSON.stringify(next));
    setSaved(next);
    setSaveName('');
  };
  const remove = (name: string) => {
    const next = saved.filter((s) => s.name !== name);
    localStorage.setItem(SAVED_KEY, JSON.stringify(next));
    setSaved(next);
  };

  return (
    <section class="sql-console" data-testid="sql-console">
      <div class="sql-side">
        <h3>Examples</h3>
        <ul>
          {EXAMPLES.map((e) => (
            <li>
              <a onClick={() => setText(e.sql)}>{e.title}</a>
            </li>
          ))}
        </ul>
        <h3>Saved</h3>
        {saved.length === 0 && <p class="hint">Name a query below the editor to keep it (in this browser).</p>}
        <ul data-testid="saved-queries">
          {saved.map((s) => (
            <li>
              <a onClick={() => setText(s.sql)}>{s.name}</a>{' '}
              <button class="link" title="forget" onClick={() => remove(s.name)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      </div>
      <div class="sql-main">
        <div ref={host} class="editor" data-testid="sql-editor" />
        <div class="toolbar">
          <button onClick={run} disabled={running} data-testid="run-sql">
            {running ? 'Running…' : 'Run (Ctrl+Enter)'}
          </button>
          <button class="secondary" onClick={exportCsv} disabled={running} data-testid="export-csv">
            Export CSV
          </button>
          <input placeholder="name this query" value={saveName} onInput={(e) => setSaveName((e.target as HTMLInputElement).value)} />
          <button class="secondary" onClick={save} disabled={!saveName.trim()} data-testid="save-query">
            Save
          </button>
          <span class="hint">Read-only: ClickHouse refuses writes, settings changes and table functions; time, rows read and result size are limited.</span>
        </div>
        {error && (
          <pre class="error" data-testid="sql-error">
            {error}
          </pre>
        )}
        {result && (
          <>
            <div class="hint" data-testid="sql-stats">
              {result.rows.toLocaleString('en')} row{result.rows === 1 ? '' : 's'}
              {result.statistics ? ` · ${result.statistics.rows_read.toLocaleString('en')} rows read · ${(result.statistics.elapsed * 1000).toFixed(0)} ms in ClickHouse` : ''}
              {result.rows >= 100_000 ? ' · at the result limit: narrow the query (LIMIT, WHERE) or export it as CSV' : ''}
            </div>
            {result.meta.length > 0 && <Grid columns={result.meta} rows={result.data} testId="sql-results" />}
          </>
        )}
      </div>
    </section>
  );
}
