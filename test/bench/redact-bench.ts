/**
 * npm run bench:redact [-- --records N --rounds R]
 *
 * Records/s through redaction alone, on one core: Kong-style records with 20 request headers
 * (a Bearer JWT, a session cookie, a Referer with a query, trace ids, forwarded addresses…),
 * a templated path and a query string, redacted exactly as the pipeline does it (path, query,
 * every header, request id, host, User-Agent, principal). Parsing and enrichment are not in
 * the loop. Prints the median of R rounds over N distinct records, with the default rules and
 * with privacy mode on.
 */
import { cpus } from 'node:os';
import { createRedactor, RedactionTally, type Redactor } from '../../services/ingest/redaction/redactor.js';
import { createPseudonymizer } from '../../services/ingest/redaction/pii.js';
import { HEADERS_NOT_STORED } from '../../services/ingest/build-pipeline.js';
import { kongHeaderRecord, type KongHeaderRecord } from './bench-data.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('records', 50_000);
const ROUNDS = arg('rounds', 7);


function redactAll(r: Redactor, recs: KongHeaderRecord[], storeHeaders: boolean): number {
  let caught = 0;
  for (const rec of recs) {
    const t = new RedactionTally();
    r.path(rec.path, t);
    r.query(rec.query, t);
    if (storeHeaders) r.headers(rec.headers, t);
    else r.countSecretHeaders(rec.headers, t);
    r.text(rec.requestId, t);
    r.text(rec.host, t);
    r.text(rec.userAgent, t);
    r.pii.principal(r.text(rec.principal, t));
    caught += t.total;
  }
  return caught;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function bench(label: string, r: Redactor, recs: KongHeaderRecord[], storeHeaders = true): void {
  redactAll(r, recs.slice(0, 5000), storeHeaders); // warm-up: JIT, name caches
  const rates: number[] = [];
  let caught = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    caught = redactAll(r, recs, storeHeaders);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(recs.length / s);
  }
  console.log(
    `${label.padEnd(34)} median ${Math.round(median(rates)).toLocaleString('en-US').padStart(9)} records/s` +
      `  (min ${Math.round(Math.min(...rates)).toLocaleString('en-US')}, max ${Math.round(Math.max(...rates)).toLocaleString('en-US')}; ${(caught / recs.length).toFixed(1)} values redacted per record)`,
  );
}

const recs = Array.from({ length: N }, (_, i) => kongHeaderRecord(i));
console.log(`redaction benchmark: ${N.toLocaleString('en-US')} Kong-style records × 20 headers, ${ROUNDS} rounds, one thread`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
bench('default rules', createRedactor({ dropHeaders: HEADERS_NOT_STORED }), recs);
bench('headers not stored (storeHeaders: false)', createRedactor({ dropHeaders: HEADERS_NOT_STORED }), recs, false);
bench('privacy mode (IPs, e-mails, principals hashed)', createRedactor({ dropHeaders: HEADERS_NOT_STORED, pii: { email: 'hash', clientIp: 'hash', principal: 'hash' }, pseudonymize: createPseudonymizer('b'.repeat(32)) }), recs);
