/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core,
 * against the real service (embedded ClickHouse, ingest, detection, API) holding simulated
 * traffic with attacks in it. Screenshots of every view go to test-results/screenshots.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { startDetectRole } from '../../services/detect/detect-role.js';
import { startApiRole } from '../../services/api/api-role.js';
import { ApiKeyStore } from '../../services/storage/api-keys.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { simulate } from '../../services/demo/traffic-simulator.js';
import { attackRound } from '../../services/demo/demo-command.js';
import { DASHBOARD_DIST } from '../../services/api/dashboard-static.js';
import type { App } from '../../services/api/app.js';
import type { HttpIngestGateway } from '../../services/ingest/ingest-gateway.js';
import type { DetectionRunner } from '../../services/detect/detection-runner.js';
import { silentLog, testConfig } from '../integration/helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const MIN = 60_000;
/** the suite runs beside others on two cores: a page may take a few seconds */
const POLL = { timeout: 15_000 };

let rt: Runtime;
let app: App;
let gateway: HttpIngestGateway;
let runner: DetectionRunner;
let browser: Browser;
let base = '';
const key: Record<string, string> = {};
let keys: ApiKeyStore;

async function newPage(): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // when a test fails: what the page asked that went wrong, and what it looked like
  const http: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) http.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => http.push(`failed ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  onTestFailed(async () => {
    console.error(`dashboard test failed; page errors: ${JSON.stringify(errors)}; HTTP: ${JSON.stringify(http.slice(-20))}`);
    await page.screenshot({ path: join(SHOTS, `failed-${Date.now()}.png`), fullPage: true }).catch(() => undefined);
  });
  return { ctx, page, errors };
}

async function logIn(page: Page, k: string): Promise<void> {
  await page.goto(base + '/');
  await page.getByLabel('API key').fill(k);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Logs in and waits until the page is past the login form. */
async function logInAndWait(page: Page, k: string): Promise<void> {
  await logIn(page, k);
  await page.locator('nav.top-nav').waitFor();
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The dashboard tests drive Debian's Chromium at ${CHROMIUM}, which is missing. Install it: apt-get install -y chromium (.ci/run does this when it runs as root).`);
  }
  if (!existsSync(join(DASHBOARD_DIST, 'index.html'))) throw new Error('the dashboard is not built: npm install (or npm run build:dashboard) builds it');
  mkdirSync(SHOTS, { recursive: true });
  rt = await openRuntime(testConfig({ host: '127.0.0.1' }), { role: 'test', log: silentLog });
  gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
  runner = startDetectRole(rt, { schedule: false }).runner;
  // keys first: the server then knows them from its first look
  keys = new ApiKeyStore(rt.store);
  for (const role of ['viewer', 'analyst', 'ingest'] as const) key[role] = (await keys.create(`browser ${role}`, role)).key;
  app = await startApiRole(rt, gateway, undefined, runner);
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await rt?.close();
});

/** Three hours of simulated traffic with one round of attacks in the last hour, scored. */
async function loadDemoData(): Promise<number> {
  const now = Math.floor(Date.now() / MIN) * MIN;
  const from = now - 3 * 60 * MIN;
  const records = [...simulate(from, now, { seed: 7, peakPerMinute: 60, attacks: attackRound(now - 60 * MIN, 0) })];
  for (let i = 0; i < records.length; i += 5000) await gateway.submit(records.slice(i, i + 5000), 'kong', { source: 'test' });
  return (await runner.scoreRange({ from, to: now })).opened.length;
}

