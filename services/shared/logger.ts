import pino, { type DestinationStream, type Logger } from 'pino';
import { createRedactor, RedactionTally, type RedactorOptions } from '../ingest/redaction/redactor.js';

/**
 * The root logger of a process. Pretty only on a TTY; JSON everywhere else.
 *
 * Invariant: no secret from a log record reaches our own log output. Record contents are
 * redacted before they are logged at all; this logger is the second net: every string in
 * every log line (message, fields, nested objects, error messages and stacks) goes through
 * the same redaction engine as ingest, with the operator's extra rules.
 */
export function createLogger(
  level: string,
  opts: { pretty?: boolean; redaction?: RedactorOptions; destination?: DestinationStream } = {},
): Logger {
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && !opts.destination);
  const scrub = createLogScrubber(opts.redaction);
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'gatewatch' },
    redact: {
      paths: ['*.authorization', '*.password', '*.fingerprintKey', '*.headers.authorization', '*.headers.cookie'],
      censor: '[REDACTED]',
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrub.text(a) : a)) as Parameters<typeof method>);
      },
    },
    formatters: { log: (obj) => scrub.value(obj, 0) as Record<string, unknown> },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

const MAX_DEPTH = 6;

export function createLogScrubber(redaction: RedactorOptions = {}) {
  // identities (PII policy) are not applied here: our logs name no client or principal
  const redactor = createRedactor({ ...redaction, pii: undefined, pseudonymize: undefined });
  const text = (s: string) => redactor.raw(s, new RedactionTally());
  function value(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return text(v);
    if (typeof v !== 'object' || v === null) return v;
    if (depth >= MAX_DEPTH) return '[too deep]';
    if (v instanceof Error) return { type: v.name, message: text(v.message), stack: v.stack ? text(v.stack) : undefined };
    if (Array.isArray(v)) return v.map((x) => value(x, depth + 1));
    if (Buffer.isBuffer(v)) return `[${v.length} bytes]`;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactor.isSecretParam(k) || redactor.isSecretHeader(k) ? '[REDACTED]' : value(x, depth + 1);
    return out;
  }
  return { text, value };
}
