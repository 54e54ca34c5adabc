/**
 * The GRANT statements of infra/clickhouse/users.d/gatewatch.xml are ClickHouse SQL: its own
 * parser (formatQuery) reads each one, as the server will at start-up. test/unit/infra.test.ts
 * checks what they grant.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../services/storage/clickhouse.js';
import { testConfig, tmpDir } from './helpers.js';

describe('ClickHouse users for the production deployment', () => {
  it('grant with statements that ClickHouse parses', async () => {
    const xml = readFileSync(join(import.meta.dirname, '..', '..', 'infra', 'clickhouse', 'users.d', 'gatewatch.xml'), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
    const grants = [...xml.matchAll(/<query>([^<]+)<\/query>/g)].map((m) => m[1]!.trim());
    expect(grants.length).toBeGreaterThan(20);
    const store = await openStore(testConfig({ dataDir: tmpDir('gw-infra-') }));
    try {
      for (const g of grants) expect(await store.format(`${g} TO gatewatch_query`), g).toBe(`${g} TO gatewatch_query`);
      await expect(store.format('GRANT SELEKT ON gatewatch.events TO gatewatch_query')).rejects.toThrow();
    } finally {
      await store.close();
    }
  });
});
