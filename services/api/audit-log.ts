/** Who did what through the API, in ClickHouse. A failed audit write fails the request. */
import type { Store } from '../shared/clickhouse.js';

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
}

export function createAuditLog(store: Store): AuditLog {
  return {
    async record(entry) {
      await store.client.insert({ table: `${store.db}.audit_log`, values: [entry], format: 'JSONEachRow' });
    },
  };
}
