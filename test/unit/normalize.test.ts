import { describe, expect, it } from 'vitest';
import { routeTemplate } from '../../services/ingest/normalize/route-template.js';
import { createClientIpResolver } from '../../services/ingest/normalize/client-ip.js';
import { createRedactor, RedactionTally } from '../../services/ingest/redaction/redactor.js';
import { splitBody } from '../../services/api/routes/ingest-routes.js';
import { submissionToken } from '../../services/ingest/ingest-gateway.js';
import { splitFormat } from '../../services/api/routes/query-routes.js';
import { JWT_ALICE } from '../fixtures/gateway-logs.js';

describe('route templates', () => {
  it.each([
    ['/users/42', '/users/{id}'],
    ['/users/42/orders/550e8400-e29b-41d4-a716-446655440000', '/users/{id}/orders/{uuid}'],
    ['/files/d41d8cd98f00b204e9800998ecf8427e', '/files/{hash}'],
    ['/reset/[REDACTED:path_token]', '/reset/{token}'],
    ['/v1/reports/2026-11-28', '/v1/reports/{id}'],
    ['/', '/'],
    ['', '/'],
    ['/static/app.js', '/static/app.js'],
    ['/a/' + 'x'.repeat(100), '/a/{long}'],
    // words without digits skip the patterns; at 16 letters a hex word is a hash again
    ['/Users/Orders/_private/v1/x-y', '/Users/Orders/_private/v1/x-y'],
    ['/k/abcdefabcdefabc', '/k/abcdefabcdefabc'],
    ['/k/abcdefabcdefabcd', '/k/{hash}'],
    ['/k/DeadBeefDeadBeef', '/k/{hash}'],
    ['/k/a50e8400-e29b-41d4-a716-446655440000', '/k/{uuid}'],
    ['/k/abcdefghijklmnopqrstuvwxyz', '/k/abcdefghijklmnopqrstuvwxyz'],
  ])('%s → %s', (path, route) => expect(routeTemplate(path)).toBe(route));

  it('caps the number of segments', () => {
    expect(routeTemplate('/a'.repeat(100)).split('/').length).toBeLessThanOrEqual(34);
  });
});

describe('client IP resolution', () => {
  const resolve = createClientIpResolver(['10.0.0.0/8', '2001:db8:ffff::/48']);
  it.each([
    ['untrusted peer: header ignored', '198.51.100.1', '1.2.3.4', '198.51.100.1'],
    ['trusted peer: last untrusted hop', '10.1.1.1', '203.0.113.5, 198.51.100.7, 10.2.2.2', '198.51.100.7'],
    ['trusted chain all the way: leftmost', '10.1.1.1', '10.3.3.3, 10.2.2.2', '10.3.3.3'],
    ['garbage hop stops the walk', '10.1.1.1', '203.0.113.5, not-an-ip', '10.1.1.1'],
    ['ports are stripped', '10.1.1.1:5555', '203.0.113.5:1234', '203.0.113.5'],
    ['IPv6 proxy and client', '2001:db8:ffff::1', '2001:db8:1::9', '2001:db8:1::9'],
    ['IPv4-mapped IPv6 peer', '::ffff:198.51.100.1', '', '198.51.100.1'],
    ['no peer: last header hop', '', '203.0.113.5, 198.51.100.3', '198.51.100.3'],
    ['nothing usable', '-', '', ''],
  ])('%s', (_n, peer, xff, expected) => expect(resolve(peer, xff)).toBe(expected));
});

