/** Composition of the ingest pipeline from config: the only place its dependencies are chosen. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../schemas/config-schema.js';
import { createRecordParser } from './parsers/parse-record.js';
import { createRedactor, type Redactor } from './redaction/redactor.js';
import { createPseudonymizer, resolvePiiPolicy } from './redaction/pii.js';
import { createFingerprinter } from './enrichment/principal.js';
import { createClientIpResolver } from './normalize/client-ip.js';
import { geoLookupFrom, openGeoLookup, type GeoData } from './enrichment/geoip.js';
import { createPipeline, type ProcessRecord } from './pipeline/process-record.js';

const DAY_MS = 86_400_000;

/** Headers that already have a column, or that the parsers add for their own use. */
export const HEADERS_NOT_STORED = ['host', 'user-agent', 'x-gatewatch-aws-error'];

/**
 * The HMAC key for principal fingerprints: from config, or generated once into the data
 * directory so that fingerprints stay the same across restarts. Several workers writing one
 * cluster must share a configured key (GATEWATCH_FINGERPRINT_KEY).
 */
export function fingerprintKey(config: Config, log: Logger): string {
  if (config.fingerprintKey) return config.fingerprintKey;
  const file = join(config.dataDir, 'fingerprint.key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(config.dataDir, { recursive: true });
    const key = randomBytes(32).toString('hex');
    writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    if (config.clickhouse.url) log.warn({ file }, 'generated a local fingerprint key: set GATEWATCH_FINGERPRINT_KEY so all workers share one');
    return key;
  }
}

/**
 * @param geoData GeoIP/ASN data loaded already (shared with pipeline threads); else loaded here
 */
/** The redactor every record (and dead letter) goes through, as the configuration sets it. */
export function buildRedactor(config: Config, log: Logger, key: string = fingerprintKey(config, log)): Redactor {
  return createRedactor({
    ...config.redaction,
    pii: resolvePiiPolicy(config.redaction.privacyMode, config.redaction.pii),
    pseudonymize: createPseudonymizer(key),
    dropHeaders: HEADERS_NOT_STORED,
    // a principal field mapped to a name of the operator's own is a principal field in dead letters too
    principalFieldNames: [config.ingest.genericFields?.principal, config.ingest.nginxJsonFields?.remote_user].flatMap((path) => (path ? [path.slice(path.lastIndexOf('.') + 1)] : [])),
  });
}

export async function buildPipeline(config: Config, log: Logger, now: () => number = Date.now, geoData?: GeoData): Promise<ProcessRecord> {
  const geo = geoData ? geoLookupFrom(geoData, config.enrichment.cacheSize) : await openGeoLookup(config.enrichment);
  // one key for credential fingerprints and PII pseudonyms, so both stay stable across workers
  const key = fingerprintKey(config, log);
  return createPipeline({
    parse: createRecordParser({
      maxRecordBytes: config.ingest.maxRecordBytes,
      ...(config.ingest.nginxJsonFields ? { nginxJsonFields: config.ingest.nginxJsonFields } : {}),
      ...(config.ingest.genericFields ? { genericFields: config.ingest.genericFields } : {}),
    }),
    redactor: buildRedactor(config, log, key),
    fingerprint: createFingerprinter(key),
    resolveClientIp: createClientIpResolver(config.ingest.trustedProxies),
    geo,
    now,
    maxFutureSkewMs: config.ingest.maxFutureSkewSec * 1000,
    storeHeaders: config.ingest.storeHeaders,
    maxEventAgeMs: (config.ingest.maxEventAgeDays ?? config.clickhouse.retentionDays) * DAY_MS,
  });
}
