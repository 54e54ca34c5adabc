/**
 * Builds the dashboard (dashboards/web) into dashboards/dist with esbuild: one hashed JS bundle,
 * one hashed CSS file and index.html naming them. Runs at `npm install` (the `prepare` script)
 * and by `npm run build:dashboard`. A production install without dev dependencies skips it
 * with a warning; the API then serves a page that says how to build it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  sourcemap: true,
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
const size = Object.entries(result.metafile.outputs).filter(([f]) => !f.endsWith('.map')).reduce((n, [, o]) => n + o.bytes, 0);
console.log(`gatewatch: dashboard built into dashboards/dist (${(size / 1024).toFixed(0)} KiB) in ${Date.now() - started} ms`);
