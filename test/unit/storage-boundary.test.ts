/**
 * The storage layer is the only code that talks to ClickHouse: no module outside
 * `services/storage/` imports the client or reaches a store's raw client. (Tests and
 * benchmarks may: they check what the store holds.)
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

describe('the storage boundary', () => {
  it('no module outside services/storage imports the ClickHouse client or uses a raw client', () => {
    const outside = ['services', 'detectors', 'bin', 'schemas'].flatMap((d) => sources(join(ROOT, d))).filter((f) => !relative(ROOT, f).startsWith(join('services', 'storage')));
    expect(outside.length).toBeGreaterThan(50);
    const offenders = outside.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const found = [/from '@clickhouse\/client'/, /import\('@clickhouse\/client'\)/, /\bclient\.(query|insert|command|exec|ping)\(/, /\bstore\.client\b/, /\{[^}]*\bclient\b[^}]*\}\s*=\s*(opts\.|deps\.|rt\.)?store\b/].filter((re) => re.test(text));
      return found.map((re) => `${relative(ROOT, file)}: ${re.source}`);
    });
    expect(offenders).toEqual([]);
  });
});

describe('time across the storage boundary', () => {
  it('writes and reads ClickHouse text the same way everywhere', async () => {
    const { msToCh, isoToCh, chToMs, chToIso, microsToCh } = await import('../../services/storage/time.js');
    const ms = Date.parse('2026-11-28T10:05:07.042Z');
    expect(msToCh(ms)).toBe('2026-11-28 10:05:07.042');
    expect(isoToCh('2026-11-28T10:05:07.042Z')).toBe('2026-11-28 10:05:07.042');
    // an ISO time without milliseconds, or with an offset, is not cut into garbage
    expect(isoToCh('2026-11-28T10:05:07Z')).toBe('2026-11-28 10:05:07.000');
    expect(isoToCh('2026-11-28T11:05:07.042+01:00')).toBe('2026-11-28 10:05:07.042');
    expect(() => isoToCh('yesterday')).toThrow(/not a time/);
    expect(chToMs('2026-11-28 10:05:07.042')).toBe(ms);
    expect(chToMs('2026-11-28 10:05:07')).toBe(ms - 42);
    expect(chToIso('2026-11-28 10:05:07.042123')).toBe('2026-11-28T10:05:07.042Z');
    expect(microsToCh(ms * 1000 + 7)).toBe('2026-11-28 10:05:07.042007');
  });
});
