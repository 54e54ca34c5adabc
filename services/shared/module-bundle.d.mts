/** See module-bundle.mjs: the module at `entry` bundled by esbuild into a private temporary file; its file URL. */
export function bundleModule(entry: URL): Promise<URL>;
