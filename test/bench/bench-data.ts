/** Synthetic but realistic gateway traffic for benchmarks: every format, 50k client IPs, credentials to redact. */
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
