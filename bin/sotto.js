#!/usr/bin/env node
// Entry point of the `sotto` command. Sotto needs Node 22 or newer; on an
// older Node (such as a system Node 20) it re-runs itself under the Node 22
// that npm installed with the project (the `node` package), forwarding
// arguments, signals and the exit status. It runs the built bundle
// (dist/sotto.mjs, made by `npm run build` / `npm ci`) when that is newer
// than every source file, and otherwise the TypeScript sources through tsx.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const MIN_NODE_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
const root = new URL('..', import.meta.url);
const bundle = new URL('dist/sotto.mjs', root);

/** Newest modification time of the files under a folder (ms). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    return built >= newest(fileURLToPath(new URL('src', root))) && built >= statSync(new URL('package.json', root)).mtimeMs;
  } catch {
    return false;
  }
}

if (major < MIN_NODE_MAJOR) {
  const require = createRequire(import.meta.url);
  let bundledNode;
  try {
    bundledNode = require.resolve('node/bin/node');
  } catch {
    process.stderr.write(
      `sotto: Node ${process.versions.node} is too old; Sotto needs Node ${MIN_NODE_MAJOR} or newer\n` +
        `hint: install Node ${MIN_NODE_MAJOR} LTS, or run "npm ci" in the Sotto folder to get its bundled Node ${MIN_NODE_MAJOR}\n`,
    );
    process.exit(1);
  }
  const child = spawn(bundledNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else {
      process.exit(code ?? 1);
    }
  });
} else if (bundleIsFresh()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/app/cli/main.ts');
}
