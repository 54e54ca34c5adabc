// Runs a TypeScript entry the way the gatewatch CLI runs itself: bundled in memory by esbuild
// (services/shared/module-bundle.mjs), without a TypeScript loader, so that a benchmark's
// process costs what the product's would. Usage: node run-bundled.mjs FILE.ts [args…]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleModule } from '../../services/shared/module-bundle.mjs';

const file = process.argv[2];
if (!file) throw new Error('usage: node run-bundled.mjs FILE.ts [args…]');
const url = await bundleModule(pathToFileURL(resolve(file)));
process.argv.splice(2, 1);
await import(url.href);
