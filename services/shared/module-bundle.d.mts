/** See module-bundle.mjs: the module at `entry` bundled by esbuild into a private temporary file; its file URL. */
export function bundleModule(entry: URL): Promise<URL>;
/** Removes bundle folders left in `parent` (default: the temporary folder) by processes of this user that no longer run. */
export function sweepStaleBundleDirs(parent?: string): void;
