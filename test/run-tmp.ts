/**
 * One temporary folder per test or benchmark run: every process of the run (the runner, its
 * forks, the services and the broker they start) writes its temporary files under it (chDB data
 * directories, broker logs, code bundles), and it is removed when the run ends. Without it each
 * run left its data directories in the system's temporary folder: tens of gigabytes after a
 * few hundred runs.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** @param opts.signals exit on SIGINT/SIGTERM so that the folder goes too (not for a runner that handles them itself) */
export function useRunTmpDir(prefix: string, opts: { signals?: boolean } = {}): string {
  // a process of a run that has its folder already (a test fork, a benchmark's own child) keeps
  // it: no nesting (Chromium refuses a profile whose socket path passes ~100 characters)
  const inherited = process.env.GATEWATCH_RUN_TMP;
  if (inherited && existsSync(inherited)) return inherited;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.env.GATEWATCH_RUN_TMP = dir;
  // os.tmpdir() reads TMPDIR on every call, here and in every child process started after this
  process.env.TMPDIR = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  if (opts.signals) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  return dir;
}
