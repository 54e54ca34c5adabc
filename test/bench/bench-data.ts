/** Synthetic but realistic gateway traffic for benchmarks: every format, 50k client IPs, credentials to redact. */
import type { ClickHouseClient } from '@clickhouse/client';
import * as fx from '../fixtures/gateway-logs.js';

function ip(i: number): string {
  // spread over public space; deterministic
  const x = (Math.imul(i + 1, 2654435761) >>> 0) % 3_000_000_000 + 16_777_216;
  return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

export function benchRecords(n: number, startMs = Date.now() - 3_600_000): string[] {
  const kong = JSON.parse(fx.KONG);
  const traefik = JSON.parse(fx.TRAEFIK);
  const nginxJson = JSON.parse(fx.NGINX_JSON);
  const aws = JSON.parse(fx.AWS_APIGW);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = startMs + Math.floor((i / n) * 3_600_000);
    const client = ip(i % 50_000);
    const user = `user${i % 5000}`;
    switch (i % 5) {
      case 0: {
        const d = new Date(t);
        const clf = `${String(d.getUTCDate()).padStart(2, '0')}/${d.toUTCString().slice(8, 11)}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 19)} +0000`;
        out[i] = `${client} - - [${clf}] "GET /api/v1/users/${i % 9000}/orders?page=${i % 7}&token=tk${i} HTTP/1.1" ${i % 17 === 0 ? 401 : 200} ${i % 5000} "-" "Mozilla/5.0 (X11; Linux x86_64)" "-" 0.0${i % 10}`;
        break;
      }
      case 1:
        kong.started_at = t;
        kong.client_ip = client;
        kong.request.uri = `/v2/items/${i}`;
        kong.request.headers['x-request-id'] = `r${i}`;
        kong.request.headers.authorization = `Bearer key-${i % 3000}-abcdefghijklmnop`;
        kong.consumer = i % 3 === 0 ? null : { username: user };
        kong.response.status = i % 23 === 0 ? 403 : 200;
        out[i] = JSON.stringify(kong);
        break;
      case 2:
        traefik.StartUTC = new Date(t).toISOString();
        traefik.ClientHost = client;
        traefik.RequestPath = `/admin/users/${i}`;
        out[i] = JSON.stringify(traefik);
        break;
      case 3:
        nginxJson.time_iso8601 = new Date(t).toISOString();
        nginxJson.remote_addr = client;
        nginxJson.request_id = `n${i}`;
        out[i] = JSON.stringify(nginxJson);
        break;
      default:
        aws.requestTimeEpoch = t;
        aws.ip = client;
        aws.requestId = `a${i}`;
        aws.authorizer = { principalId: user };
        out[i] = JSON.stringify(aws);
    }
  }
  return out;
}

/** What redaction sees of a Kong record with 20 request headers (see bench:redact). */
export interface KongHeaderRecord {
  path: string;
  query: string;
  requestId: string;
  host: string;
  userAgent: string;
  principal: string;
  headers: Record<string, string>;
}

const BROWSER_UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  'okhttp/4.12.0', 'python-requests/2.31.0', 'Go-http-client/2.0', 'axios/1.7.2', 'curl/8.4.0', 'PostmanRuntime/7.39.0',
];

function hex(i: number, n: number): string {
  let s = '';
  let x = Math.imul(i + 1, 2654435761) >>> 0;
  while (s.length < n) {
    x = Math.imul(x ^ (x >>> 13), 1274126177) >>> 0;
    s += x.toString(16).padStart(8, '0');
  }
  return s.slice(0, n);
}

export function kongHeaderRecord(i: number): KongHeaderRecord {
  const uuid = `${hex(i, 8)}-${hex(i + 1, 4)}-4${hex(i + 2, 3)}-a${hex(i + 3, 3)}-${hex(i + 4, 12)}`;
  const jwt = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: `user-${i % 5000}`, iat: 1764320000 + i })).toString('base64url')}.${hex(i, 43)}`;
  const ip = `${(i * 7) % 223 + 1}.${(i * 13) % 256}.${(i * 17) % 256}.${(i * 19) % 254 + 1}`;
  return {
    path: i % 10 === 0 ? `/v1/password/reset/${hex(i, 32)}` : `/v1/customers/${i % 9000}/orders/${uuid}`,
    query: i % 4 === 0 ? `page=${i % 7}&limit=50&access_token=${hex(i, 24)}` : `page=${i % 7}&limit=50&sort=-created_at&fields=id,total,status`,
    requestId: uuid,
    host: 'api.shop.example',
    userAgent: BROWSER_UAS[i % BROWSER_UAS.length]!,
    principal: `user-${i % 5000}`,
    headers: {
      host: 'api.shop.example',
      'user-agent': BROWSER_UAS[i % BROWSER_UAS.length]!,
      accept: 'application/json, text/plain, */*',
      'accept-encoding': 'gzip, deflate, br',
      'accept-language': 'en-GB,en;q=0.9,fr;q=0.8',
      'content-type': 'application/json',
      'content-length': String(100 + (i % 900)),
      authorization: `Bearer ${jwt}`,
      cookie: `_ga=GA1.2.${i}.1764320000; session=${hex(i, 40)}; theme=dark`,
      'x-request-id': uuid,
      'x-forwarded-for': `${ip}, 10.0.${i % 256}.1`,
      'x-forwarded-proto': 'https',
      'x-real-ip': ip,
      traceparent: `00-${hex(i, 32)}-${hex(i + 7, 16)}-01`,
      referer: `https://app.shop.example/orders/${uuid}?tab=items&ref=email`,
      origin: 'https://app.shop.example',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-client-version': `4.${i % 30}.${i % 10}`,
      'sec-ch-ua-platform': '"macOS"',
    },
  };
}


/**
 * `events` stored fast, written by ClickHouse itself (INSERT … SELECT; the rollup views fill as
 * it goes): evenly over the 7 days before `now`, from `entities` client IPs (10.x) and as many
 * principals, 50 routes on two gateways, 1 % failed logins, 0.5 % 5xx.
 */
export async function storeSyntheticEvents(client: ClickHouseClient, o: { events: number; entities: number; now: number }): Promise<void> {
  const span = 7 * 24 * 60 * 60; // seconds
  for (let done = 0; done < o.events; done += 1_000_000) {
    const n = Math.min(1_000_000, o.events - done);
    await client.command({
      query: `INSERT INTO events (event_time, gateway, source_format, request_id, method, host, path, route, status, latency_ms, bytes_out, client_ip, principal_type, principal_id, auth_outcome, country, lat, lon)
        SELECT toDateTime64(${Math.floor(o.now / 1000) - span - 120} + intDiv((number + ${done}) * ${span}, ${o.events}), 3, 'UTC') AS t,
          if(number % 3 = 0, 'kong/us', 'kong/eu'), 'kong', toString(number), 'GET', 'api.example',
          concat('/v1/items/', toString(number % 5000)), concat('/v1/r', toString(number % 50), '/{id}'),
          multiIf(number % 97 = 0, 401, number % 211 = 0, 500, 200), 20 + number % 7, 1000,
          toIPv6(IPv4NumToString(toUInt32(167772160 + (cityHash64(number) % ${o.entities})))), 'jwt_sub', concat('u', toString(cityHash64(number + 1) % ${o.entities})),
          if(number % 97 = 0, 'failure', 'success'), ['GB', 'US', 'FR', 'DE', 'JP'][1 + number % 5], 50.0, 0.0
        FROM numbers(${n})`,
    });
    process.stdout.write(`\r  stored ${(done + n).toLocaleString('en-US')} events`);
  }
}
