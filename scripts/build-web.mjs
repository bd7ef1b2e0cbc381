// Builds the browser app (src/app/web) into dist/web with Vite, and reports
// its size: everything a page loads (JavaScript, CSS, HTML), raw and
// gzipped, checked against the budget. `sotto start --web` serves dist/web.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = join(ROOT, 'src/app/web');
const OUT = join(ROOT, 'dist/web');
/** Budget for the whole app, gzipped: a first visit on a slow mobile link stays within a few seconds. */
const BUDGET_GZIP_BYTES = 500 * 1024;

// Vite is a devDependency: an install without them (npm ci --omit=dev) skips the page.
let build;
try {
  ({ build } = await import('vite'));
} catch {
  console.log('web app: not built (vite is not installed; it comes with the devDependencies)');
  process.exit(0);
}

await build({
  configFile: false,
  root: APP,
  base: './',
  logLevel: 'warn',
  resolve: {
    alias: [
      // abstract-level (under browser-level) needs Node's EventEmitter: the `events` package.
      { find: /^events$/, replacement: join(ROOT, 'node_modules/events/events.js') },
      // Bundlers cannot follow liboqs's computed import of its WebAssembly; the page uses @noble's ML-KEM.
      { find: /^@oqs\/liboqs-js\/kem$/, replacement: join(APP, 'shims/no-liboqs.ts') },
      // Multicast needs Node's dgram; createNode loads mDNS only when asked, and a page never asks.
      { find: /^@libp2p\/mdns$/, replacement: join(APP, 'shims/no-mdns.ts') },
    ],
  },
  // react-native-webrtc (an optional path of @libp2p/webrtc) must never be pulled in.
  optimizeDeps: { exclude: ['react-native-webrtc'] },
  build: {
    outDir: OUT,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2048,
  },
});

let raw = 0;
let gzip = 0;
const lines = [];
for (const entry of await readdir(OUT, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !/\.(js|css|html)$/.test(entry.name)) continue;
  const path = join(entry.parentPath, entry.name);
  const bytes = await readFile(path);
  const zipped = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gzip += zipped;
  lines.push(`  ${relative(OUT, path).padEnd(40)} ${(bytes.length / 1024).toFixed(1).padStart(8)} KB  ${(zipped / 1024).toFixed(1).padStart(7)} KB gzipped`);
}
for (const line of lines.sort()) console.log(line);
console.log(`web app: ${(raw / 1024).toFixed(1)} KB, ${(gzip / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_GZIP_BYTES / 1024} KB gzipped) in ${relative(ROOT, OUT)}`);
if (gzip > BUDGET_GZIP_BYTES) {
  console.error(`web app: over budget by ${((gzip - BUDGET_GZIP_BYTES) / 1024).toFixed(1)} KB gzipped`);
  process.exitCode = 1;
}
