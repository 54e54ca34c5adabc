/** See module-bundle.mjs: the module at `entry` bundled by esbuild, as a `data:` URL. */
export function bundleModule(entry: URL): Promise<URL>;
