/**
 * Privacy mode covers dead letters: records sent over HTTP that are refused (read and then
 * refused for their time, a field that cannot be read, JSON cut short) name nobody in the
 * dead_letters table, the reply or our logs; each principal appears as the pseudonym its
 * stored events get.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { createLogger } from '../../services/shared/logger.js';
import { startIngestRole } from '../../services/ingest/ingest-role.js';
import { ApiKeyStore } from '../../services/storage/api-keys.js';
import { createAuditLog } from '../../services/storage/audit-log.js';
import { buildApp, type App } from '../../services/api/app.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createSilenceStore } from '../../services/storage/silence-store.js';
import { testConfig } from './helpers.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const clf = (t: Date) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())} +0000`;
};
const HOUR_AGO = new Date(Date.now() - 3_600_000);
const TOMORROW = new Date(Date.now() + 86_400_000);

const nginx = (t: Date, path: string) => `192.0.2.61 - peter.q [${clf(t)}] "GET ${path}?who=peter.q HTTP/1.1" 200 12 "-" "curl/8"`;
const generic = (path: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ timestamp: HOUR_AGO.toISOString(), method: 'GET', url: `https://shop.example.com${path}`, status_code: 200, user: 'olivia.p@example.com', ...extra });

const RAW = ['peter.q', 'olivia', 'quinn.r'];
const lines: string[] = [];
let rt: Runtime;
let app: App;
let key = '';

const rows = async <T,>(sql: string) => (await (await rt.store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];

beforeAll(async () => {
  const config = testConfig({ logLevel: 'debug', clickhouse: { retentionDays: 3650 }, redaction: { privacyMode: true } });
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  rt = await openRuntime(config, { role: 'test', log: createLogger('debug', { destination, redaction: config.redaction, pretty: false }) });
  const gateway = (await startIngestRole(rt, { runWorker: false })).gateway;
  const keys = new ApiKeyStore(rt.store);
  key = (await keys.create('gateway', 'ingest')).key;
  app = await buildApp({ config, store: rt.store, keys, audit: createAuditLog(rt.store), ingest: gateway, metrics: rt.metrics, log: rt.log, readiness: [], alerts: createClickHouseAlertStore(rt.store), silences: createSilenceStore(rt.store) });
});

afterAll(async () => {
  await app?.close();
  await rt?.close();
});

describe('privacy mode and dead letters', () => {
  it('stores, answers and logs a refused record with its principals pseudonymised as in the events', async () => {
    const body = [
      nginx(HOUR_AGO, '/pdl/ok-nginx'),
      generic('/pdl/ok-generic'),
      nginx(TOMORROW, '/pdl/late'), // read, then refused: timestamp_out_of_range
      generic('/pdl/bad-field', { duration_ms: 'slow' }), // invalid_field
      '{"consumer":{"id":"c-1","username":"quinn.r"},"request":{"uri":"/pdl/cut', // invalid_json
    ].join('\n');
    const res = await app.inject({ method: 'POST', url: '/v1/ingest', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: 5, stored: 2, rejected: 3, reasons: { timestamp_out_of_range: 1, invalid_field: 1, invalid_json: 1 } });
    for (const who of RAW) expect(res.body).not.toContain(who);

    const events = await rows<{ path: string; principal_id: string }>(`SELECT path, principal_id FROM events WHERE path LIKE '/pdl/%' ORDER BY path`);
    const pn = Object.fromEntries(events.map((e) => [e.path, e.principal_id]));
    expect(pn['/pdl/ok-generic']).toMatch(/^pn:[0-9a-f]{32}$/);
    expect(pn['/pdl/ok-nginx']).toMatch(/^pn:[0-9a-f]{32}$/);

    const letters = await rows<{ reason: string; detail: string; record: string }>('SELECT reason, detail, record FROM dead_letters ORDER BY reason');
    expect(letters.map((l) => l.reason)).toEqual(['invalid_field', 'invalid_json', 'timestamp_out_of_range']);
    const [badField, cut, late] = letters as [(typeof letters)[0], (typeof letters)[0], (typeof letters)[0]];
    for (const l of letters) for (const who of RAW) expect(`${l.detail}\n${l.record}`, l.reason).not.toContain(who);
    // the pseudonym each principal has in the events: as $remote_user and in the query of the late line
    expect(late.record.split(pn['/pdl/ok-nginx']!)).toHaveLength(3);
    expect(badField.record).toContain(`"user":"${pn['/pdl/ok-generic']!}"`);
    expect(cut.record).toMatch(/"username":"pn:[0-9a-f]{32}"/);
    // the rest of a dead letter is as it was sent: still useful to whoever fixes the sender
    expect(late.record).toContain('GET /pdl/late?who=pn:');
    expect(badField.record).toContain('"duration_ms":"slow"');

    // our debug log of each dead letter names nobody either
    const dlqLog = lines.filter((l) => l.includes('record dead-lettered'));
    expect(dlqLog).toHaveLength(3);
    for (const who of RAW) expect(lines.join('')).not.toContain(who);
  });
});
