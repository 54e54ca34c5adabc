/** Who did what through the API, in ClickHouse. A failed audit write fails the request. */
import type { Store } from './clickhouse.js';

export interface AuditEntry {
  key_id: string;
  role: string;
  action: string;
  target: string;
  detail: string;
  outcome: string;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** several entries in one insert (the failed-authentication summaries) */
  recordMany(entries: AuditEntry[]): Promise<void>;
}

export function createAuditLog(store: Store): AuditLog {
  const recordMany = async (entries: AuditEntry[]) => {
    if (entries.length) await store.client.insert({ table: `${store.db}.audit_log`, values: entries, format: 'JSONEachRow' });
  };
  return {
    record: (entry) => recordMany([entry]),
    recordMany,
  };
}
