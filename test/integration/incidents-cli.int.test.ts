/** `gatewatch incidents`, `incidents show` and `incidents ack|resolve|reopen` on a store with no server running. */
import { describe, expect, it } from 'vitest';
import { openRuntime } from '../../services/shared/runtime.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createIncidentStore } from '../../services/storage/incident-store.js';
import { incidentShowCommand, incidentsCommand, incidentTransitionCommand } from '../../services/cli/incidents-command.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { silentLog, testConfig } from './helpers.js';

describe('gatewatch incidents', () => {
  it('lists incidents, shows one with its alerts and trail, and moves it along its lifecycle with a comment', async () => {
    const config = testConfig({ clickhouse: { retentionDays: 3650 } });
    const rt = await openRuntime(config, { role: 'test', log: silentLog });
    const t = (m: number) => new Date(Date.UTC(2026, 10, 27, 9, m)).toISOString();
    const alert = (id: string, detector: string, entity: Alert['entity'], detail: Record<string, unknown>): Alert => ({
      id, detector, severity: 'high', entity, window: { start: t(0), end: t(5) }, observed: 9, expected: 1, score: 3, summary: `${detector} on ${entity.value}`, owasp: 'API4',
      evidence: { sql: 'SELECT 1', rows: [] }, detail, status: 'open', windows: 1, first_seen: t(0), last_seen: t(5),
    });
    const alerts = [alert('cli-a', 'volume', { type: 'route', value: '/v1/products/{id}' }, { top_ips: [{ ip: '45.83.65.5', share: 0.96 }] }), alert('cli-b', 'entity_volume', { type: 'ip', value: '45.83.65.5' }, {})];
    const store = createClickHouseAlertStore(rt.store);
    await store.save(alerts);
    await createIncidentStore(rt.store, store).place(alerts, 30);
    await rt.close();

    let out = '';
    const w = (s: string) => void (out += s);
    await incidentsCommand(config, { limit: 10 }, w);
    const id = /(inc-[0-9a-f]{16})/.exec(out)?.[1];
    expect(id, out).toBeDefined();
    expect(out).toContain('2 alerts (volume, entity_volume)');
    out = '';
    await incidentTransitionCommand(config, 'ack', id!, { comment: 'scraper, rate-limited at the edge' }, w);
    expect(out).toBe(`${id} is acknowledged (2 of its alerts too)\n`);
    await expect(incidentTransitionCommand(config, 'reopen', id!, {}, w)).rejects.toThrow(/cannot reopen an incident that is acknowledged/);
    out = '';
    await incidentShowCommand(config, id!, {}, w);
    expect(out).toContain('entities: route:/v1/products/{id}, ip:45.83.65.5');
    expect(out).toMatch(/volume\s+route:\/v1\/products\/\{id\}/);
    expect(out).toContain('cli ack: open → acknowledged (scraper, rate-limited at the edge)');
    out = '';
    await incidentsCommand(config, { limit: 10, status: 'open', json: true }, w);
    expect(JSON.parse(out)).toEqual([]);
    await expect(incidentShowCommand(config, 'inc-0000000000000000', {}, w)).rejects.toThrow(/no incident/);
  });
});
