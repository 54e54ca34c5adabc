/**
 * How the code runs without a TypeScript loader: the CLI and the pipeline threads start from
 * esbuild bundles in a private temporary folder (services/shared/module-bundle.mjs). The CLI must answer the same
 * from its bundle as through tsx's loader, a stack trace must still name the TypeScript
 * source, and a bundle that cannot be built must leave ingest running through the loader.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOADER_ENTRY, pipelineThreadModule } from '../../services/ingest/pipeline-thread-module.js';
import { sweepStaleBundleDirs } from '../../services/shared/module-bundle.mjs';
import { tmpDir } from './helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gatewatch.js');

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, GATEWATCH_DATA_DIR: tmpDir('gw-bundle-'), GATEWATCH_LOG_LEVEL: 'warn', ...env } });
}

describe('bundled code', () => {
  it('the CLI answers the same from its bundle and through the TypeScript loader', () => {
    const sql = ['query', "SELECT count() AS tables FROM system.tables WHERE database = 'gatewatch' AND name LIKE 'rollup_%' FORMAT TSV"];
    const bundled = cli(sql);
    const loader = cli(sql, { GATEWATCH_TS_LOADER: '1' });
    expect(bundled.status, bundled.stderr).toBe(0);
    expect(loader.status, loader.stderr).toBe(0);
    expect(bundled.stdout.trim()).toBe('16'); // eight rollups and their views
    expect(loader.stdout).toBe(bundled.stdout);
    // a refused value is reported the same way, with the same exit code
    const bad = cli(['query', 'SELECT 1'], { GATEWATCH_PIPELINE_THREADS: 'many' });
    const badLoader = cli(['query', 'SELECT 1'], { GATEWATCH_PIPELINE_THREADS: 'many', GATEWATCH_TS_LOADER: '1' });
    expect(bad.status).toBe(78);
    expect(bad.stderr).toContain('GATEWATCH_PIPELINE_THREADS');
    expect(badLoader.status).toBe(78);
    expect(badLoader.stderr).toBe(bad.stderr);
  });

  it('a stack trace from a bundle names the TypeScript file it came from', () => {
    const bundler = new URL('../../services/shared/module-bundle.mjs', import.meta.url).href;
    const source = new URL('../../services/shared/config.ts', import.meta.url).href;
    const script = `
      const { bundleModule } = await import(${JSON.stringify(bundler)});
      const { validateConfig } = await import((await bundleModule(new URL(${JSON.stringify(source)}))).href);
      try { validateConfig({ ingest: { pipelineThreads: 'many' } }); } catch (err) { console.log(err.stack); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/services\/shared\/config\.ts:\d+:\d+/);
    expect(r.stdout).not.toMatch(/gatewatch-bundle-/);
  });

  it('a pipeline-thread bundle that cannot be built falls back to the loader entry, says why, and tries again next time', async () => {
    const reasons: string[] = [];
    const failing = async (): Promise<URL> => {
      throw new Error('esbuild is not installed (injected)');
    };
    expect(await pipelineThreadModule((r) => reasons.push(r), failing)).toBe(LOADER_ENTRY);
    expect(reasons).toEqual(['esbuild is not installed (injected)']);
    const built = await pipelineThreadModule((r) => reasons.push(r));
    expect(built.protocol).toBe('file:');
    // a private folder: only this user can put code where the threads load it from
    expect(statSync(dirname(fileURLToPath(built))).mode & 0o777).toBe(0o700);
    // named after this process, so that a later one can tell it from a killed process's folder
    expect(basename(dirname(fileURLToPath(built)))).toMatch(new RegExp(`^gatewatch-bundle-${process.pid}-`));
    expect(reasons).toHaveLength(1);
  });

  it('folders left by processes killed before their exit handler ran are removed; others are kept', () => {
    const parent = tmpDir('gw-sweep-');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // ended: its id no longer runs
    const made = (name: string) => {
      mkdirSync(join(parent, name, 'inner'), { recursive: true });
      writeFileSync(join(parent, name, 'inner', 'cli.mjs'), 'export {};');
      return name;
    };
    const stale = made(`gatewatch-bundle-${dead}-Ab12Cd`);
    const kept = [
      made(`gatewatch-bundle-${process.pid}-Xy34Zw`), // this process
      made(`gatewatch-bundle-${process.ppid}-Qr56St`), // a running one
      made('gatewatch-bundle-Mn78Op'), // an older version's name: its owner cannot be told
      made(`other-${dead}-Kl90Ij`),
    ];
    sweepStaleBundleDirs(parent);
    expect(readdirSync(parent).sort()).toEqual(kept.sort());
    expect(readdirSync(parent)).not.toContain(stale);
    sweepStaleBundleDirs(join(parent, 'missing')); // a parent that does not exist: nothing to do, no error
  });

  it('a CLI run sweeps a folder its killed predecessor left', () => {
    const tmp = tmpDir('gw-sweep-cli-');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    mkdirSync(join(tmp, `gatewatch-bundle-${dead}-Zz00Zz`));
    const r = cli(['--help'], { TMPDIR: tmp });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(tmp)).toEqual([]); // the stale folder swept, its own removed at exit
  });
});
