/**
 * Where the live stream stands in the tables it follows: their versions (wall-clock
 * microseconds of each write), the newest, and the rows written after a point, oldest first.
 * (The incidents' trail is read through the incident store.)
 */
import type { Store } from './clickhouse.js';

/** the tables the stream follows, and the id each row is about */
const TABLES = { alerts: 'id', alert_events: 'alert_id', incidents: 'id' } as const;
export type StreamTable = keyof typeof TABLES;

export function createStreamPositions(store: Store) {
  const { client, db } = store;
  return {
    /** the newest version in a table (0 when empty) */
    async last(table: StreamTable): Promise<number> {
      const [r] = await (await client.query({ query: `SELECT max(version) AS v FROM ${db}.${table}`, format: 'JSONEachRow' })).json<{ v: number | string }>();
      return Number(r?.v ?? 0);
    },
    /** rows written after version `from`, oldest first: what each is about and its version */
    async since(table: StreamTable, from: number, limit: number): Promise<Array<{ id: string; version: number }>> {
      const rows = await (
        await client.query({ query: `SELECT ${TABLES[table]} AS id, version FROM ${db}.${table} WHERE version > {from:UInt64} ORDER BY version LIMIT {limit:UInt32}`, query_params: { from, limit }, format: 'JSONEachRow' })
      ).json<{ id: string; version: number | string }>();
      return rows.map((r) => ({ id: r.id, version: Number(r.version) }));
    },
  };
}
