/** A few thousand mixed-format records for the Kafka tests, each findable by a unique id. */
import * as fx from '../fixtures/gateway-logs.js';

export interface Produced {
  value: string;
  good: boolean;
  format: string;
  /** marker carried by the stored row: request_id where the format has one, else the path */
  marker: string;
}

export function mixedRecords(n: number, tag: string): Produced[] {
  const out: Produced[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${tag}-${i}`;
    switch (i % 10) {
      case 0:
        out.push({ value: `198.51.100.${i % 200} - - [28/Nov/2026:10:${String(i % 60).padStart(2, '0')}:00 +0000] "GET /n/${id}?api_key=secret-${id} HTTP/1.1" 200 ${i} "-" "k6"`, good: true, format: 'nginx-combined', marker: `/n/${id}` });
        break;
      case 1: {
        const o = JSON.parse(fx.NGINX_JSON);
        o.request_id = id;
        out.push({ value: JSON.stringify(o), good: true, format: 'nginx-json', marker: id });
        break;
      }
      case 2: {
        const o = JSON.parse(fx.KONG);
        o.request.headers['x-request-id'] = id;
        out.push({ value: JSON.stringify(o), good: true, format: 'kong', marker: id });
        break;
      }
      case 3:
        out.push({ value: fx.ENVOY_TEXT.replace('cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2', id), good: true, format: 'envoy-text', marker: id });
        break;
      case 4: {
        const o = JSON.parse(fx.ENVOY_JSON);
        o.request_id = id;
        out.push({ value: JSON.stringify(o), good: true, format: 'envoy-json', marker: id });
        break;
      }
      case 5: {
        const o = JSON.parse(fx.TRAEFIK);
        o['request_X-Request-Id'] = id;
        out.push({ value: JSON.stringify(o), good: true, format: 'traefik', marker: id });
        break;
      }
      case 6: {
        const o = JSON.parse(fx.AWS_APIGW);
        o.requestId = id;
        out.push({ value: JSON.stringify(o), good: true, format: 'aws-apigw', marker: id });
        break;
      }
      case 7: {
        const o = JSON.parse(fx.AZURE_APIM).records[0];
        o.correlationId = id;
        out.push({ value: JSON.stringify({ records: [o] }), good: true, format: 'azure-apim', marker: id });
        break;
      }
      case 8: {
        const o = JSON.parse(fx.GENERIC);
        o.request_id = id;
        out.push({ value: JSON.stringify(o), good: true, format: 'generic-json', marker: id });
        break;
      }
      default: {
        // one bad record in ten, of a different kind each time
        const bad = [`{"request": {"headers": {"authorization": "Bearer ${fx.JWT_ALICE}"}`, `\u0000\u0001 binary ${id}`, `{"started_at": "yesterday", "request": {}, "latencies": {}, "id": "${id}"}`, `plain words ${id}`][Math.floor(i / 10) % 4]!;
        out.push({ value: bad, good: false, format: 'bad', marker: id });
      }
    }
  }
  return out;
}
