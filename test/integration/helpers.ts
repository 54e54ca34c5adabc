import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { validateConfig } from '../../services/shared/config.js';
import type { Config } from '../../schemas/config-schema.js';

export const silentLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function tmpDir(prefix = 'gw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function testConfig(overrides: Record<string, unknown> = {}): Config {
  const base = { dataDir: tmpDir(), port: 0, logLevel: 'silent', fingerprintKey: 'test-fingerprint-key-0123456789abcdef' };
  return validateConfig(deepMerge(base, overrides));
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur) ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Waits on a condition (a signal), never on a fixed sleep; fails with the last value seen. */
export async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: T | undefined;
  for (let i = 0; ; i++) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** Math.min(i, 4), 500)));
  }
}
