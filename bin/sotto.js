#!/usr/bin/env node
// Entry point of the `sotto` command. Sotto needs Node 22 or newer; on an
// older Node (such as a system Node 20) it re-runs itself under the Node 22
// that npm installed with the project (the `node` package), forwarding
// arguments, signals and the exit status.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const MIN_NODE_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);

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
    }
    else process.exit(code ?? 1);
  });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/app/cli/main.ts');
}
