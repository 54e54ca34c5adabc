import pino, { type Logger } from 'pino';

/**
 * The root logger of a process. Pretty only on a TTY; JSON everywhere else. Redact paths
 * are a second net: record contents are redacted before they are logged at all.
 */
export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  return pino({
    level,
    base: { service: 'gatewatch' },
    redact: {
      paths: ['*.authorization', '*.password', '*.fingerprintKey', '*.headers.authorization', '*.headers.cookie'],
      censor: '[REDACTED]',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}

export type { Logger };