describe('dashboard', () => {
  it('refuses a wrong key and an ingest key, and on an empty database points to gatewatch demo', async () => {
    const { ctx, page, errors } = await newPage();
    await logIn(page, 'gw_000000000000_not-a-real-key');
    await expect.poll(() => page.getByTestId('login-error').textContent(), POLL).toContain('not valid');
    await page.getByLabel('API key').fill(key.ingest!);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByTestId('login-error').textContent(), POLL).toContain('ingest key');
    await page.getByLabel('API key').fill(key.viewer!);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('empty-feed').waitFor();
    expect(await page.getByTestId('empty-feed').textContent()).toContain('gatewatch demo');
    await page.click('a[href="#/traffic"]');
    await page.getByTestId('empty-traffic').waitFor();
    await shot(page, '0-empty');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('shows demo alerts, then a new alert arriving live, with an unread count', async () => {
    const opened = await loadDemoData();
    expect(opened).toBeGreaterThan(3);
    const { ctx, page, errors } = await newPage();
    await logIn(page, key.analyst!);
    await page.locator('[data-testid=alert-feed] tr').first().waitFor();
    expect(await page.locator('[data-testid=alert-feed] tr').count()).toBe(opened);
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 15_000 }).toContain('live');
    const t = new Date().toISOString();
    await createClickHouseAlertStore(rt.store).save([
      { id: 'live-browser-1', detector: 'brute_force', severity: 'critical', entity: { type: 'ip', value: '45.83.64.10' }, window: { start: new Date(Date.now() - 5 * MIN).toISOString(), end: t }, observed: 480, expected: 2, score: 95, summary: 'Live: 480 failed logins from 45.83.64.10 in 5 min', owasp: 'API2', evidence: { sql: "SELECT event_time, path, status FROM events WHERE client_ip = toIPv6('45.83.64.10') ORDER BY event_time DESC LIMIT 20", rows: [{ n: 480 }] }, detail: {}, status: 'open', windows: 1, first_seen: t, last_seen: t },
    ]);
    const row = page.locator('tr[data-alert-id="live-browser-1"]');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getAttribute('class')).toContain('unread');
    expect(await page.getByTestId('unread-count').textContent()).toBe('1');
    expect(await page.locator('[data-testid=alert-feed] tr').first().getAttribute('data-alert-id')).toBe('live-browser-1');
    expect(await page.title()).toBe('(1) Gatewatch');
    // filters: critical only, then an entity that has no alert
    await page.getByLabel('severity').selectOption('critical');
    await expect.poll(async () => (await page.locator('[data-testid=alert-feed] tr .badge').allTextContents()).every((s) => s === 'critical'), POLL).toBe(true);
    await page.getByLabel('entity type').selectOption('ip');
    await page.getByLabel('entity value').fill('192.0.2.254');
    await page.getByTestId('empty-feed').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await row.waitFor();
    await shot(page, '1-feed');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('opens an alert: chart with its baseline band and window, evidence, recent requests; acknowledges it', async () => {
    const { ctx, page, errors } = await newPage();
    await logIn(page, key.analyst!);
    // an alert on a route has a learnt baseline: its chart draws the band
    const volume = page.locator('tr[data-alert-id]', { hasText: 'requests to' }).first();
    await volume.waitFor();
    await volume.click();
    await page.getByTestId('alert-chart').locator('canvas').waitFor();
    expect(await page.getByTestId('alert-chart').textContent()).toContain('band: learnt baseline');
    expect(await page.locator('[data-testid=alert-chart] .u-legend').textContent()).toContain('expected (median)');
    expect(await page.getByTestId('evidence-sql').textContent()).toMatch(/^SELECT/);
    await shot(page, '2-alert-detail');

    // the live alert about an IP: its recent requests and where they came from
    await page.goto(`${base}/#/alerts/live-browser-1`);
    await page.getByTestId('timeline').waitFor();
    expect(await page.locator('[data-testid=timeline] tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=countries] tbody tr').count()).toBeGreaterThan(0);
    await page.getByTestId('ack').click();
    await expect.poll(() => page.getByTestId('status').textContent(), POLL).toBe('acknowledged');
    await page.getByTestId('audit-trail').waitFor();
    expect(await page.getByTestId('audit-trail').textContent()).toContain('open → acknowledged');
    expect((await createClickHouseAlertStore(rt.store).byIds(['live-browser-1']))[0]?.status).toBe('acknowledged');
    // a silence from the detail page
    await page.getByTestId('silence').click();
    await page.getByTestId('silence-form').getByRole('button', { name: 'Silence' }).click();
    await expect.poll(() => page.locator('.actions .note').textContent(), POLL).toContain('Silenced brute_force');
    await shot(page, '3-alert-acknowledged');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('shows the traffic overview', async () => {
    const { ctx, page, errors } = await newPage();
    await logIn(page, key.viewer!);
    await page.click('a[href="#/traffic"]');
    await page.getByTestId('chart-requests').locator('canvas').waitFor();
    await page.locator('[data-testid=top-routes] tbody tr').first().waitFor();
    // each table and chart has its own request: they arrive in any order
    await expect.poll(() => page.locator('[data-testid=top-ips] tbody tr').count(), POLL).toBe(10);
    await expect.poll(() => page.locator('.charts canvas').count(), POLL).toBe(4);
    await shot(page, '4-traffic');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('runs SQL from an alert, sorts, exports CSV, shows ClickHouse errors and refusals, and keeps 100,000 rows virtual', async () => {
    const { ctx, page, errors } = await newPage();
    await logInAndWait(page, key.analyst!);
    await page.goto(`${base}/#/alerts/live-browser-1`);
    await page.getByTestId('open-in-sql').click();
    await page.getByTestId('sql-console').waitFor();
    await expect.poll(() => page.locator('.cm-content').textContent(), POLL).toContain("toIPv6('45.83.64.10')");
    await page.getByTestId('run-sql').click();
    await page.getByTestId('sql-results').waitFor();
    expect(await page.getByTestId('sql-stats').textContent()).toMatch(/^20 rows/);
    // sort by status, twice (descending)
    await page.locator('.grid-th', { hasText: 'status' }).click();
    await page.locator('.grid-th', { hasText: 'status' }).click();
    await expect.poll(() => page.locator('.grid-th', { hasText: 'status' }).textContent(), { timeout: 15_000 }).toContain('▼');
    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    const file = await (await download).path();
    const csv = readFileSync(file, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('"event_time","path","status"');
    expect(csv).toHaveLength(21);
    await shot(page, '5-sql');

    const setSql = async (sql: string) => {
      await page.locator('.cm-content').click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(sql);
    };
    await setSql('SELECT no_such_column FROM events');
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('sql-error').waitFor();
    expect(await page.getByTestId('sql-error').textContent()).toMatch(/no_such_column/);
    await shot(page, '6-sql-error');
    await setSql("INSERT INTO events (path) VALUES ('/x')");
    await page.getByTestId('run-sql').click();
    await expect.poll(() => page.getByTestId('sql-error').textContent(), POLL).toMatch(/not open to SQL: INSERT/);

    await setSql('SELECT number, toString(number * 7) AS s FROM numbers(100000)');
    await page.getByTestId('run-sql').click();
    await expect.poll(() => page.getByTestId('sql-stats').textContent(), { timeout: 20_000 }).toMatch(/^100,000 rows/);
    // the grid draws its rows once it has measured itself (a frame or two after the count shows)
    await expect.poll(() => page.locator('[data-testid=sql-results] .grid-row').count(), POLL).toBeGreaterThan(10);
    expect(await page.locator('[data-testid=sql-results] .grid-row').count()).toBeLessThan(200);
    // scrolled to the end, the last rows are drawn, and still only a window of them
    await page.locator('[data-testid=sql-results] .grid-scroll').evaluate((el: { scrollTop: number; scrollHeight: number }) => {
      el.scrollTop = el.scrollHeight;
    });
    await expect.poll(() => page.locator('[data-testid=sql-results] .grid-row[data-row="99999"]').count(), POLL).toBe(1);
    expect(await page.locator('[data-testid=sql-results] .grid-row').count()).toBeLessThan(200);
    // saved queries are kept in the browser, and never the key
    await page.getByPlaceholder('name this query').fill('numbers');
    await page.getByTestId('save-query').click();
    await expect.poll(() => page.getByTestId('saved-queries').textContent(), { timeout: 15_000 }).toContain('numbers');
    // (a string: this file is type-checked without the DOM library)
    const storage = await page.evaluate<string>('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie');
    expect(storage).not.toContain(key.analyst!);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('shows incidents (one attack, its alerts together), opens one to its alerts, acknowledges it with a reason, and adds a new one live', async () => {
    const { createIncidentStore } = await import('../../services/storage/incident-store.js');
    const { createClickHouseAlertStore } = await import('../../services/storage/clickhouse-alert-store.js');
    const alertStore = createClickHouseAlertStore(rt.store);
    const incidents = createIncidentStore(rt.store, alertStore);
    const all = await incidents.list({ limit: 1000 });
    const grouped = all.find((i) => i.alerts_count > 1);
    expect(grouped, JSON.stringify(all.map((i) => [i.title, i.alerts_count]))).toBeDefined();
    const { ctx, page, errors } = await newPage();
    await logInAndWait(page, key.analyst!);
    await page.click('a[href="#/incidents"]');
    const row = page.locator(`[data-incident-id="${grouped!.id}"]`);
    await row.waitFor();
    expect(await page.locator('[data-testid=incident-list] tr[data-incident-id]').count()).toBe(all.filter((i) => !i.merged_into).length);
    expect(await row.textContent()).toContain(`${grouped!.alerts_count} alerts`);
    await row.click();
    await expect.poll(() => page.locator('[data-incident-alert]').count(), POLL).toBe(grouped!.alerts_count);
    expect(await page.locator('[data-incident-alert] a').first().getAttribute('href')).toMatch(/^#\/alerts\//);
    await shot(page, '7-incident');
    await page.getByLabel('reason').fill('blocked at the edge');
    await page.getByTestId('incident-ack').click();
    await expect.poll(() => row.locator('td.status').textContent(), POLL).toBe('acknowledged');
    expect((await incidents.get(grouped!.id))!.status).toBe('acknowledged');
    // its alerts followed, and the trail says who and why
    expect((await alertStore.byIds(grouped!.alert_ids)).every((a) => a.status !== 'open')).toBe(true);
    await expect.poll(() => page.getByTestId('incident-trail').textContent(), POLL).toContain('blocked at the edge');
    // silenced for 4 hours: marked in the list, and the silence can be lifted
    await page.getByLabel('silence for').selectOption('240');
    await page.getByLabel('reason').fill('pen test this afternoon');
    await page.getByTestId('incident-silence').click();
    await expect.poll(() => row.locator('td.status').textContent(), POLL).toContain('silenced');
    const silenced = (await incidents.get(grouped!.id))!;
    expect(Date.parse(silenced.silenced_until) - Date.now()).toBeGreaterThan(3.9 * 3_600_000);
    expect(silenced.events.at(-1)).toMatchObject({ action: 'silence', comment: 'pen test this afternoon' });
    await page.getByTestId('incident-unsilence').click();
    await expect.poll(async () => (await incidents.get(grouped!.id))!.silenced_until, POLL).toBe('');
    // the link a notification carries opens that incident
    await page.goto(`${base}/#/incidents/${grouped!.id}`);
    await expect.poll(() => page.locator('[data-incident-alert]').count(), POLL).toBe(grouped!.alerts_count);
    // a new incident arrives through the live stream, without a reload
    const t = new Date().toISOString();
    const fresh = { id: 'browser-incident-1', detector: 'entity_volume', severity: 'high' as const, entity: { type: 'ip' as const, value: '198.51.100.99' }, window: { start: t, end: t }, observed: 900, expected: 2, score: 9, summary: 'Live: 900 requests from 198.51.100.99 in 5 min', owasp: 'API4', evidence: { sql: 'SELECT 1', rows: [{ n: 1 }] }, detail: {}, status: 'open' as const, windows: 1, first_seen: t, last_seen: t };
    await incidents.place([fresh], 30);
    await alertStore.save([fresh]);
    await expect.poll(() => page.locator('[data-testid=incident-list]').textContent(), { timeout: 30_000 }).toContain('Live: 900 requests from 198.51.100.99');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('gives a viewer no actions and no SQL console', async () => {
    const { ctx, page } = await newPage();
    await logIn(page, key.viewer!);
    await page.locator('[data-testid=alert-feed] tr').first().waitFor();
    expect(await page.getByTestId('ack').count()).toBe(0);
    await page.click('a[href="#/sql"]');
    // the view changes on the next render, not with the click
    await expect.poll(() => page.locator('.content').textContent(), { timeout: 15_000 }).toContain('needs an analyst key');
    await ctx.close();
  });

  it('logs out cleanly with a message when the key is revoked', async () => {
    const k = await keys.create('to revoke', 'viewer');
    // a key made by another store instance is known to the server within a second
    await expect.poll(async () => (await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${k.key}` } })).status, POLL).toBe(200);
    const { ctx, page } = await newPage();
    await logIn(page, k.key);
    await page.locator('[data-testid=alert-feed] tr').first().waitFor();
    await keys.revoke(k.id);
    // the open live stream re-checks its key too: the page is logged out even without a click
    await page.getByTestId('login-notice').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('login-notice').textContent()).toContain('refused');
    await ctx.close();
  });

  it('shows a banner while the API is down and reconnects the live feed when it is back', async () => {
    const { ctx, page } = await newPage();
    await logIn(page, key.analyst!);
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 15_000 }).toContain('live');
    const port = (app.server.address() as { port: number }).port;
    await app.close();
    await page.getByTestId('api-down').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('live-status').textContent()).toContain('reconnecting');
    await shot(page, '7-api-down');
    app = await startApiRole({ ...rt, config: { ...rt.config, port } }, gateway, undefined, runner);
    await page.getByTestId('api-down').waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 30_000 }).toContain('live');
    await ctx.close();
  });
});
