/**
 * Builds the dashboard (dashboards/web) into dashboards/dist with esbuild: one hashed JS bundle,
 * one hashed CSS file and index.html naming them, each also precompressed (.br, .gz) so that
 * the API serves them compressed without compressing per request. Runs at `npm install` (the `prepare` script)
 * and by `npm run build:dashboard`. A production install without dev dependencies skips it
 * with a warning; the API then serves a page that says how to build it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('gatewatch: esbuild is not installed (a production install without dev dependencies?): the dashboard is not built. Run `npm install` and `npm run build:dashboard`.');
  process.exit(0);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
const started = Date.now();
const result = await esbuild.build({
  entryPoints: { app: join(here, 'web', 'main.tsx') },
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  // no source map: the minified bundle is all a visitor gets (the sources are in the repository)
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).map((f) => f.split('/').pop());
const js = files.find((f) => /^app-.*\.js$/.test(f));
const css = files.find((f) => /^app-.*\.css$/.test(f));
if (!js || !css) throw new Error(`dashboard build: expected app-*.js and app-*.css, got ${files.join(', ')}`);
writeFileSync(join(out, 'index.html'), readFileSync(join(here, 'web', 'index.html'), 'utf8').replace('%JS%', js).replace('%CSS%', css));
for (const dir of [out, join(out, 'assets')]) {
  for (const f of readdirSync(dir)) {
    if (!/\.(?:html|js|css|txt|svg)$/.test(f)) continue;
    const body = readFileSync(join(dir, f));
    writeFileSync(join(dir, `${f}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
    writeFileSync(join(dir, `${f}.gz`), gzipSync(body, { level: 9 }));
  }
}
const size = Object.entries(result.metafile.outputs).filter(([f]) => !f.endsWith('.map')).reduce((n, [, o]) => n + o.bytes, 0);
console.log(`gatewatch: dashboard built into dashboards/dist (${(size / 1024).toFixed(0)} KiB) in ${Date.now() - started} ms`);
