/**
 * Credential formats recognised anywhere in a string. Every pattern is linear-time on hostile
 * input: no nested quantifiers, and every repetition is bounded.
 */
export interface SecretPattern {
  type: string;
  regex: RegExp;
  /** a second check on a match (Luhn for card numbers) */
  verify?: (match: string) => boolean;
}

export function luhnValid(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
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

export const SECRET_PATTERNS: SecretPattern[] = [
  { type: 'private_key', regex: /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[\s\S]{0,16384}?-----END [A-Z ]{0,40}PRIVATE KEY-----/g },
  { type: 'jwt', regex: JWT_REGEX },
  { type: 'aws_access_key', regex: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b/g },
  { type: 'aws_secret_key', regex: /(aws.{0,20}?(?:secret|key).{0,20}?[=:"'\s]{1,4})[A-Za-z0-9/+]{40}\b/gi },
  { type: 'github_token', regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { type: 'gitlab_token', regex: /\bglpat-[A-Za-z0-9_-]{20,64}\b/g },
  { type: 'slack_token', regex: /\bxox[abposr]-[A-Za-z0-9-]{10,255}\b/g },
  { type: 'stripe_key', regex: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,255}\b/g },
  { type: 'google_api_key', regex: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { type: 'card_number', regex: /\b\d(?:[ -]?\d){12,18}\b/g, verify: luhnValid },
  { type: 'us_ssn', regex: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
];