describe('redaction basics (the full corpus lives with the redaction issue)', () => {
  const r = createRedactor();
  const run = (fn: (s: string, t: RedactionTally) => string, s: string) => {
    const t = new RedactionTally();
    return { out: fn(s, t), t };
  };
  it.each([
    ['a JWT anywhere', `see ${JWT_ALICE} here`, 'jwt'],
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE used', 'aws_access_key'],
    ['a GitHub token', 'ghp_' + 'a'.repeat(36), 'github_token'],
    ['a Luhn-valid card with separators', 'card 4111-1111-1111-1111 ok', 'card_number'],
    ['a private key block', '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----', 'private_key'],
    ['a URL-encoded JWT', encodeURIComponent(`Bearer ${JWT_ALICE}`), 'jwt'],
  ])('finds %s', (_n, input, type) => {
    const { out, t } = run(r.text, input);
    expect(t.byType.get(type)).toBeGreaterThan(0);
    expect(out).toContain('[REDACTED:');
  });
  it('leaves a number that fails Luhn alone', () => {
    expect(run(r.text, 'order 4111-1111-1111-1112').out).toBe('order 4111-1111-1111-1112');
  });
  it('redacts credentials in path segments after /reset/ and keeps the rest', () => {
    expect(run(r.path, '/reset/a1b2c3d4e5f6g7h8i9/confirm').out).toBe('/reset/[REDACTED:path_token]/confirm');
    expect(run(r.path, '/users/42').out).toBe('/users/42');
  });
  it('survives invalid percent-encoding and stays linear on hostile input', () => {
    expect(run(r.query, 'a=%E0%A4%A&b=%%%').out).toBe('a=%E0%A4%A&b=%%%');
    const hostile = 'eyJ' + 'a'.repeat(200_000);
    const started = process.hrtime.bigint();
    run(r.text, hostile);
    // not a timing assertion on the machine: a quadratic scan of 200k chars would take minutes
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(20);
  });
});

describe('HTTP body splitting', () => {
  it('splits NDJSON, skips blank lines and strips CR', () => {
    expect(splitBody(Buffer.from('{"a":1}\r\n\n  \n{"b":2}\n')).map(String)).toEqual(['{"a":1}', '{"b":2}']);
  });
  it('reads a JSON array of objects and strings', () => {
    expect(splitBody(Buffer.from(' [{"a":1}, "line two"]'))).toEqual(['{"a":1}', 'line two']);
  });
  it('refuses a broken array with a 400', () => {
    expect(() => splitBody(Buffer.from('[{"a":1},'))).toThrow(/not a JSON array/);
  });
});

describe('ingest deduplication tokens', () => {
  it("scope a caller's idempotency key by its sender, so that two senders' same key are two batches", () => {
    const a = submissionToken({ source: 'http', idempotencyKey: 'batch-1', sender: '0123456789ab' });
    const b = submissionToken({ source: 'http', idempotencyKey: 'batch-1', sender: 'ba9876543210' });
    expect(a).toBe('http:0123456789ab:batch-1');
    expect(b).not.toBe(a);
    expect(submissionToken({ source: 'http', idempotencyKey: 'batch-1', sender: '0123456789ab' })).toBe(a);
    // in-process callers (replay) keep their tokens
    expect(submissionToken({ source: 'replay', idempotencyKey: 'f00d:3' })).toBe('replay:f00d:3');
  });
  it('make every submission without a key a new one', () => {
    let n = 0;
    const fresh = () => `u${n++}`;
    expect(submissionToken({ source: 'http', sender: '0123456789ab' }, fresh)).toBe('http:u0');
    expect(submissionToken({ source: 'http', sender: '0123456789ab' }, fresh)).toBe('http:u1');
  });
});

describe('FORMAT clause handling', () => {
  it.each([
    ['SELECT 1 FORMAT CSV', 'SELECT 1', 'CSV'],
    ['SELECT 1 format JSONEachRow;', 'SELECT 1', 'JSONEachRow'],
    ['SELECT 1;', 'SELECT 1', undefined],
    ["SELECT 'FORMAT CSV' AS x", "SELECT 'FORMAT CSV' AS x", undefined],
  ])('%s', (sql, stripped, format) => {
    expect(splitFormat(sql)).toEqual(format ? { sql: stripped, format } : { sql: stripped });
  });
});
