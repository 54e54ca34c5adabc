import { describe, expect, it } from 'vitest';
import { createRedactor, RedactionTally } from '../../services/ingest/redaction/redactor.js';
import { createFingerprinter } from '../../services/ingest/enrichment/principal.js';
import { createPseudonymizer, maskIp, resolvePiiPolicy } from '../../services/ingest/redaction/pii.js';
import { createPrincipalScrubber } from '../../services/ingest/redaction/principal-fields.js';
import { REDACTION_RULES } from '../../schemas/redaction-schema.js';
import { luhnValid } from '../../services/ingest/redaction/secret-patterns.js';
import { createLogger } from '../../services/shared/logger.js';
import { kafkajsMessage } from '../../services/ingest/ingest-role.js';

const r = createRedactor();
const run = (f: (s: string, t: RedactionTally) => string, s: string) => {
  const tally = new RedactionTally();
  return { out: f(s, tally), tally };
};
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImlhdCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

describe('redaction: credential shapes anywhere in a string', () => {
  it.each([
    ['jwt', `see ${JWT} here`, 'see [REDACTED:jwt] here'],
    ['aws_access_key', 'id AKIAIOSFODNN7EXAMPLE ok', 'id [REDACTED:aws_access_key] ok'],
    ['aws_secret_key', 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key=[REDACTED:aws_secret_key]'],
    ['github_token', `t ghp_${'a1'.repeat(18)}`, 't [REDACTED:github_token]'],
    ['github fine-grained', `github_pat_${'A'.repeat(22)}_${'b'.repeat(59)}`, '[REDACTED:github_token]'],
    ['gitlab_token', 'glpat-abcdefghij0123456789', '[REDACTED:gitlab_token]'],
    ['slack_token', 'xoxb-123456789012-1234567890123-abcdefghijkl', '[REDACTED:slack_token]'],
    ['slack_webhook', 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX', 'https://[REDACTED:slack_webhook]'],
    ['stripe_key', `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`, '[REDACTED:stripe_key]'],
    ['google_api_key', 'AIzaSyA-1234567890abcdefghijklmnopqrstu', '[REDACTED:google_api_key]'],
    ['npm_token', `npm_${'x'.repeat(36)}`, '[REDACTED:npm_token]'],
    ['sendgrid_key', 'SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', '[REDACTED:sendgrid_key]'],
    ['openai_key', 'sk-proj-abcdefghijklmnopqrstuvwxyz012345', '[REDACTED:openai_key]'],
    ['private_key', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', '[REDACTED:private_key]'],
    ['private key cut off', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk', '[REDACTED:private_key]'],
    ['url_credentials', 'https://bob:s3cr3t@db.example.com/x', 'https://bob:[REDACTED:url_credentials]@db.example.com/x'],
    ['visa with spaces', 'card 4111 1111 1111 1111.', 'card [REDACTED:card_number].'],
    ['mastercard with dashes', '5555-5555-5555-4444', '[REDACTED:card_number]'],
    ['amex', '378282246310005', '[REDACTED:card_number]'],
    ['us_ssn', 'ssn 123-45-6789', 'ssn [REDACTED:us_ssn]'],
    ['password in free text', 'login failed password: hunter2 for bob', 'login failed password: [REDACTED:generic_secret] for bob'],
    ['quoted value with spaces', '{"client_secret": "two words"}', '{"client_secret": "[REDACTED:generic_secret]"}'],
    ['Authorization line', 'Authorization: Bearer abc.def', 'Authorization: [REDACTED:authorization]'],
    ['Cookie line', 'cookie=sid=1; theme=dark', 'cookie=[REDACTED:cookie]'],
    ['double URL-encoded', encodeURIComponent(encodeURIComponent(`token=ghp_${'c'.repeat(36)}`)), '[REDACTED:encoded]'],
    ['base64-wrapped', `data=${Buffer.from('{"password":"opensesame99"}').toString('base64')}`, 'data=[REDACTED:encoded]'],
    ['base64url-wrapped JWT', Buffer.from(`Bearer ${JWT}`).toString('base64url'), '[REDACTED:encoded]'],
    ['a URL inside a value', 'next=https://x.example/cb?code=abc123', 'next=https://x.example/cb?code=[REDACTED:generic_secret]'],
  ])('%s', (type, input, expected) => {
    const { out, tally } = run(r.text, input);
    expect(out).toBe(expected);
    expect(tally.total).toBeGreaterThan(0);
    if ((REDACTION_RULES as readonly string[]).includes(type)) expect(tally.byType.get(type)).toBeGreaterThan(0);
  });

  it.each([
    ['a browser User-Agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'],
    ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
    ['an upper-case UUID', '550E8400-E29B-41D4-A716-446655440000'],
    ['an order id', 'ORD-2024-000123'],
    ['an ISO timestamp', '2024-01-02T03:04:05.678Z'],
    ['epoch milliseconds', '1704164645678'],
    ['epoch nanoseconds', '1704164645678123456'],
    ['a version string', 'v2.14.3-rc.1+build.5'],
    ['a W3C traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['a sha256 hex digest', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['harmless names with secret-ish letters', 'design=blue monkey=1 author=ann tokenizer=bert'],
    ['a phone-like number', '+1 415 555 0100'],
    ['an e-mail (kept by default)', 'alice@example.com'],
  ])('leaves %s alone', (_what, input) => {
    const { out, tally } = run(r.text, input);
    expect(out).toBe(input);
    expect(tally.total).toBe(0);
  });

  it('pre-checks digit shapes: cards and SSNs pass, UUIDs and trace ids do not', async () => {
    const { mayHoldDigitSecret } = await import('../../services/ingest/redaction/secret-patterns.js');
    for (const yes of ['4111 1111 1111 1111', 'x4111-1111-1111-1', '3782 822463 10005', '123-45-6789', '1704164645678']) expect(mayHoldDigitSecret(yes), yes).toBe(true);
    for (const no of ['ab3e0438-2295-4591-a286-85935ced6a42', '550e8400-e29b-41d4-a716-446655440000', '2024-01-02T03:04:05Z', '10.0.3.1, 203.0.113.9', 'v2.14.3']) expect(mayHoldDigitSecret(no), no).toBe(false);
  });

  it('checks cards by issuer prefix and Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('1704164645670')).toBe(false); // Luhn-valid epoch ms: no issuer starts with 1
    expect(luhnValid('0000000000000000')).toBe(false);
  });
});

describe('redaction: by position', () => {
  it.each([
    ['Bearer', 'authorization', `Bearer ${JWT}`, 'Bearer [REDACTED:authorization]'],
    ['Basic', 'authorization', 'Basic YWxpY2U6aHVudGVyMg==', 'Basic [REDACTED:authorization]'],
    ['Digest', 'authorization', 'Digest username="alice", realm="api", nonce="abc", response="6629fae49393a05397450978507c4ef1"', 'Digest [REDACTED:authorization]'],
    ['AWS SigV4', 'authorization', 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, Signature=fe5f80f77d5fa3', 'AWS4-HMAC-SHA256 [REDACTED:authorization]'],
    ['HMAC', 'authorization', 'hmac username="alice", algorithm="hmac-sha256", headers="date", signature="ujWCGHeec9Xd6UD2zlyxiNMCiXnDOWeVFMu5VeRUxtw="', 'hmac [REDACTED:authorization]'],
    ['a bare token', 'authorization', 'abc123', '[REDACTED:authorization]'],
    ['Proxy-Authorization', 'Proxy-Authorization', 'Basic Zm9vOmJhcg==', 'Basic [REDACTED:authorization]'],
    ['Cookie', 'cookie', 'session=abc; theme=dark', 'session=[REDACTED:cookie]; theme=[REDACTED:cookie]'],
    ['Set-Cookie', 'set-cookie', 'sid=abc123; Path=/; HttpOnly', 'sid=[REDACTED:cookie]; Path=/; HttpOnly'],
    ['X-API-Key', 'X-API-Key', 'k-123', '[REDACTED:header]'],
    ['a *-token header', 'x-session-token', 'abc', '[REDACTED:header]'],
    ['an APIM subscription key', 'Ocp-Apim-Subscription-Key', 'abc', '[REDACTED:header]'],
    ['a Referer with a token', 'referer', 'https://app.example.com/cb?state=1&access_token=abc#id_token=x', 'https://app.example.com/cb?state=1&access_token=[REDACTED:param]#id_token=[REDACTED:param]'],
    ['an ordinary header holding a JWT', 'x-debug', `t=${JWT}`, 't=[REDACTED:jwt]'],
  ])('header: %s', (_what, name, value, expected) => {
    expect(run((v, t) => r.header(name, v, t), value).out).toBe(expected);
  });

  it.each([
    ['x-consumer-username', 'alice'],
    ['www-authenticate', 'Bearer realm="api"'],
    ['accept', 'application/json'],
    ['x-request-id', '550e8400-e29b-41d4-a716-446655440000'],
  ])('keeps the non-secret header %s', (name, value) => {
    expect(run((v, t) => r.header(name, v, t), value).out).toBe(value);
  });

  it.each([
    ['password', 'user=bob&password=hunter2', 'user=bob&password=[REDACTED:param]'],
    ['api_key and key', 'api_key=abc&key=def', 'api_key=[REDACTED:param]&key=[REDACTED:param]'],
    ['OAuth', 'code=xyz&state=s1&client_secret=cs', 'code=[REDACTED:param]&state=s1&client_secret=[REDACTED:param]'],
    ['signed URLs', 'X-Amz-Signature=abc&X-Amz-Credential=AKIA%2F2024&expires=1', 'X-Amz-Signature=[REDACTED:param]&X-Amz-Credential=[REDACTED:param]&expires=1'],
    ['camelCase and glued names', 'accessToken=a&apiKey=b&dbPassword=c', 'accessToken=[REDACTED:param]&apiKey=[REDACTED:param]&dbPassword=[REDACTED:param]'],
    ['an encoded name', 'access%5Ftoken=abc', 'access%5Ftoken=[REDACTED:param]'],
    ['array syntax', 'token[]=a&token[]=b', 'token[]=[REDACTED:param]&token[]=[REDACTED:param]'],
    ['a redirect carrying a token', 'next=https%3A%2F%2Fx%2Fcb%3Ftoken%3Dabc', 'next=[REDACTED:encoded]'],
    ['ordinary parameters', 'page=2&sort=name&order_id=ORD-1&ts=1704164645678', 'page=2&sort=name&order_id=ORD-1&ts=1704164645678'],
    ['invalid percent-encoding', 'q=%E0%A4%A&token=%zz', 'q=%E0%A4%A&token=[REDACTED:param]'],
  ])('query: %s', (_what, input, expected) => {
    expect(run(r.query, input).out).toBe(expected);
  });

  it.each([
    ['/reset/<token>', '/reset/a1b2c3d4e5f6g7h8/confirm', '/reset/[REDACTED:path_token]/confirm'],
    ['/key/<api-key>', '/v1/keys/Zx9KqLmN3pRtVwXy', '/v1/keys/[REDACTED:path_token]'],
    ['a token shape in any segment', `/files/${JWT}`, '/files/[REDACTED:jwt]'],
    ['a matrix session parameter', '/cart;jsessionid=ABCDEF123', '/cart;jsessionid=[REDACTED:param]'],
    ['an ordinary keys listing', '/v1/keys/primary', '/v1/keys/primary'],
    ['ids and UUIDs', '/users/42/orders/550e8400-e29b-41d4-a716-446655440000', '/users/42/orders/550e8400-e29b-41d4-a716-446655440000'],
  ])('path: %s', (_what, input, expected) => {
    expect(run(r.path, input).out).toBe(expected);
  });

  it('redacts a dead letter: JSON fields, escaped JSON, parameters and header lines', () => {
    const raw = '{"headers":{"authorization":"Bearer abc","x":"{\\"password\\":\\"p@ss w\\"}"},"url":"/a?apikey=k1" broken';
    const { out } = run(r.raw, raw);
    expect(out).not.toMatch(/Bearer abc|p@ss|k1"/);
    expect(out).toContain('"authorization":"[REDACTED:authorization]"');
    expect(out).toContain('apikey=[REDACTED:param]');
  });
});

describe('redaction: configuration', () => {
  it('turns a rule off', () => {
    const noSsn = createRedactor({ rules: { us_ssn: false } });
    expect(run(noSsn.text, 'ssn 123-45-6789').out).toBe('ssn 123-45-6789');
  });

  it('adds header words, parameter names and RE2 patterns', () => {
    const custom = createRedactor({ extraHeaderNames: ['x-tenant-pin'], extraParamNames: ['voucher'], extraPatterns: [{ name: 'acme_key', regex: 'ACME-[0-9]{6}' }] });
    expect(run((v, t) => custom.header('X-Tenant-Pin', v, t), '1234').out).toBe('[REDACTED:header]');
    expect(run(custom.query, 'voucher=V-1&a=1').out).toBe('voucher=[REDACTED:param]&a=1');
    const { out, tally } = run(custom.text, 'order ACME-123456 done, voucher: V-9');
    expect(out).toBe('order [REDACTED:acme_key] done, voucher: [REDACTED:generic_secret]');
    expect(tally.byType.get('acme_key')).toBe(1);
  });
});

describe('keyed fingerprints stay the same across releases', () => {
  // stored principal ids and pseudonyms are these values: a change would split every identity in two
  it('fp: + the first 32 hex digits of HMAC-SHA256(key, credential); pseudonyms HMAC-SHA256(key, kind NUL value)', () => {
    expect(createFingerprinter('k'.repeat(32))('sk_live_4eC39HqLyjWDarjtT1zdp7dc')).toBe('fp:771f3c345c875612c859cf249bdf2e7e');
    expect(createFingerprinter('kéy-ünïcode')('t')).toBe('fp:5a02d6fc9dad6bdecad023df12819dc7');
    expect(createPseudonymizer('p'.repeat(32))('ip', '203.0.113.7').toString('hex')).toBe('47e91f9ef050ef8b09ac0232bcb857adefbc65e9f2e908f46729d73c7675b35a');
  });
});

describe('redaction: PII policy', () => {
  const pseudonymize = createPseudonymizer('p'.repeat(32));
  const hashing = createRedactor({ pii: resolvePiiPolicy(true, { email: 'keep', clientIp: 'keep', principal: 'keep' }), pseudonymize });
  const masking = createRedactor({ pii: { email: 'mask', clientIp: 'mask', principal: 'keep' } });

  it('keeps identities readable by default', () => {
    expect(r.pii.ip('203.0.113.9')).toBe('203.0.113.9');
    expect(r.pii.principal('alice')).toBe('alice');
  });

  it('privacy mode pseudonymises e-mails, addresses and principals, stably and keyed', () => {
    const e1 = run(hashing.text, 'mail alice@example.com').out;
    expect(e1).toMatch(/^mail \[email:[0-9a-f]{16}\]$/);
    expect(run(hashing.text, 'mail ALICE@example.com').out).toBe(e1);
    const ip = hashing.pii.ip('203.0.113.9');
    expect(ip).toMatch(/^fd[0-9a-f]{2}:/);
    expect(hashing.pii.ip('203.0.113.9')).toBe(ip);
    expect(hashing.pii.ip('203.0.113.10')).not.toBe(ip);
    expect(hashing.pii.principal('alice')).toMatch(/^pn:[0-9a-f]{32}$/);
    expect(hashing.pii.principal('fp:abc')).toBe('fp:abc');
    const other = createRedactor({ pii: { email: 'hash', clientIp: 'hash', principal: 'hash' }, pseudonymize: createPseudonymizer('q'.repeat(32)) });
    expect(other.pii.ip('203.0.113.9')).not.toBe(ip);
    expect(run((v, t) => hashing.header('x-forwarded-for', v, t), '203.0.113.9, 10.0.0.1:8080').out).not.toMatch(/203\.0\.113\.9|10\.0\.0\.1/);
    expect(run(hashing.raw, 'garbage from 198.51.100.7 and 2001:db8::1').out).not.toMatch(/198\.51\.100\.7|2001:db8::1/);
  });

  it('masks e-mails and addresses to a network', () => {
    expect(run(masking.text, 'alice@example.com').out).toBe('a***@example.com');
    expect(masking.pii.ip('203.0.113.9')).toBe('203.0.113.0');
    expect(maskIp('2001:db8:1234:5678::1')).toBe('2001:db8:1234::');
    expect(maskIp('::ffff:203.0.113.9')).toBe('::ffff:203.0.113.0');
  });

  it('privacy mode pseudonymises principals in dead letters as the events table would, in every shape a broken record has', () => {
    const pn = (id: string) => hashing.pii.principal(run(hashing.text, id).out);
    const cases: Array<[string, string, string]> = [
      // a Kong record cut off after the consumer: every value of the consumer object goes
      ['{"consumer":{"id":"4b1c-consumer-uuid","username":"alice.k","custom_id":"cust-77"},"request":{"uri":"/x', 'alice.k', 'cust-77'],
      // generic JSON with an e-mail as the user: the pseudonym of its [email:…] form, as in events
      ['{"user": "carol@example.com", "status": "not a number"}', 'carol@example.com', 'carol'],
      // AWS: the authorizer principal, the claims' sub, a numeric user id
      ['{"authorizer":{"principalId":"user-7781","claims":{"sub":"5f0c-sub"}},"user_id":991234,"requestTime":', 'user-7781', '5f0c-sub'],
      // NGINX combined with a broken tail: $remote_user
      ['192.0.2.1 - dave.w [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" broken', 'dave.w', 'dave.w'],
      // JSON escaped inside a string, and name=value text
      ['{"message":"{\\"username\\":\\"erin.x\\"}", "note":"login failed user=frank.z"}', 'erin.x', 'frank.z'],
      // Traefik, APIM (a value cut off at the end counts too)
      ['{"ClientUsername":"gina.q","properties":{"userId":"hank.r', 'gina.q', 'hank.r'],
    ];
    for (const [record, who, alsoGone] of cases) {
      const out = run(hashing.raw, record).out;
      expect(out, record).not.toContain(who);
      expect(out, record).not.toContain(alsoGone);
      if (!who.includes('@')) expect(out, record).toContain(pn(who));
    }
    expect(run(hashing.raw, '{"user": "carol@example.com"}').out).toBe(`{"user": "${pn('carol@example.com')}"}`);
    expect(pn('carol@example.com')).toBe(hashing.pii.principal(run(hashing.text, 'carol@example.com').out));
    expect(run(hashing.raw, '{"user_id":991234}').out).toBe(`{"user_id":"${pn('991234')}"}`);
    // what the pipeline found in the record goes wherever it appears; other fields stay
    const known = hashing.raw('{"who":"ivan-9","path":"/orders/42","x":"ivan-9s"}', new RedactionTally(), ['ivan-9']);
    expect(known).toBe(`{"who":"${pn('ivan-9')}","path":"/orders/42","x":"ivan-9s"}`);
    // nothing changes without a policy that hashes principals
    expect(run(r.raw, '{"user":"carol.k","consumer":{"username":"alice.k"}}').out).toBe('{"user":"carol.k","consumer":{"username":"alice.k"}}');
    expect(run(hashing.raw, '{"user":"-","consumer":{"username":""}}').out).toBe('{"user":"-","consumer":{"username":""}}');
  });

  it('the principal scrubber reads configured field names, flattened keys, and leaves pseudonyms and markers as they are', () => {
    const scrub = createPrincipalScrubber({ extraNames: ['actor'], pseudonym: (id) => `pn:${Buffer.from(id).toString('hex').padEnd(32, '0').slice(0, 32)}` });
    expect(scrub('{"actor":"jo"}')).toBe('{"actor":"pn:6a6f0000000000000000000000000000"}');
    expect(scrub('{"authorizer.principalId":"jo"}')).toBe('{"authorizer.principalId":"pn:6a6f0000000000000000000000000000"}');
    expect(scrub('{"actor2":"jo","path":"/u/jo"}')).toBe('{"actor2":"jo","path":"/u/jo"}');
    expect(scrub('{"user":"[REDACTED:jwt]","sub":"fp:0123456789abcdef0123456789abcdef"}')).toBe('{"user":"[REDACTED:jwt]","sub":"fp:0123456789abcdef0123456789abcdef"}');
    expect(scrub('user: "jo" and USERNAME=jo')).toBe('user: "pn:6a6f0000000000000000000000000000" and USERNAME=pn:6a6f0000000000000000000000000000');
  });

  it('refuses a hashing policy without a key', () => {
    expect(() => createRedactor({ pii: { email: 'hash', clientIp: 'keep', principal: 'keep' } })).toThrow(/pseudonymizer/);
  });
});

describe('redaction: headers to store', () => {
  it('keeps names, bounds the count and redacts every value', () => {
    const many: Record<string, string> = { authorization: 'Bearer x', accept: 'application/json' };
    for (let i = 0; i < 100; i++) many[`x-h${i}`] = `v${i}`;
    const tally = new RedactionTally();
    const out = createRedactor({ dropHeaders: ['accept'] }).headers(many, tally);
    expect(out.authorization).toBe('Bearer [REDACTED:authorization]');
    expect(out.accept).toBeUndefined();
    expect(Object.keys(out).length).toBe(64);
  });
});

describe('redaction: our own logs of Kafka client messages', () => {
  const logged = (message: string) => {
    const lines: string[] = [];
    createLogger('info', { destination: { write: (s: string) => void lines.push(s) }, pretty: false }).warn(kafkajsMessage(message));
    return String((JSON.parse(lines[0]!) as { msg: string }).msg);
  };

  it('keeps a protocol request readable: its Kafka API number is not a secret', () => {
    expect(logged('Response InitProducerId(key: 22, version: 1)')).toBe('Response InitProducerId (Kafka API 22, version 1)');
    expect(logged('Request Fetch(key: 1, version: 11)')).toBe('Request Fetch (Kafka API 1, version 11)');
  });

  it('still scrubs a credential the client puts in a message', () => {
    const msg = logged('SASL PLAIN authentication failed for password=Sup3rS3cretPassw0rd key: AKIAIOSFODNN7EXAMPLE');
    expect(msg).not.toContain('Sup3rS3cretPassw0rd');
    expect(msg).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });
});
