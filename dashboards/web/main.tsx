/** The dashboard shell: login, navigation, the live alert stream, the API-down banner and the views. */
import { render } from 'preact';
import { useEffect, useMemo, useReducer, useState } from 'preact/hooks';
import { ApiError, can, login, logout, onApiState, streamAlerts, type Alert, type Me } from './api.js';
import { parseHash } from './util.js';
import { Feed, NO_FILTERS, type Filters } from './views/feed.js';
import { Detail } from './views/detail.js';
import { Traffic } from './views/traffic.js';
import { SqlConsole } from './views/sql.js';
import { Incidents } from './views/incidents.js';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

/** Every alert the page has seen (loaded or live), and which live ones are unread. */
export interface AlertBook {
  all(): Alert[];
  get(id: string): Alert | undefined;
  put(alerts: Alert[], live?: boolean): void;
  unread: Set<string>;
  markRead(id: string): void;
  markAllRead(): void;
}

function useAlertBook(): AlertBook {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  return useMemo(() => {
    const byId = new Map<string, Alert>();
    const unread = new Set<string>();
    return {
      all: () => [...byId.values()],
      get: (id) => byId.get(id),
      put(alerts, live = false) {
        for (const a of alerts) {
          if (live && !byId.has(a.id)) unread.add(a.id);
          byId.set(a.id, a);
        }
        bump(0);
      },
      unread,
      markRead(id) {
        if (unread.delete(id)) bump(0);
      },
      markAllRead() {
        unread.clear();
        bump(0);
      },
    };
  }, []);
}

function Login(p: { notice: string; onLogin: (me: Me) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      p.onLogin(await login(key.trim()));
    } catch (err) {
      setError(err instanceof ApiError ? (err.status === 401 ? 'This key is not valid (or it was revoked).' : err.message) : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} data-testid="login">
        <h1>Gatewatch</h1>
        <p class="hint">Log in with an API key (viewer, analyst or admin). It is kept in this page's memory only: reloading the page asks for it again.</p>
        {p.notice && (
          <div class="notice" data-testid="login-notice">
            {p.notice}
          </div>
        )}
        <input type="password" autoComplete="off" placeholder="gw_…" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} aria-label="API key" autoFocus />
        <button type="submit" disabled={busy || !key.trim()}>
          Log in
        </button>
        {error && (
          <div class="error" data-testid="login-error">
            {error}
          </div>
        )}
        <p class="hint">
          The first admin key is printed when the server first starts. More keys: <code>gatewatch keys create NAME --role viewer</code>.
        </p>
      </form>
    </main>
  );
}

function Shell(p: { me: Me; down: boolean }) {
  const book = useAlertBook();
  const [hash, setHash] = useState(location.hash);
  const [live, setLive] = useState(false);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    // the hash may have changed between the first render and this listener
    on();
    return () => removeEventListener('hashchange', on);
  }, []);
  // grouping changes bump a counter the incidents view reloads on
  const [incidentVersion, bumpIncidents] = useReducer((n: number) => n + 1, 0);
  useEffect(() => streamAlerts((a) => book.put([a], true), setLive, () => bumpIncidents(0)), []);
  useEffect(() => {
    document.title = book.unread.size ? `(${book.unread.size}) Gatewatch` : 'Gatewatch';
  });
  const { path, params } = parseHash(hash);
  const detail = /^\/alerts\/(.+)$/.exec(path);
  let content;
  if (detail) content = <Detail id={decodeURIComponent(detail[1]!)} me={p.me} book={book} />;
  else if (path === '/traffic') content = <Traffic />;
  else if (path === '/incidents') content = <Incidents me={p.me} version={incidentVersion} />;
  else if (path.startsWith('/incidents/')) content = <Incidents me={p.me} version={incidentVersion} selected={decodeURIComponent(path.slice('/incidents/'.length))} />;
  else if (path === '/sql')
    content = can(p.me, 'analyst') ? (
      <SqlConsole initial={params.get('q') ?? undefined} />
    ) : (
      <div class="empty">
        <h2>The SQL console needs an analyst key</h2>
        <p>This key's role is {p.me.role}.</p>
      </div>
    );
  else content = <Feed me={p.me} book={book} filters={filters} setFilters={setFilters} />;
  const tab = (h: string, label: string, extra?: unknown) => (
    <a href={h} class={path === h.slice(1) || (h === '#/alerts' && (path === '/alerts' || !!detail)) || (h === '#/incidents' && path.startsWith('/incidents/')) ? 'active' : ''}>
      {label}
      {extra}
    </a>
  );
  return (
    <>
      <nav class="top-nav">
        <span class="brand">Gatewatch</span>
        {tab(
          '#/alerts',
          'Alerts',
          book.unread.size > 0 ? (
            <span class="unread" data-testid="unread-count">
              {book.unread.size}
            </span>
          ) : null,
        )}
        {tab('#/incidents', 'Incidents')}
        {tab('#/traffic', 'Traffic')}
        {tab('#/sql', 'SQL')}
        <span class="spacer" />
        <span class={`live ${live ? 'on' : 'off'}`} data-testid="live-status" title="the live alert feed">
          {live ? '● live' : '○ reconnecting'}
        </span>
        <span class="who">
          {p.me.name} · {p.me.role}
        </span>
        <button class="secondary" onClick={() => logout('')} data-testid="logout">
          Log out
        </button>
      </nav>
      {p.down && (
        <div class="banner" data-testid="api-down">
          The Gatewatch API cannot be reached. The live feed reconnects by itself; what is shown may be out of date.
        </div>
      )}
      <main class="content">{content}</main>
    </>
  );
}

function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState('');
  const [down, setDown] = useState(false);
  useEffect(
    () =>
      onApiState((s) => {
        setDown(s.down);
        if (s.loggedOut !== undefined) {
          setMe(null);
          setNotice(s.loggedOut);
        }
      }),
    [],
  );
  if (!me)
    return (
      <Login
        notice={notice}
        onLogin={(m) => {
          setNotice('');
          setMe(m);
        }}
      />
    );
  return <Shell me={me} down={down} />;
}

render(<App />, document.getElementById('app')!);
