/**
 * How the code runs without a TypeScript loader: the CLI and the pipeline threads start from
 * esbuild bundles in a private temporary folder (services/shared/module-bundle.mjs). The CLI must answer the same
 * from its bundle as through tsx's loader, a stack trace must still name the TypeScript
 * source, and a bundle that cannot be built must leave ingest running through the loader.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOADER_ENTRY, pipelineThreadModule } from '../../services/ingest/pipeline-thread-module.js';
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
    expect(reasons).toHaveLength(1);
  });
});
