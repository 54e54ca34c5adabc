// Our TypeScript as one plain ES module, built by esbuild (a few hundred milliseconds at most,
// once per process) into a private temporary folder (mkdtemp: mode 0700, a random name) that
// is removed when the process exits. The CLI (bin/gatewatch.js) and each pipeline
// thread run from such a bundle rather than through tsx's loader: a loader registered with
// Node 20 runs its hooks on one more thread with its own V8 isolate, which costs a process,
// and each of its worker threads, 35-60 MB of resident memory (docs/benchmarks.md).
//
// Plain JavaScript on purpose: the CLI loads it before any TypeScript can run.
//
// Our own modules are bundled; every package stays a package, imported by the file URL esbuild
// resolved it to, so the bundle runs exactly the packages installed, wherever it is written.
// `import.meta.url` keeps meaning the source file it is written in, and an inline source map
// points stack traces at the TypeScript (Node applies source maps to files, not to `data:`
// URLs: hence a file).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const RESOLVING = Symbol('resolving');
// written escaped: this file is itself bundled into the CLI, where a plain occurrence of the
// expression would be rewritten too
const META_URL = /\bimport\.meta\.url\b/g;

/** @type {import('esbuild').Plugin} packages (and Node's built-ins) are imported from where they are installed */
const packagesByUrl = {
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

/** @type {import('esbuild').Plugin} `import.meta.url` in a bundled module is the URL of the file it was written in */
const ownFileUrl = {
  name: 'own-file-url',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (text.search(META_URL) < 0) return undefined;
      return { contents: text.replace(META_URL, JSON.stringify(pathToFileURL(args.path).href)), loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' };
    });
  },
};

const PREFIX = 'gatewatch-bundle-';
const OWNER_PID = new RegExp(`^${PREFIX}(\\d+)-`);

/** Whether a process with this id runs (one of another user's counts as running). */
function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Removes the bundle folders of our processes that ended without their exit handler (killed
 * with SIGKILL, crashed in native code): folders named after a process id that no longer runs,
 * and owned by this user. Best effort: a folder that cannot be read or removed stays.
 */
export function sweepStaleBundleDirs(parent = tmpdir()) {
  let names;
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const pid = Number(OWNER_PID.exec(name)?.[1]);
    if (!pid || pid === process.pid || running(pid)) continue;
    const path = join(parent, name);
    try {
      if (uid !== undefined && statSync(path).uid !== uid) continue;
      rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it first, or it is not ours to remove
    }
  }
}

let dir;
/**
 * This process's folder for bundles, made on first use, removed at exit. Its name carries the
 * process id, so that a later process can tell a folder left by a killed one.
 */
function bundleDir() {
  if (!dir) {
    sweepStaleBundleDirs();
    const made = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    dir = made;
  }
  return dir;
}

/**
 * Bundles the module at `entry` (a file URL) and returns the file URL of the bundle, for
 * `import()` or `new Worker()`.
 * @param {URL} entry
 * @returns {Promise<URL>}
 */
export async function bundleModule(entry) {
  const source = fileURLToPath(entry);
  const outfile = join(bundleDir(), `${basename(source).replace(/\.[cm]?[jt]s$/, '')}.mjs`);
  await build({
    entryPoints: [source],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'silent',
    legalComments: 'none',
    plugins: [packagesByUrl, ownFileUrl],
  });
  // stack traces through the inline map, to the TypeScript line
  process.setSourceMapsEnabled(true);
  return pathToFileURL(outfile);
}
