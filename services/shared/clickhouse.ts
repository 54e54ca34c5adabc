/**
 * The one way the code base reaches ClickHouse: @clickhouse/client, over HTTP to a server
 * when clickhouse.url is set, otherwise over chDB (the engine in-process) with its data in
 * <dataDir>/chdb. chDB binds one data directory per process; callers open one client per
 * process and share it.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from '../../schemas/config-schema.js';

export interface Store {
  client: ClickHouseClient;
  db: string;
  embedded: boolean;
  /** where the embedded engine keeps its data (undefined on a server) */
  path?: string;
  close(): Promise<void>;
}

export function chdbPath(dataDir: string): string {
  return resolve(join(dataDir, 'chdb'));
}

export async function openStore(config: Config): Promise<Store> {
  const db = config.clickhouse.database;
  if (config.clickhouse.url) {
    const client = createClient({
      url: config.clickhouse.url,
      username: config.clickhouse.username,
      password: config.clickhouse.password,
      database: db,
      request_timeout: config.clickhouse.requestTimeoutMs,
      application: 'gatewatch',
    });
    return { client, db, embedded: false, close: () => client.close() };
  }
  const path = chdbPath(config.dataDir);
  mkdirSync(path, { recursive: true });
  // chdb types its Connection against its own copy of @clickhouse/client-common; the shapes
  // are the same, the declarations are not, hence the cast.
  type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const connection = createChdbConnection({ path }) as unknown as ClientConnection;
  const client = createClient({ connection });
  // chDB ignores the client's `database` option; a session-level USE gives unqualified names
  // (as typed by an analyst in `gatewatch query`) the same meaning as on a server.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({ query: `USE ${db}` });
  return { client, db, embedded: true, path, close: () => client.close() };
}
