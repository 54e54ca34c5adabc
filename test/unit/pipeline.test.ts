import { describe, expect, it } from 'vitest';
import { createPipeline, type RecordOutcome } from '../../services/ingest/pipeline/process-record.js';
import { createRecordParser } from '../../services/ingest/parsers/parse-record.js';
import { createRedactor } from '../../services/ingest/redaction/redactor.js';
import { createPseudonymizer, resolvePiiPolicy } from '../../services/ingest/redaction/pii.js';
import { createFingerprinter } from '../../services/ingest/enrichment/principal.js';
import { createClientIpResolver } from '../../services/ingest/normalize/client-ip.js';
import { NO_GEO, type GeoLookup } from '../../services/ingest/enrichment/geoip.js';
import { packChunk, processChunk, NO_VALUE } from '../../services/ingest/pipeline/process-chunk.js';
import { Batch } from '../../services/ingest/batch.js';
import { toCompactRow } from '../../services/ingest/row-writer.js';
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

  it('in privacy mode, names nobody in a dead letter: the principal gets the pseudonym its events get', () => {
    const redactor = createRedactor({ pii: resolvePiiPolicy(true, { email: 'keep', clientIp: 'keep', principal: 'keep' }), pseudonymize: createPseudonymizer('k'.repeat(32)) });
    const privacy = createPipeline({ ...pipelineDeps(), redactor });
    const line = (time: string, user: string) => `192.0.2.1 - ${user} [${time}] "GET /me?who=${user} HTTP/1.1" 200 1 "-" "-"`;
    const stored = one(privacy(line('28/Nov/2026:10:00:00 +0000', 'mallory.h')));
    expect(stored.principal.id).toMatch(/^pn:[0-9a-f]{32}$/);
    // read, then refused for its time: every place the record names its principal
    const late = privacy(line('28/Nov/2026:12:10:00 +0000', 'mallory.h'));
    expect(late[0]).toMatchObject({ kind: 'dlq', letter: { reason: 'timestamp_out_of_range' } });
    const letter = (late[0] as Extract<RecordOutcome, { kind: 'dlq' }>).letter;
    expect(JSON.stringify(letter)).not.toContain('mallory');
    expect(letter.record.split(stored.principal.id)).toHaveLength(3); // $remote_user and ?who=
    // never read at all: a Kong record cut short
    const broken = JSON.stringify({ consumer: { username: 'mallory.h' }, request: { uri: '/x' } }).slice(0, -12);
    const letter2 = (privacy(broken)[0] as Extract<RecordOutcome, { kind: 'dlq' }>).letter;
    expect(letter2.reason).toBe('invalid_json');
    expect(letter2.record).not.toContain('mallory');
    expect(letter2.record).toContain(stored.principal.id);
    // without privacy mode the dead letter is as it was
    expect(JSON.stringify(pipeline(line('28/Nov/2026:12:10:00 +0000', 'mallory.h')))).toContain('mallory.h');
  });

  it('dead-letters each bad element of an Azure batch and keeps the good ones', () => {
    const batch = JSON.parse(fx.AZURE_APIM) as { records: unknown[] };
    batch.records.push({ category: 'GatewayLogs', time: 'garbage', properties: { url: 'https://x/y' } });
    const out = pipeline(JSON.stringify(batch));
    expect(out.map((o) => o.kind)).toEqual(['ok', 'ok', 'dlq']);
    expect(one(out).query).toBe('param1=sample&subscription-key=[REDACTED:param]');
  });
});

