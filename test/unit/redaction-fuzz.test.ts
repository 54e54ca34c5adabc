/**
 * Property tests: whatever arrives, redaction returns a string, never throws, stays linear in
 * its input, and a planted credential never survives. The time ceiling is generous (a regex
 * that backtracks catastrophically takes seconds to hours on these inputs, a linear one
 * milliseconds), so it fails only on a real ReDoS, not on a noisy machine.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRedactor, RedactionTally } from '../../services/ingest/redaction/redactor.js';
import { createPseudonymizer } from '../../services/ingest/redaction/pii.js';
import { SECRET_PATTERNS, mayHoldDigitSecret } from '../../services/ingest/redaction/secret-patterns.js';
import { createPipeline } from '../../services/ingest/pipeline/process-record.js';
import { createRecordParser } from '../../services/ingest/parsers/parse-record.js';
import { createFingerprinter } from '../../services/ingest/enrichment/principal.js';
import { createClientIpResolver } from '../../services/ingest/normalize/client-ip.js';
import { NO_GEO } from '../../services/ingest/enrichment/geoip.js';

const plain = createRedactor();
const strict = createRedactor({
  pii: { email: 'hash', clientIp: 'hash', principal: 'hash' },
  pseudonymize: createPseudonymizer('f'.repeat(32)),
  extraPatterns: [{ name: 'op', regex: '(a|aa)+b' }], // catastrophic in a backtracking engine, linear on RE2
});
const CEILING_MS = 3000;

function everyEntryPoint(input: string): string[] {
  const outs: string[] = [];
  for (const r of [plain, strict]) {
    const t = new RedactionTally();
    outs.push(r.text(input, t), r.query(input, t), r.path(input, t), r.url(input, t), r.raw(input, t));
    outs.push(r.header('authorization', input, t), r.header('cookie', input, t), r.header('referer', input, t), r.header('x-forwarded-for', input, t), r.header('x-other', input, t));
    outs.push(JSON.stringify(r.headers({ a: input, [input.slice(0, 200)]: input }, t)));
  }
  return outs;
}

/** Fragments that make naive patterns backtrack: each repeated many times, then glued together. */
const HOSTILE = [
  'a', 'A', '0', '4', '4 ', '4-', '-', '.', '%', '%2', '%25', '%E0%A4%A', '=', ':', '"', '\\"', '\\', '@', 'a@', '/', '+', ' ',
  'eyJ', 'eyJa.', 'AKIA', 'aws', 'aws_secret', 'password=', 'token:', '"token":"', '-----BEGIN PRIVATE KEY-----', 'ghp_', 'xoxb-',
  'sk_live_', 'https://', 'u:p@', '?', '&', 'a=', ';', '\uFFFD', '\u0000', '\uD800', '😀', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab',
];
const hostileString = fc
  .array(fc.tuple(fc.constantFrom(...HOSTILE), fc.integer({ min: 1, max: 4000 })), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.map(([frag, n]) => frag.repeat(n)).join(''))
  .map((s) => s.slice(0, 65_536));

