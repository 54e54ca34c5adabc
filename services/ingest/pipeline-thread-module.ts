/**
 * The module pipeline threads start from: the thread's code bundled once per process into one
 * plain ES module (shared/module-bundle.mjs), so that a thread runs no TypeScript loader of
 * its own (about 40 MB of resident memory per thread, docs/benchmarks.md). If the bundle
 * cannot be built, threads start through the loader instead (`pipeline-thread-entry.mjs`).
 */
import { bundleModule } from '../shared/module-bundle.mjs';

const SOURCE = new URL('./pipeline-thread.ts', import.meta.url);
/** The thread's entry through the TypeScript loader: the fallback, and what tests can replace. */
export const LOADER_ENTRY = new URL('./pipeline-thread-entry.mjs', import.meta.url);

/** Builds the thread's module and returns its file URL for `new Worker`. */
export const buildPipelineThreadModule = (): Promise<URL> => bundleModule(SOURCE);

let built: Promise<URL> | undefined;

/**
 * The bundle (built once), or the loader entry when it cannot be built: the reason goes to
 * `onFallback`, and the next call tries to build again. `build` is replaceable for tests.
 */
export async function pipelineThreadModule(onFallback: (reason: string) => void, build: () => Promise<URL> = buildPipelineThreadModule): Promise<URL> {
  built ??= build();
  try {
    return await built;
  } catch (err) {
    built = undefined;
    onFallback(err instanceof Error ? err.message : String(err));
    return LOADER_ENTRY;
  }
}
