/**
 * The Grafana dashboard (dashboards/grafana/gatewatch.json): every query in it, with the
 * ClickHouse data source's macros expanded as the plugin expands them, runs read-only against
 * the real schema and returns rows over simulated traffic.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { simulate } from '../../services/demo/traffic-simulator.js';
import { createSqlGuard } from '../../services/api/sql-guard/sql-guard.js';
import { silentLog, testConfig } from './helpers.js';

interface Target {
  rawSql: string;
  format: number;
}
interface Panel {
  title: string;
  type: string;
  targets: Target[];
  datasource: { type: string };
}
const dashboard = JSON.parse(readFileSync(new URL('../../dashboards/grafana/gatewatch.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ name: string; query: string }> };
  __inputs: Array<{ pluginId: string }>;
};

const MIN = 60_000;
let rt: Runtime;
const to = Math.floor(Date.now() / MIN) * MIN;
const from = to - 3 * 60 * MIN;

function expand(sql: string, vars: Record<string, string>): string {
  const f = Math.floor(from / 1000);
  const t = Math.floor(to / 1000);
  return sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, c: string) => `${c} >= toDateTime(${f}) AND ${c} <= toDateTime(${t})`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, (_m, c: string) => `toStartOfInterval(toDateTime(${c}), INTERVAL 60 second)`)
    .replace(/\$__interval_s/g, '60')
    .replace(/\$__fromTime/g, `toDateTime(${f})`)
    .replace(/\$__toTime/g, `toDateTime(${t})`)
    .replace(/\$\{(\w+):singlequote\}/g, (_m, v: string) => `'${(vars[v] ?? '').replace(/'/g, "\\'")}'`);
}

/** As POST /v1/query runs analyst SQL: through the SQL guard, then the canonical statement it checked. */
async function run(sql: string): Promise<unknown[][]> {
  const verdict = await createSqlGuard(rt.store).check(sql);
  if (!verdict.ok) throw new Error(`the SQL guard refused a Grafana query: ${verdict.message}\n${sql}`);
  const stream = await rt.store.readOnly(`${verdict.sql}\nFORMAT JSONCompact`, { settings: verdict.settings });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: unknown[][] }).data;
}

beforeAll(async () => {
  rt = await openRuntime(testConfig(), { role: 'test', log: silentLog });
  const { gateway } = await startIngestRole(rt, { runWorker: false });
  const records = [...simulate(from, to, { seed: 3, peakPerMinute: 30, attacks: [] })];
  for (let i = 0; i < records.length; i += 5000) await gateway.submit(records.slice(i, i + 5000), 'kong', { source: 'test' });
  await rt.store.client.insert({ table: 'baselines', format: 'JSONEachRow', values: [{ metric: 'route_requests', entity: '/v1/products', bucket: 255, median: 10, mad: 2, p95: 14, ewma: 10, samples: 100, computed_at: '2026-11-01 00:00:00', version: 1 }] });
});
afterAll(async () => {
  await rt?.close();
});

describe('Grafana dashboard', () => {
  it('is for the official ClickHouse data source', () => {
    expect(dashboard.__inputs[0]!.pluginId).toBe('grafana-clickhouse-datasource');
    for (const p of dashboard.panels) expect(p.datasource.type, p.title).toBe('grafana-clickhouse-datasource');
  });

  it('has variables whose queries run', async () => {
    for (const v of dashboard.templating.list) expect((await run(expand(v.query, {}))).length, v.name).toBeGreaterThan(0);
  });

  for (const which of ['all gateways', 'one gateway'] as const) {
    it(`runs every panel's query read-only and gets rows (${which})`, async () => {
      const gw = which === 'all gateways' ? '' : String((await run('SELECT any(gateway) FROM events'))[0]![0]);
      expect(gw === '' || gw.length > 0).toBe(true);
      for (const p of dashboard.panels) {
        for (const t of p.targets) {
          const rows = await run(expand(t.rawSql, { gateway: gw, route: '/v1/products' }));
          if (p.title === 'Open alerts' || p.title === 'Alerts in range') continue; // no alerts in this store
          if (p.title.startsWith('Server errors') && rows.length === 0) continue; // a quiet hour may have none
          expect(rows.length, `${p.title}: ${t.rawSql}`).toBeGreaterThan(0);
        }
      }
    });
  }
});
