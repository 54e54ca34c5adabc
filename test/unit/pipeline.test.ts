import { describe, expect, it } from 'vitest';
import { createPipeline, type RecordOutcome } from '../../services/ingest/pipeline/process-record.js';
import { createRecordParser } from '../../services/ingest/parsers/parse-record.js';
import { createRedactor } from '../../services/ingest/redaction/redactor.js';
import { createFingerprinter } from '../../services/ingest/enrichment/principal.js';
import { createClientIpResolver } from '../../services/ingest/normalize/client-ip.js';
import { NO_GEO, type GeoLookup } from '../../services/ingest/enrichment/geoip.js';
import * as fx from '../fixtures/gateway-logs.js';

const NOW = Date.UTC(2026, 10, 28, 12);
// a geo table for documentation addresses, so enrichment is checked without the real databases
const geo: GeoLookup = {
  lookup: (ip) =>
    ip === '203.0.113.9' ? { country: 'FR', city: 'Paris', lat: 48.85, lon: 2.35, asn: 64500, as_org: 'Example Transit' } : NO_GEO,
};
const pipeline = createPipeline(pipelineDeps());
const one = (o: RecordOutcome[]) => {
  const r = o[0];
  if (!r || r.kind !== 'ok') throw new Error(`expected an event, got ${JSON.stringify(o)}`);
  return r.event;
};

describe('ingest pipeline', () => {
  it('normalizes, redacts and enriches an NGINX line behind a trusted proxy', () => {
    const e = one(pipeline(fx.NGINX_COMBINED_XFF));
    expect(e).toMatchObject({
      event_time: '2026-11-28T10:00:00.000Z',
      method: 'POST',
      path: '/login',
      route: '/login',
      query: 'next=/home&password=[REDACTED:param]',
      status: 401,
      client_ip: '203.0.113.9', // 10.0.0.5 is a trusted proxy: the hop before it is the client
      country: 'FR',
      city: 'Paris',
      asn: 64500,
      principal: { type: 'basic', id: 'bob' },
      auth_outcome: 'failure',
      source_format: 'nginx-combined',
      redacted_fields: 1,
    });
  });

  it('turns a JWT bearer into its subject and never stores the token', () => {
    const out = pipeline(fx.NGINX_JSON);
    const e = one(out);
    expect(e.principal).toEqual({ type: 'jwt_sub', id: 'alice' });
    expect(e.route).toBe('/api/v1/users/{id}/orders');
    expect(e.query).toBe('page=2&access_token=[REDACTED:param]');
    expect(e.auth_outcome).toBe('success');
    expect(JSON.stringify(out)).not.toContain(fx.JWT_ALICE.split('.')[1]!);
    expect(JSON.stringify(out)).not.toContain('abc123secretvalue');
  });

  it('keeps a Kong consumer as principal and drops the logged Authorization and Cookie', () => {
    const out = pipeline(fx.KONG);
    const e = one(out);
    expect(e.principal).toEqual({ type: 'consumer', id: 'demo' });
    expect(e.query).toBe('apikey=[REDACTED:param]');
    const text = JSON.stringify(out);
    for (const secret of ['YWxhZGRpbjpvcGVuc2VzYW1l', 's3cr3t-session-id', 'kong-secret-key-123456']) expect(text).not.toContain(secret);
    expect(e.redacted_fields).toBe(3); // apikey param, authorization header, cookie header
  });

  it('fingerprints an API key header: stable, keyed, never the key', () => {
    const a = one(pipeline(fx.TRAEFIK));
    const b = one(pipeline(fx.TRAEFIK));
    expect(a.principal.type).toBe('api_key');
    expect(a.principal.id).toMatch(/^fp:[0-9a-f]{32}$/);
    expect(a.principal.id).toBe(b.principal.id);
    expect(JSON.stringify(a)).not.toContain('tk_live_0123456789abcdef0123');
    const otherKey = createPipeline({ ...pipelineDeps(), fingerprint: createFingerprinter('z'.repeat(32)) });
    expect(one(otherKey(fx.TRAEFIK)).principal.id).not.toBe(a.principal.id);
    expect(a.route).toBe('/admin/users/{uuid}');
    expect(a.auth_outcome).toBe('failure');
  });

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    const line = '198.51.100.1 - - [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-" "203.0.113.9"';
    expect(one(pipeline(line)).client_ip).toBe('198.51.100.1');
  });

  it.each([
    ['the future', '28/Nov/2026:12:10:00 +0000'],
    ['1970', '01/Jan/1970:00:00:01 +0000'],
  ])('dead-letters an event time in %s', (_n, time) => {
    const out = pipeline(`192.0.2.1 - - [${time}] "GET /x?password=p4ss HTTP/1.1" 200 1 "-" "-"`);
    expect(out[0]).toMatchObject({ kind: 'dlq', letter: { reason: 'timestamp_out_of_range' } });
    expect(JSON.stringify(out)).not.toContain('p4ss');
  });

  it('redacts secrets inside dead letters', () => {
    const broken = fx.KONG.slice(0, fx.KONG.indexOf('"cookie"') + 40);
    const out = pipeline(broken);
    expect(out[0]).toMatchObject({ kind: 'dlq', letter: { reason: 'invalid_json' } });
    const text = JSON.stringify(out);
    expect(text).not.toContain('YWxhZGRpbjpvcGVuc2VzYW1l');
    expect(text).not.toContain('kong-secret-key-123456');
    expect(text).toContain('[REDACTED:');
  });

  it('dead-letters each bad element of an Azure batch and keeps the good ones', () => {
    const batch = JSON.parse(fx.AZURE_APIM) as { records: unknown[] };
    batch.records.push({ category: 'GatewayLogs', time: 'garbage', properties: { url: 'https://x/y' } });
    const out = pipeline(JSON.stringify(batch));
    expect(out.map((o) => o.kind)).toEqual(['ok', 'ok', 'dlq']);
    expect(one(out).query).toBe('param1=sample&subscription-key=[REDACTED:param]');
  });
});

function pipelineDeps() {
  return {
    parse: createRecordParser({ maxRecordBytes: 1_048_576 }),
    redactor: createRedactor(),
    fingerprint: createFingerprinter('k'.repeat(32)),
    resolveClientIp: createClientIpResolver(['10.0.0.0/8', '127.0.0.1']),
    geo,
    now: () => NOW,
    maxFutureSkewMs: 300_000,
    maxEventAgeMs: 90 * 86_400_000,
    storeHeaders: true,
  };
}
