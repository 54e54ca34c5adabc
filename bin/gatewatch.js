#!/usr/bin/env node
// Entry point of the `gatewatch` CLI. The code base is TypeScript with no build step between a
// clone and a running service: at start the CLI's own modules are bundled by esbuild into one
// plain ES module in a private temporary folder (services/shared/module-bundle.mjs), and the
// process runs that, without a TypeScript loader (one less thread and V8 isolate: about 60 MB
// of resident memory).
// If the bundle cannot be built, or GATEWATCH_TS_LOADER=1 asks for it, tsx's loader runs the
// sources as they are.
import { bundleModule } from '../services/shared/module-bundle.mjs';

const SOURCE = new URL('../services/cli/main.ts', import.meta.url);

async function entry() {
  if (process.env.GATEWATCH_TS_LOADER !== '1') {
    try {
      return await bundleModule(SOURCE);
    } catch (err) {
      process.stderr.write(`gatewatch: running through the TypeScript loader: the bundle could not be built (${err instanceof Error ? err.message.split('\n')[0] : String(err)})\n`);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return SOURCE;
}

const { main } = await import((await entry()).href);
await main(process.argv);
