/**
 * Events as the text ClickHouse ingests (JSONCompactEachRow: one JSON array per line, in
 * EVENT_COLUMNS order), written into one growing byte buffer. Rows are encoded where they are
 * made (in the pipeline thread on the Kafka path) and travel as bytes from there on: no event
 * objects are kept once encoded, and the embedded engine reads the bytes without a copy.
 */
import type { NormalizedEvent } from '../../schemas/event-schema.js';
import { toStoredIp } from './normalize/client-ip.js';

/** Column order of the rows (JSONCompactEachRow has no key names on the wire). */
export const EVENT_COLUMNS = [
  'event_time', 'gateway', 'source_format', 'request_id', 'method', 'host', 'path', 'route', 'query', 'status', 'latency_ms',
  'bytes_in', 'bytes_out', 'client_ip', 'principal_type', 'principal_id', 'auth_outcome', 'user_agent', 'headers', 'country', 'city',
  'lat', 'lon', 'asn', 'as_org', 'redacted_fields',
] as const;

/** '2026-11-28T10:00:00.123Z' → '2026-11-28 10:00:00.123', the DateTime64 text form. */
const chTime = (iso: string) => iso.slice(0, 23).replace('T', ' ');

export function toCompactRow(e: NormalizedEvent): unknown[] {
  return [
    chTime(e.event_time), e.gateway, e.source_format, e.request_id, e.method, e.host, e.path, e.route, e.query, e.status, e.latency_ms,
    e.bytes_in, e.bytes_out, toStoredIp(e.client_ip), e.principal.type, e.principal.id, e.auth_outcome, e.user_agent, e.headers, e.country, e.city,
    e.lat, e.lon, e.asn, e.as_org, e.redacted_fields,
  ];
}

const NEWLINE = 10;

export class RowWriter {
  private buf: Buffer;
  private end = 0;
  rows = 0;

  constructor(initialBytes = 1 << 20) {
    // not from Node's shared pool: the buffer may be transferred to another thread whole
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** Bytes written so far: where the next row starts. */
  get offset(): number {
    return this.end;
  }

  write(e: NormalizedEvent): void {
    // JSON.stringify output is well-formed UTF-16 (lone surrogates are escaped), so the
    // UTF-8 bytes are at most three per code unit
    const line = JSON.stringify(toCompactRow(e));
    const worst = line.length * 3 + 1;
    if (this.end + worst > this.buf.length) this.grow(worst);
    this.end += this.buf.write(line, this.end, 'utf8');
    this.buf[this.end++] = NEWLINE;
    this.rows++;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.end + need));
    this.buf.copy(next, 0, 0, this.end);
    this.buf = next;
  }

  /** The rows written, as a view of the buffer (no copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.end);
  }
}
