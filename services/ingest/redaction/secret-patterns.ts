/**
 * Credential formats recognised anywhere in a string. Invariant: every pattern is linear-time
 * on hostile input — no nested quantifiers, every repetition bounded — so a pathological
 * string costs a bounded number of steps per character, never seconds (ReDoS).
 */
export interface SecretPattern {
  /** the rule name: the `[REDACTED:type]` marker, the metric label and the config toggle */
  type: string;
  regex: RegExp;
  /** a second check on a match (Luhn and issuer prefix for card numbers) */
  verify?: (match: string) => boolean;
  /** the pattern's first capture group is context to keep (`aws_secret_access_key=`) */
  keepPrefix?: boolean;
}

/** Issuer prefixes of payment cards (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro). */
const CARD_PREFIX = /^(?:4|5[0-9]|2[2-7]|3[0-9]|6)/;

/**
 * 13–19 digits, an issuer prefix and a valid Luhn sum. The prefix check is what keeps a 13-digit
 * epoch-milliseconds timestamp (`1704164645678`) from being taken for a card one time in ten.
 */
export function luhnValid(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19 || !CARD_PREFIX.test(digits)) return false;
  if (digits.startsWith('1') || /^(\d)\1+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export const JWT_REGEX = /eyJ[A-Za-z0-9_-]{4,4096}\.eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,4096}/g;

/** Names that make the value after them a credential in free text (`password: hunter2`, `"api_key":"…"`). */
export const CREDENTIAL_WORDS = 'pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth|credentials?|session[_-]?id|sessid|client[_-]?secret|signature|sig';

export const SECRET_PATTERNS: SecretPattern[] = [
  // a key block with no END within 16 KiB (cut off, or hostile) is redacted to that bound
  { type: 'private_key', regex: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[^-]|-(?!----END)){0,16384}(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?/g },
  { type: 'jwt', regex: JWT_REGEX },
  // userinfo in a URL: https://user:password@host — the password goes, the user stays
  { type: 'url_credentials', regex: /(\b[a-z][a-z0-9+.-]{1,20}:\/\/[^/\s:@"']{1,256}:)[^/\s@"']{1,256}(?=@)/gi, keepPrefix: true },
  { type: 'slack_webhook', regex: /\bhooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{8,256}/g },
  { type: 'aws_access_key', regex: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  { type: 'aws_secret_key', regex: /(aws.{0,20}?(?:secret|key|sig).{0,20}?[=:"'\s]{1,4})[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/gi, keepPrefix: true },
  { type: 'github_token', regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { type: 'gitlab_token', regex: /\b(?:glpat|gldt|glrt|glptt|glft|glsoat)-[A-Za-z0-9_-]{20,64}\b/g },
  { type: 'slack_token', regex: /\bxox[abposre]-[A-Za-z0-9-]{10,255}\b/g },
  { type: 'stripe_key', regex: /\b(?:sk|rk|pk|whsec)_(?:live|test)_[A-Za-z0-9]{16,255}\b/g },
  { type: 'google_api_key', regex: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { type: 'npm_token', regex: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { type: 'sendgrid_key', regex: /\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}/g },
  { type: 'openai_key', regex: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}(?![A-Za-z0-9_-])/g },
  // plain 13–19 digits, or printed in groups: 4-4-4-4(-3) (most issuers), 4-6-5 / 4-6-4 (Amex, Diners);
  // a UUID's `a716-446655440000` is neither, so request ids do not pay for a Luhn check
  { type: 'card_number', regex: /(?<!\d|\d\.)(?:\d{13,19}|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,7}|\d{4}[ -]\d{6}[ -]\d{4,5})(?!\d|\.\d)/g, verify: luhnValid },
  { type: 'us_ssn', regex: /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g },
];

/**
 * Quick tests of which at least one passes wherever a built-in pattern can match: a literal
 * anchor or the shape of every pattern above. The redactor runs them before the patterns, so a
 * plain value (an Accept header, a browser User-Agent) costs a few short scans instead of one
 * per pattern. Measured: one alternation of all of them cost 5× more than these separately.
 */
export const SHAPE_TRIGGER = /-----BEGIN|eyJ|:\/\/[^/\s@]{1,256}@|hooks\.slack\.com|A[KSGIRNBC][IPSDON][AO][A-Z0-9]{16}|gh[pousr]_|github_pat_|gl[a-z]{2,4}-|xox[abposre]-|(?:sk|rk|pk|whsec)_(?:live|test)_|AIza|npm_|SG\.|sk-/;
/**
 * Could a card number or an SSN be in here? Mirrors the two patterns on runs of digits joined
 * by single separators: 13 digits in a row; four runs 4-4-4-n (the last of the first may be
 * longer); 4-6-4; 3-2-4. A superset of both patterns (a property test checks it) in one pass
 * over the characters: UUIDs and trace ids are full of digit runs, and a regex for this, or a
 * looser check, cost each of them a full scan.
 */
export function mayHoldDigitSecret(s: string): boolean {
  let run = 0;
  // lengths of the previous digit runs, each joined to the next by exactly one separator
  let p1 = -1;
  let p2 = -1;
  let p3 = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      run++;
      if (run >= 13) return true;
      if (p1 === 4 && p2 === 4 && p3 >= 4) return true; // 4-4-4-n
      if (run >= 4 && ((p1 === 6 && p2 >= 4) || (p1 === 2 && p2 >= 3))) return true; // 4-6-4, 3-2-4
      continue;
    }
    if (run > 0 && (c === 32 || c === 45)) {
      p3 = p2;
      p2 = p1;
      p1 = run;
    } else {
      p1 = p2 = p3 = -1;
    }
    run = 0;
  }
  return false;
}

/** the AWS secret key pattern needs its `aws…secret` context */
export const AWS_TRIGGER = /aws/i;

/** Words in a parameter name that make its value worth a look in free text (`pin: 1234`). */
export const NAMED_VALUE_WORDS = `${CREDENTIAL_WORDS}|key|code|pin|otp|ticket|assertion|sid|cvv|cvc|ssn|jwt|cookie|card`;