describe('the pipeline over a fetched chunk (what a pipeline thread returns)', () => {
  const azure = JSON.parse(fx.AZURE_APIM) as { records: unknown[] };
  azure.records.push({ category: 'GatewayLogs', time: 'garbage', properties: { url: 'https://x/y' } });
  // good, bad, a tombstone (no value), a pinned format, one record holding three entries, non-ASCII
  const messages: Array<{ value: string | null; hint: 'auto' | 'kong' | 'nginx-combined' }> = [
    { value: fx.NGINX_COMBINED_XFF, hint: 'auto' },
    { value: '{"truncated": ', hint: 'auto' },
    { value: null, hint: 'auto' },
    { value: fx.KONG, hint: 'kong' },
    { value: fx.KONG, hint: 'nginx-combined' },
    { value: JSON.stringify(azure), hint: 'auto' },
    { value: fx.NGINX_COMBINED_XFF.replace('/login', '/café/ü/日本'), hint: 'auto' },
  ];
  const values = messages.map((m) => (m.value === null ? null : Buffer.from(m.value)));
  const hints = messages.map((m) => m.hint);

  it('gives each message the rows, format, redactions and dead letters the record pipeline gives it', () => {
    const chunk = processChunk(pipeline, packChunk(values, hints));
    expect(chunk.count).toBe(messages.length);
    const text = Buffer.from(chunk.rows).toString('utf8');
    messages.forEach((m, i) => {
      const lines = Buffer.from(chunk.rows.subarray(chunk.rowEnds[i], chunk.rowEnds[i + 1])).toString('utf8');
      if (m.value === null) {
        expect(lines).toBe('');
        expect(chunk.events[i]).toBe(0);
        expect(chunk.letters.has(i)).toBe(false);
        return;
      }
      const outcomes = pipeline(m.value, m.hint);
      const ok = outcomes.flatMap((o) => (o.kind === 'ok' ? [o] : []));
      // byte for byte what the events encode to, one JSON line each
      expect(lines).toBe(ok.map((o) => JSON.stringify(toCompactRow(o.event)) + '\n').join(''));
      expect(chunk.events[i]).toBe(ok.length);
      expect(chunk.letters.get(i) ?? []).toEqual(outcomes.flatMap((o) => (o.kind === 'dlq' ? [o.letter] : [])));
      const red = new Map<string, number>();
      for (const o of ok) for (const [t, n] of o.redactions) red.set(t, (red.get(t) ?? 0) + n);
      const got = new Map<string, number>();
      for (let k = chunk.redStart[i]!; k < chunk.redStart[i + 1]!; k++) {
        const t = chunk.redTypes[chunk.redPairs[2 * k]!]!;
        got.set(t, (got.get(t) ?? 0) + chunk.redPairs[2 * k + 1]!);
      }
      expect(got).toEqual(red);
    });
    expect(chunk.events[5]).toBe(2); // Azure: two good entries, the third dead-lettered
    expect(chunk.letters.get(4)?.[0]?.reason).toBe('unknown_format'); // JSON pinned as a text format
    expect(text).toContain('/café/ü/日本');
  });

  it('builds the same batch as the outcomes added one by one, with slices of one chunk kept as one', () => {
    const chunk = processChunk(pipeline, packChunk(values, hints));
    const viaChunk = new Batch();
    const viaOutcomes = new Batch();
    messages.forEach((m, i) => {
      const source = { source: 'kafka', topic: 't', partition: 0, offset: String(i) };
      viaChunk.addProcessed(chunk, i, source);
      if (m.value !== null) viaOutcomes.add(pipeline(m.value, m.hint), source);
    });
    expect(viaChunk.rows).toBe(viaOutcomes.rows);
    expect(viaChunk.size).toBe(viaOutcomes.size);
    expect(viaChunk.letters).toEqual(viaOutcomes.letters);
    expect(viaChunk.body().equals(viaOutcomes.body())).toBe(true);
    // every event line is a JSON array ClickHouse reads as a row
    for (const line of viaChunk.body().toString('utf8').trimEnd().split('\n')) expect(Array.isArray(JSON.parse(line))).toBe(true);
  });

  it('packs values back to back and marks a message without a value', () => {
    const raw = packChunk([Buffer.from('ab'), null, Buffer.from('cde')], ['auto', 'auto', 'kong']);
    expect(Buffer.from(raw.data).toString()).toBe('abcde');
    expect([...raw.ends]).toEqual([0, 2, 2, 5]);
    expect(raw.hints[1]).toBe(NO_VALUE);
    // its own memory: transferring it to a thread moves exactly these bytes
    expect(raw.data.byteOffset).toBe(0);
    expect(raw.data.buffer.byteLength).toBe(5);
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
