/**
 * The ingest pipeline for one raw record: parse → check time → resolve client IP → find the
 * principal → redact → template the route → enrich. Pure given its dependencies and the
 * clock; returns outcomes (`ok` events and `dlq` rejections), never throws, never mutates
 * its input. Kafka, HTTP and replay all call this same function.
 */
import type { LogFormat } from '../../../schemas/config-schema.js';
import type { NormalizedEvent, ParsedRecord } from '../../../schemas/event-schema.js';
import type { RecordParser } from '../parsers/parse-record.js';
import type { RejectReason } from '../parsers/parse-result.js';
import { RedactionTally, type Redactor } from '../redaction/redactor.js';
import { routeTemplate } from '../normalize/route-template.js';
import { authOutcome, extractPrincipal, type Fingerprinter } from '../enrichment/principal.js';
import type { GeoLookup } from '../enrichment/geoip.js';

export interface PipelineDeps {
  parse: RecordParser;
  redactor: Redactor;
  fingerprint: Fingerprinter;
  resolveClientIp: (peerIp: string, forwardedFor: string) => string;
  geo: GeoLookup;
  now: () => number;
  maxFutureSkewMs: number;
  maxEventAgeMs: number;
  /** keep the (redacted) request headers on the event */
  storeHeaders: boolean;
}

export interface DeadLetter {
  reason: RejectReason;
  detail: string;
  /** the raw record, redacted and cut to a bounded size */
  record: string;
  format?: LogFormat;
}

export type RecordOutcome =
  | { kind: 'ok'; event: NormalizedEvent; format: LogFormat; redactions: Map<string, number> }
  | { kind: 'dlq'; letter: DeadLetter };

const MAX_DLQ_RECORD_CHARS = 65_536;
const MAX_FIELD_CHARS = 8192;

const clip = (s: string, n = MAX_FIELD_CHARS) => (s.length > n ? s.slice(0, n) : s);

/**
 * A refused record as a dead letter: its text (invalid bytes as U+FFFD) cut to a bounded size
 * and redacted like everything else, the detail too.
 * @param principals who the record names, when it was read before it was refused (pseudonymised under privacy mode)
 */
export function makeDeadLetter(redactor: Redactor, raw: Buffer | string, reason: RejectReason, detail: string, format?: LogFormat, principals: string[] = []): DeadLetter {
  const text = typeof raw === 'string' ? clip(raw, MAX_DLQ_RECORD_CHARS) : raw.subarray(0, MAX_DLQ_RECORD_CHARS * 4).toString('utf8').slice(0, MAX_DLQ_RECORD_CHARS);
  const tally = new RedactionTally();
  const letter: DeadLetter = { reason, detail: redactor.raw(clip(detail, 1024), tally, principals), record: redactor.raw(text, tally, principals) };
  if (format) letter.format = format;
  return letter;
}

export function createPipeline(deps: PipelineDeps) {
  function deadLetter(raw: Buffer | string, reason: RejectReason, detail: string, format?: LogFormat, principals: string[] = []): RecordOutcome {
    return { kind: 'dlq', letter: makeDeadLetter(deps.redactor, raw, reason, detail, format, principals) };
  }

  function normalize(rec: ParsedRecord, format: LogFormat): RecordOutcome | string {
    const now = deps.now();
    if (rec.eventTimeMs > now + deps.maxFutureSkewMs) return `event time ${new Date(rec.eventTimeMs).toISOString()} is in the future`;
    if (rec.eventTimeMs < now - deps.maxEventAgeMs) return `event time ${new Date(rec.eventTimeMs).toISOString()} is older than the retention window`;

    const principal = extractPrincipal(rec, deps.fingerprint);
    const tally = new RedactionTally();
    const { redactor } = deps;
    const path = redactor.path(clip(rec.path), tally);
    const query = redactor.query(clip(rec.query), tally);
    // headers not stored are only counted: each secret one the gateway logged still counts as caught
    const headers = deps.storeHeaders ? redactor.headers(rec.headers, tally) : redactor.countSecretHeaders(rec.headers, tally);
    const clientIp = deps.resolveClientIp(rec.peerIp, rec.forwardedFor);
    const geo = deps.geo.lookup(clientIp); // on the real address: a pseudonymised one has no place
    const event: NormalizedEvent = {
      event_time: new Date(rec.eventTimeMs).toISOString(),
      gateway: clip(rec.gateway, 256),
      source_format: format,
      request_id: redactor.text(clip(rec.requestId, 256), tally),
      method: clip(rec.method, 16),
      host: redactor.text(clip(rec.host, 256), tally),
      path,
      route: routeTemplate(path),
      query,
      status: rec.status,
      latency_ms: rec.latencyMs,
      bytes_in: Math.round(rec.bytesIn),
      bytes_out: Math.round(rec.bytesOut),
      client_ip: redactor.pii.ip(clientIp),
      principal: { type: principal.type, id: redactor.pii.principal(redactor.text(clip(principal.id, 256), tally)) },
      auth_outcome: authOutcome(rec.status, principal, rec),
      user_agent: redactor.text(clip(rec.userAgent, 1024), tally),
      headers,
      ...geo,
      redacted_fields: Math.min(tally.total, 65_535),
    };
    return { kind: 'ok', event, format, redactions: tally.byType };
  }

  function processRecord(raw: Buffer | string, hint: LogFormat | 'auto' = 'auto'): RecordOutcome[] {
    return deps.parse(raw, hint).map((outcome) => {
      if (!outcome.ok) return deadLetter(raw, outcome.reason, outcome.detail, outcome.format);
      const result = normalize(outcome.record, outcome.format);
      if (typeof result !== 'string') return result;
      return deadLetter(raw, 'timestamp_out_of_range', result, outcome.format, [extractPrincipal(outcome.record, deps.fingerprint).id]);
    });
  }
  /** a whole submission refused before its records were read (too deep, too many): one dead letter */
  processRecord.refuse = (raw: Buffer | string, reason: RejectReason, detail: string): DeadLetter => makeDeadLetter(deps.redactor, raw, reason, detail);
  return processRecord;
}

export type ProcessRecord = ReturnType<typeof createPipeline>;
