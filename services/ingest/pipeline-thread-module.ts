/**
 * The pipeline thread's code as one plain ES module, built in memory by esbuild when the first
 * thread starts (tens of milliseconds, once per process). A thread started from it runs no
 * TypeScript loader: a loader registered in a worker thread runs its hooks on one more thread
 * with its own V8 isolate, which cost each pipeline thread about 50 MB of resident memory and
 * its start-up time (see docs/benchmarks.md).
 *
 * Our own modules are bundled; every package stays a package, imported by the file URL esbuild
 * resolved it to (the module is a `data:` URL, from which only absolute specifiers resolve), so
 * the thread runs exactly the packages the main thread runs. `import.meta.url` keeps meaning the
 * source file it is written in. If the build fails, the thread is started through the
 * TypeScript loader instead (`pipeline-thread-entry.mjs`), as before.
 */
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const SOURCE = fileURLToPath(new URL('./pipeline-thread.ts', import.meta.url));
/** The thread's entry through the TypeScript loader: the fallback, and what tests can replace. */
export const LOADER_ENTRY = new URL('./pipeline-thread-entry.mjs', import.meta.url);

const RESOLVING = Symbol('resolving');

/** Packages (and Node's built-ins) are not bundled: they are imported from where they are installed. */
const packagesByUrl: Plugin = {
  name: 'packages-by-url',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === RESOLVING) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
      if (r.errors.length > 0) return { errors: r.errors };
      return { path: pathToFileURL(r.path).href, external: true };
    });
  },
};

/** `import.meta.url` in a bundled module is the URL of the file it was written in, not of the bundle. */
const ownFileUrl: Plugin = {
  name: 'own-file-url',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const loader = /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js';
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader };
    });
  },
};

/** Builds the thread's module (once) and returns it as a `data:` URL for `new Worker`. */
export async function buildPipelineThreadModule(): Promise<URL> {
  const result = await build({
    entryPoints: [SOURCE],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    legalComments: 'none',
    plugins: [packagesByUrl, ownFileUrl],
  });
  const code = result.outputFiles[0]!.contents;
  return new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

let built: Promise<URL> | undefined;

/**
 * The module pipeline threads start from: the bundle, or the loader entry when it cannot be
 * built (the reason goes to `onFallback`; the next call tries to build again).
 */
export async function pipelineThreadModule(onFallback: (reason: string) => void): Promise<URL> {
  built ??= buildPipelineThreadModule();
  try {
    return await built;
  } catch (err) {
    built = undefined;
    onFallback(err instanceof Error ? err.message : String(err));
    return LOADER_ENTRY;
  }
}
