/**
 * The files benchmark's two processes as JavaScript bundles, built like
 * dist/sotto.mjs (scripts/build.mjs: everything bundled but the packages
 * with native code or WebAssembly), so their memory is a `sotto` process's
 * and not a TypeScript loader's (about 35 MB more per process).
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where the bundles go (inside the repository, so node_modules resolves). */
const OUT_DIR = 'dist/bench-files';

/** Builds holder.mjs and fetcher.mjs; resolves to their paths. */
export async function bundleFilesProcesses(): Promise<{ holder: string; fetcher: string }> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: { holder: 'bench/files/holder.ts', fetcher: 'bench/files/fetcher.ts' },
    outdir: OUT_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
    external: ['sodium-native', 'classic-level', 'node-datachannel', '@oqs/liboqs-js'],
    define: { 'process.env.NODE_ENV': '"production"' },
    banner: { js: "import { createRequire as __sottoRequire } from 'node:module'; const require = __sottoRequire(import.meta.url);" },
  });
  return { holder: `${ROOT}${OUT_DIR}/holder.mjs`, fetcher: `${ROOT}${OUT_DIR}/fetcher.mjs` };
}
