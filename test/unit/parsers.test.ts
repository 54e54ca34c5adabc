import { describe, expect, it } from 'vitest';
import { createRecordParser } from '../../services/ingest/parsers/parse-record.js';
import type { ParseOutcome } from '../../services/ingest/parsers/parse-result.js';
import * as fx from '../fixtures/gateway-logs.js';

const parse = createRecordParser({ maxRecordBytes: 1_048_576 });
const ok = (o: ParseOutcome | undefined) => {
  if (!o || !o.ok) throw new Error(`expected a parsed record, got ${JSON.stringify(o)}`);
  return o;
};

describe('format detection and parsing of documented gateway records', () => {
  it.each([
    ['nginx-combined', fx.NGINX_COMBINED],
    ['nginx-combined', fx.NGINX_COMBINED_XFF],
    ['nginx-combined', fx.NGINX_COMBINED_IPV6_ESCAPED],
    ['nginx-json', fx.NGINX_JSON],
    ['kong', fx.KONG],
    ['envoy-text', fx.ENVOY_TEXT],
    ['envoy-json', fx.ENVOY_JSON],
    ['traefik', fx.TRAEFIK],
    ['aws-apigw', fx.AWS_APIGW],
    ['azure-apim', fx.AZURE_APIM],
    ['generic-json', fx.GENERIC],
  ])('detects %s', (format, line) => {
    expect(ok(parse(line)[0]).format).toBe(format);
  });

  it('reads NGINX combined with its documented example', () => {
    const r = ok(parse(fx.NGINX_COMBINED)[0]).record;
    expect(r).toMatchObject({ method: 'GET', path: '/apache_pb.gif', query: '', status: 200, bytesOut: 2326, peerIp: '127.0.0.1', userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)', forwardedFor: '', latencyMs: 0 });
    expect(new Date(r.eventTimeMs).toISOString()).toBe('2026-10-10T20:55:36.000Z');
  });

  it('reads NGINX combined with X-Forwarded-For, request time and a Basic user', () => {
    const r = ok(parse(fx.NGINX_COMBINED_XFF)[0]).record;
    expect(r).toMatchObject({ method: 'POST', path: '/login', query: 'next=/home&password=hunter2', status: 401, forwardedFor: '203.0.113.9, 10.0.0.5', latencyMs: 12, gatewayPrincipal: { type: 'basic', id: 'bob' } });
  });

  it('reads IPv6 peers and NGINX (\\x22) and Apache (\\") escaped quotes', () => {
    const r = ok(parse(fx.NGINX_COMBINED_IPV6_ESCAPED)[0]).record;
    expect(r.peerIp).toBe('2001:db8::1');
    expect(r.query).toBe('q="quoted"');
    expect(r.userAgent).toBe('agent "with" quotes');
    expect(new Date(r.eventTimeMs).toISOString()).toBe('2026-11-28T09:00:01.000Z');
  });

  it('reads UTF-8 that NGINX escaped byte by byte (\\xC3\\xA9) as the characters it was, never one per byte', () => {
    const line = '198.51.100.4 - caf\\xC3\\xA9 [28/Nov/2026:09:00:01 +0000] "GET /v1/caf\\xC3\\xA9/\\xE2\\x82\\xAC?q=\\x22x\\x22 HTTP/1.1" 200 5 "-" "Mozilla \\x22quoted\\x22 \\xC3\\xBCn\\xC3\\xAFc\\xC3\\xB8d\\xC3\\xA9 \\xF0\\x9F\\x9A\\x80 back\\x5Cslash" "-" 0.004';
    const r = ok(parse(line)[0]).record;
    expect(r.path).toBe('/v1/café/€');
    expect(r.query).toBe('q="x"');
    expect(r.userAgent).toBe('Mozilla "quoted" ünïcødé 🚀 back\\slash');
    expect(r.gatewayPrincipal).toEqual({ type: 'basic', id: 'café' });
    // a byte that is not UTF-8 becomes U+FFFD, not a Latin-1 character
    expect(ok(parse(line.replace('\\xC3\\xBCn', '\\xFFn'))[0]).record.userAgent).toBe('Mozilla "quoted" \uFFFDnïcødé 🚀 back\\slash');
  });

  it('keeps a request line of "-" (scanner noise) with empty method and root path', () => {
    const r = ok(parse(fx.NGINX_COMBINED_DASHES)[0]).record;
    expect(r).toMatchObject({ method: '', path: '/', status: 400, bytesOut: 0, userAgent: '' });
  });

  it('reads NGINX JSON including the logged Authorization header', () => {
    const r = ok(parse(fx.NGINX_JSON)[0]).record;
    expect(r).toMatchObject({ method: 'GET', path: '/api/v1/users/12345/orders', status: 200, bytesOut: 1043, bytesIn: 312, latencyMs: 45, host: 'api.example.com', requestId: 'a1b2c3d4e5f6' });
    expect(r.headers.authorization).toBe(`Bearer ${fx.JWT_ALICE}`);
    expect(r.eventTimeMs).toBe(Date.UTC(2026, 10, 28, 10, 0, 3));
  });

  it('maps NGINX JSON field names from config', () => {
    const custom = createRecordParser({ maxRecordBytes: 1e6, nginxJsonFields: { time: 'ts', remote_addr: 'ip' } });
    const line = JSON.stringify({ ts: '2026-11-28T10:00:00Z', ip: '192.0.2.1', remote_addr: '192.0.2.1', request: 'GET / HTTP/1.1', status: 204 });
    const r = ok(custom(line, 'nginx-json')[0]).record;
    expect(r).toMatchObject({ peerIp: '192.0.2.1', status: 204, eventTimeMs: Date.UTC(2026, 10, 28, 10) });
  });

  it('reads Kong http-log with its consumer, headers and latencies', () => {
    const r = ok(parse(fx.KONG)[0]).record;
    expect(r).toMatchObject({ method: 'GET', path: '/get', query: 'apikey=kong-secret-key-123456', status: 200, latencyMs: 1921, bytesIn: 75, bytesOut: 434, peerIp: '127.0.0.1', host: 'httpbin.org', requestId: 'kong-req-1', userAgent: 'curl/7.37.1', gatewayPrincipal: { type: 'consumer', id: 'demo' } });
    expect(r.headers.authorization).toBe('Basic YWxhZGRpbjpvcGVuc2VzYW1l');
    expect(r.eventTimeMs).toBe(Date.UTC(2026, 10, 28, 10));
  });

  it('reads the Envoy default text format; the last X-Forwarded-For hop is the peer', () => {
    const r = ok(parse(fx.ENVOY_TEXT)[0]).record;
    expect(r).toMatchObject({ method: 'POST', path: '/api/v1/locations', status: 204, bytesIn: 154, bytesOut: 0, latencyMs: 226, peerIp: '10.0.35.28', forwardedFor: '', userAgent: 'nsq2http', requestId: 'cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2', host: 'locations' });
    expect(r.eventTimeMs).toBe(Date.UTC(2026, 10, 28, 10, 0, 4, 310));
  });

  it('reads Envoy JSON with a bracketed IPv6 downstream address and microsecond time', () => {
    const r = ok(parse(fx.ENVOY_JSON)[0]).record;
    expect(r).toMatchObject({ method: 'GET', path: '/productpage', query: 'user=jason', status: 200, bytesOut: 5293, latencyMs: 13, peerIp: '2001:db8::7', host: 'productpage:9080' });
    expect(r.eventTimeMs).toBe(Date.UTC(2026, 10, 28, 10, 0, 5, 123));
  });

  it('reads Traefik JSON: nanosecond durations, headers kept as request_*', () => {
    const r = ok(parse(fx.TRAEFIK)[0]).record;
    expect(r).toMatchObject({ method: 'DELETE', status: 403, latencyMs: 2.463, bytesOut: 1212, peerIp: '192.0.2.44', host: 'whoami.example.com', userAgent: 'python-requests/2.31', gateway: 'traefik/websecure' });
    expect(r.headers['x-api-key']).toBe('tk_live_0123456789abcdef0123');
    expect(r.gatewayPrincipal).toBeUndefined(); // ClientUsername "-" is nobody
  });

  it('reads AWS API Gateway access logs with the authorizer principal', () => {
    const r = ok(parse(fx.AWS_APIGW)[0]).record;
    expect(r).toMatchObject({ method: 'GET', path: '/prod/pets/42', status: 200, bytesOut: 94, latencyMs: 31, peerIp: '203.0.113.77', gateway: 'aws-apigw/a1b2c3/prod', gatewayPrincipal: { type: 'jwt_sub', id: 'user-7' }, host: 'api.example.org' });
    expect(r.eventTimeMs).toBe(Date.UTC(2026, 10, 28, 10, 0, 7));
  });

  it('unwraps Azure Event Hubs `records` into one event each', () => {
    const out = parse(fx.AZURE_APIM);
    expect(out).toHaveLength(2);
    const a = ok(out[0]).record;
    expect(a).toMatchObject({ method: 'GET', path: '/echo/resource', status: 200, bytesIn: 189, bytesOut: 1034, latencyMs: 152, peerIp: '13.66.1.2', host: 'apimservice.azure-api.net', gateway: 'azure-apim/apimservice', gatewayPrincipal: { type: 'consumer', id: 'master' } });
    expect(a.eventTimeMs).toBe(Date.UTC(2026, 10, 28, 10, 0, 8, 510));
    expect(ok(out[1]).record).toMatchObject({ status: 401, method: 'POST' });
    expect(ok(out[1]).record.gatewayPrincipal).toBeUndefined();
  });

  it('reads generic JSON through the default mapping and through a configured one', () => {
    const r = ok(parse(fx.GENERIC)[0]).record;
    expect(r).toMatchObject({ method: 'PUT', status: 500, latencyMs: 870, peerIp: '192.0.2.200', host: '', gateway: 'generic' });
    expect(r.headers['x-api-key']).toBe('generic-api-key-value-42');
    const mapped = createRecordParser({ maxRecordBytes: 1e6, genericFields: { time: 'when', url: 'req.target', status: 'res.code', method: 'req.verb' } });
    const m = ok(mapped(JSON.stringify({ when: 1795860000, req: { target: '/x?y=1', verb: 'get' }, res: { code: '204' } }), 'generic-json')[0]).record;
    expect(m).toMatchObject({ path: '/x', query: 'y=1', status: 204, method: 'GET', eventTimeMs: 1795860000000 });
  });

  it('honours a format hint over detection', () => {
    // Kong read as generic JSON has no field the generic mapping calls a time
    expect(parse(fx.KONG, 'generic-json')[0]).toMatchObject({ ok: false, reason: 'missing_field', format: 'generic-json' });
    expect(ok(parse(fx.GENERIC, 'generic-json')[0]).format).toBe('generic-json');
    const wrong = parse(fx.NGINX_COMBINED, 'kong')[0];
    expect(wrong).toMatchObject({ ok: false, reason: 'invalid_json' });
  });
});

describe('bad input is a reason, never an exception', () => {
  const cases: Array<[string, Buffer | string, string]> = [
    ['empty', '   ', 'empty'],
    ['truncated JSON', fx.KONG.slice(0, 120), 'invalid_json'],
    ['JSON array', '[1,2,3]', 'unknown_format'],
    ['JSON that is not a log', '{"hello":"world"}', 'unknown_format'],
    ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x92]), 'not_utf8'],
    ['unknown text', 'just some words that are not a log line', 'unknown_format'],
    ['wrong type', JSON.stringify({ ...JSON.parse(fx.TRAEFIK), DownstreamStatus: 'teapot' }), 'invalid_field'],
    ['negative bytes', JSON.stringify({ ...JSON.parse(fx.TRAEFIK), DownstreamContentSize: -5 }), 'invalid_field'],
    ['status out of range', fx.NGINX_COMBINED.replace(' 200 ', ' 999 '), 'invalid_field'],
    ['missing time', JSON.stringify({ ...JSON.parse(fx.KONG), started_at: null }), 'missing_field'],
    ['garbage time', JSON.stringify({ ...JSON.parse(fx.KONG), started_at: 'yesterday' }), 'invalid_field'],
    ['missing request', JSON.stringify({ started_at: 1, request: 5, latencies: {} }), 'unknown_format'],
    ['a 10 MB record', '{"a":"' + 'x'.repeat(10 * 1024 * 1024) + '"}', 'too_large'],
    ['multi-line text', 'a\nb', 'invalid_field'],
    ['mangled combined line', '1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" abc', 'invalid_field'],
  ];
  it.each(cases)('%s', (_name, input, reason) => {
    const out = parse(input);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ ok: false, reason });
    if (out[0] && !out[0].ok) expect(out[0].detail.length).toBeGreaterThan(0);
  });
});