describe('redaction under random and hostile input', () => {
  it('never throws and returns strings for arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 2000 }), fc.string({ unit: 'binary', maxLength: 2000 }), fc.string({ unit: 'grapheme', maxLength: 500 })), (s) => {
        for (const out of everyEntryPoint(s)) expect(typeof out).toBe('string');
      }),
      { numRuns: 400 },
    );
  });

  it('stays linear on pathological strings (no ReDoS)', () => {
    let worst = 0;
    fc.assert(
      fc.property(hostileString, (s) => {
        const t0 = performance.now();
        everyEntryPoint(s);
        const ms = performance.now() - t0;
        worst = Math.max(worst, ms);
        expect(ms).toBeLessThan(CEILING_MS);
      }),
      { numRuns: 60 },
    );
    expect(worst).toBeGreaterThan(0);
  });

  it.each([
    ['64 KiB of one token character', 'a'.repeat(65_536)],
    ['64 KiB of digits with separators', '4 '.repeat(32_768)],
    ['64 KiB of percent signs', '%'.repeat(65_536)],
    ['64 KiB of base64', 'QUJD'.repeat(16_384)],
    ['an unterminated private key', `-----BEGIN RSA PRIVATE KEY-----${'M'.repeat(65_000)}`],
    ['nested quotes', '"a":"'.repeat(13_000)],
    ['a JWT-like run without an end', `eyJ${'a'.repeat(30_000)}.eyJ${'b'.repeat(30_000)}`],
  ])('handles %s within the ceiling', (_what, s) => {
    const t0 = performance.now();
    everyEntryPoint(s);
    expect(performance.now() - t0).toBeLessThan(CEILING_MS);
  });

  it('the one-pass digit check never misses what the card and SSN patterns match', () => {
    const digitPatterns = SECRET_PATTERNS.filter((p) => p.type === 'card_number' || p.type === 'us_ssn').map((p) => new RegExp(p.regex.source));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789 -ab.'.split('')), maxLength: 60 }), (s) => {
        if (digitPatterns.some((re) => re.test(s))) expect(mayHoldDigitSecret(s)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('is idempotent: redacting a redacted string changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), hostileString.map((s) => s.slice(0, 2000))), (s) => {
        const once = plain.text(s, new RedactionTally());
        expect(plain.text(once, new RedactionTally())).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  const SECRETS: Array<[string, fc.Arbitrary<string>]> = [
    ['github', fc.stringMatching(/^[A-Za-z0-9]{36}$/).map((s) => `ghp_${s}`)],
    ['aws', fc.stringMatching(/^[A-Z0-9]{16}$/).map((s) => `AKIA${s}`)],
    ['stripe', fc.stringMatching(/^[A-Za-z0-9]{24}$/).map((s) => `sk_live_${s}`)],
    ['jwt', fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{10,40}$/), fc.stringMatching(/^[A-Za-z0-9_-]{10,40}$/)).map(([a, b]) => `eyJhbGciOiJIUzI1NiJ9.eyJ${a}.${b}`)],
    ['slack', fc.stringMatching(/^[0-9]{12}-[A-Za-z0-9]{24}$/).map((s) => `xoxb-${s}`)],
  ];

  it.each(SECRETS)('a planted %s token never survives, whatever surrounds it', (_kind, secret) => {
    const context = fc.string({ maxLength: 80 });
    fc.assert(
      fc.property(context, secret, context, fc.constantFrom(' ', '\n', '"', '=', '/', '?', ',', '(', '&'), (before, s, after, sep) => {
        const input = `${before}${sep}${s}${sep}${after}`;
        for (const r of [plain, strict]) {
          expect(r.text(input, new RedactionTally())).not.toContain(s);
          expect(r.raw(input, new RedactionTally())).not.toContain(s);
          expect(r.text(encodeURIComponent(input), new RedactionTally())).not.toContain(encodeURIComponent(s));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the whole pipeline never throws on invalid UTF-8, deep nesting, huge headers or bad encodings', () => {
    const pipeline = createPipeline({
      parse: createRecordParser({ maxRecordBytes: 1_048_576 }),
      redactor: strict,
      fingerprint: createFingerprinter('k'.repeat(32)),
      resolveClientIp: createClientIpResolver([]),
      geo: { lookup: () => NO_GEO },
      now: () => Date.UTC(2026, 10, 28, 12),
      maxFutureSkewMs: 300_000,
      maxEventAgeMs: 90 * 86_400_000,
      storeHeaders: true,
    });
    const kong = (headers: Record<string, unknown>, uri = '/x') =>
      JSON.stringify({ started_at: Date.UTC(2026, 10, 28, 11), client_ip: '198.51.100.1', request: { method: 'GET', uri, headers }, response: { status: 200 } });
    const inputs: Array<Buffer | string> = [
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0xc3, 0x28, 0x7d]),
      Buffer.concat([Buffer.from('203.0.113.1 - - [28/Nov/2026:10:00:00 +0000] "GET /a?token='), Buffer.from([0xed, 0xa0, 0x80, 0xff]), Buffer.from(' HTTP/1.1" 200 1 "-" "-"')]),
      '['.repeat(100_000) + ']'.repeat(100_000),
      `{"a":${'{"b":'.repeat(5000)}1${'}'.repeat(5000)}}`,
      kong({ authorization: `Bearer ${'x'.repeat(500_000)}`, 'x-big': 'y'.repeat(500_000) }),
      kong(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`x-h${i}`, `token=${i}`]))),
      kong({ cookie: ';'.repeat(100_000) }, `/reset/%E0%A4%A${'%'.repeat(10_000)}?q=%zz&token=%`),
    ];
    for (const input of inputs) {
      const outcomes = pipeline(input);
      expect(outcomes.length).toBeGreaterThan(0);
      const text = JSON.stringify(outcomes);
      expect(text).not.toContain('xxxxxxxxxx');
      expect(text).not.toMatch(/token=\d/);
    }
  });
});
