/**
 * Every redaction rule by name. A name is at once the `[REDACTED:name]` marker, the
 * `gatewatch_redactions_total{type}` label and the config toggle (`redaction.rules.<name>`).
 */
export const REDACTION_RULES = [
  // by position: the name of the header, parameter or path segment decides
  'authorization', 'cookie', 'header', 'param', 'path_token', 'generic_secret',
  // by shape, anywhere in a string
  'private_key', 'jwt', 'url_credentials', 'slack_webhook', 'aws_access_key', 'aws_secret_key', 'github_token', 'gitlab_token',
  'slack_token', 'stripe_key', 'google_api_key', 'npm_token', 'sendgrid_key', 'openai_key', 'card_number', 'us_ssn',
  // URL-encoded, double-encoded and base64-wrapped secrets
  'encoded',
] as const;

export type RedactionRule = (typeof REDACTION_RULES)[number];

/** What happens to an identity (e-mail address, client IP) under the PII policy. */
export const PII_ACTIONS = ['keep', 'hash', 'mask'] as const;
export type PiiAction = (typeof PII_ACTIONS)[number];
