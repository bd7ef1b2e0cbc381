// Builds dist/sotto.mjs: the `sotto` command as one JavaScript file, so that
// it starts without a TypeScript loader (faster start, about 45 MB less
// memory). Packages with native code or WebAssembly loaded by relative path
// stay external and load from node_modules. Runs on `npm ci` (prepare).
import { build } from 'esbuild';

// ink imports React's developer tools (not installed) only when DEV=true;
// the bundle gets an empty module in its place.
const withoutDevtools = {
  name: 'without-react-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'sotto-empty' }));
    b.onLoad({ filter: /.*/, namespace: 'sotto-empty' }, () => ({ contents: 'export default {};', loader: 'js' }));
  },
};

await build({
  entryPoints: ['src/app/cli/main.ts'],
  outfile: 'dist/sotto.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // @libp2p/webrtc is bundled (every node loads it): outside the bundle it
  // brought its own copies of the libp2p modules the bundle already holds,
  // 22 MiB more for an idle node. node-datachannel, its native part, stays out.
  external: ['sodium-native', 'classic-level', 'node-datachannel', '@oqs/liboqs-js'],
  plugins: [withoutDevtools],
  // React's production build (no development checks) in the bundle.
  define: { 'process.env.NODE_ENV': '"production"' },
  // Bundled CommonJS dependencies call require(); give the ES module one.
  banner: { js: "import { createRequire as __sottoRequire } from 'node:module'; const require = __sottoRequire(import.meta.url);" },
});
