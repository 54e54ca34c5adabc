/**
 * The notifier's repository alone against the real engine: a notification's newest state wins,
 * what was sent is found per channel, the delivery log keeps every attempt with long errors
 * cut, and the reads of detection's tables (alerts updated since a cursor, with its overlap;
 * alerts first seen in a period; incidents holding alerts) answer exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { createNotificationRepo, toCursor } from '../../services/storage/notification-repo.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createIncidentStore } from '../../services/storage/incident-store.js';
import type { Alert } from '../../schemas/alert-schema.js';
import { silentLog, testConfig } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await openRuntime(testConfig(), { role: 'test', log: silentLog });
});
afterAll(async () => {
  await rt?.close();
});

const T = Date.parse('2026-11-28T12:00:00.000Z');

describe('the notification repository', () => {
  it('keeps the newest state of each notification and finds what a channel was sent', async () => {
    let clock = T;
    const repo = createNotificationRepo(rt.store, () => clock);
    await repo.save([
      { id: 'a1', channel: 'hook', status: 'pending', attempts: 0, nextAt: T, lastError: '' },
      { id: 'a2', channel: 'hook', status: 'pending', attempts: 0, nextAt: T, lastError: '' },
      { id: 'a1', channel: 'mail', status: 'pending', attempts: 0, nextAt: T, lastError: '' },
    ]);
    clock += 1000;
    await repo.save([
      { id: 'a1', channel: 'hook', status: 'sent', attempts: 1, nextAt: T, lastError: '' },
      { id: 'a2', channel: 'hook', status: 'dead', attempts: 3, nextAt: T + 5000, lastError: 'x'.repeat(5000) },
    ]);
    const all = new Map((await repo.all()).map((n) => [`${n.id}/${n.channel}`, n]));
    expect(all.get('a1/hook')).toMatchObject({ status: 'sent', attempts: 1, updated: toCursor(T + 1000) });
    expect(all.get('a2/hook')).toMatchObject({ status: 'dead', attempts: 3, nextAt: T + 5000 });
    expect(all.get('a2/hook')!.lastError).toHaveLength(2000);
    expect(all.get('a1/mail')).toMatchObject({ status: 'pending' });
    expect([...(await repo.sentAmong('hook', ['a1', 'a2', 'zz']))]).toEqual(['a1']);
    expect(await repo.sentAmong('mail', ['a1'])).toEqual(new Set());
    expect(await repo.sentAmong('hook', [])).toEqual(new Set());
  });

  it('logs every delivery attempt', async () => {
    const repo = createNotificationRepo(rt.store);
    await repo.recordDeliveries([
      { at: T, id: 'd1', channel: 'hook', attempt: 1, outcome: 'retry', httpStatus: 503, latencyMs: 12, error: 'HTTP 503' },
      { at: T + 2000, id: 'd1', channel: 'hook', attempt: 2, outcome: 'sent', httpStatus: 200, latencyMs: 8, error: '' },
    ]);
    await repo.recordDeliveries([]);
    const rows = await (await rt.store.client.query({ query: "SELECT attempt, outcome, http_status, toString(at) AS at FROM deliveries WHERE alert_id = 'd1' ORDER BY attempt", format: 'JSONEachRow' })).json();
    expect(rows).toEqual([
      { attempt: 1, outcome: 'retry', http_status: 503, at: '2026-11-28 12:00:00.000' },
      { attempt: 2, outcome: 'sent', http_status: 200, at: '2026-11-28 12:00:02.000' },
    ]);
  });

  it("reads detection's tables: alerts updated since a cursor (with an overlap), first seen in a period, and the incidents holding them", async () => {
    let clock = T;
    const alerts = createClickHouseAlertStore(rt.store, () => clock);
    const alert = (id: string, firstSeen: number): Alert => ({
      id, detector: 'brute_force', severity: 'high', entity: { type: 'ip', value: `198.51.100.${id.length}` }, window: { start: new Date(firstSeen).toISOString(), end: new Date(firstSeen).toISOString() },
      observed: 40, expected: 2, score: 5, summary: id, owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open', windows: 1, first_seen: new Date(firstSeen).toISOString(), last_seen: new Date(firstSeen).toISOString(),
    });
    await alerts.save([alert('r-early', T - 3_600_000)]);
    clock = T + 20_000;
    await alerts.save([alert('r-late', T - 60_000)]);
    const repo = createNotificationRepo(rt.store);
    const since = async (cursorMs: number, overlap: number) => (await repo.alertsUpdatedSince(toCursor(cursorMs), overlap, 100)).map((r) => r.id).filter((id) => id.startsWith('r-'));
    expect(await since(T - 1000, 0)).toEqual(['r-early', 'r-late']);
    expect(await since(T + 5000, 0)).toEqual(['r-late']);
    // 10 s of overlap reaches the one written at T from a cursor at T + 5 s
    expect(await since(T + 5000, 10)).toEqual(['r-early', 'r-late']);
    expect((await repo.alertsUpdatedSince(toCursor(T - 1000), 0, 1)).length).toBe(1);
    expect((await repo.alertsFirstSeenIn(T - 2 * 3_600_000, T - 30 * 60_000)).filter((id) => id.startsWith('r-'))).toEqual(['r-early']);
    const placed = await createIncidentStore(rt.store, alerts).place([alert('r-late', T - 60_000)], 30);
    expect(await repo.incidentsHolding(['r-late', 'nope'])).toEqual([{ id: placed.get('r-late')!, alert_ids: ['r-late'] }]);
    expect(await repo.incidentsHolding([])).toEqual([]);
  });
});
