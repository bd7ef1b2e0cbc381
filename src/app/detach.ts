/**
 * `sotto start --detach`: the node runs in a background process of its own.
 *
 * The foreground process checks the home and asks for the passphrase (so the
 * prompt works on the terminal), then starts the same `sotto start` again,
 * detached, with stdout and stderr going to node.log in the home (mode 0600,
 * rewritten at each start) and an IPC channel back. The passphrase reaches
 * the child through its stdin pipe (--passphrase-stdin), never its command
 * line or environment. The child (--background) reports "ready" with its
 * addresses once its control socket serves, or its error (name, message,
 * data) if it fails to start. It reports once it knows whether it reached
 * a peer (at most START_PEER_WAIT_MS), so the foreground prints the same
 * lines a foreground `start` prints, the warning of a node that reached
 * nobody included, and returns, leaving the child running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fchmodSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { SottoError } from '../crypto/errors.ts';
import { NotInitialisedError } from '../node/errors.ts';
import { probeLevelStore } from '../node/store/level.ts';
import { nodeIsRunning } from './control/client.ts';
import { RemoteError, toWireError, type WireError } from './control/protocol.ts';
import type { HomePaths } from './home.ts';
import { existingPassphrase, PASSPHRASE_ENV } from './passphrase.ts';
import { startingLine } from './progress.ts';
import { NodeAlreadyRunningError } from './run-node.ts';
import type { StatusLine } from './status-line.ts';

/** The log of a detached node, in its home. */
export const NODE_LOG_FILE = 'node.log';
/** The log holds counts and addresses only, but it is the user's business: owner only. */
const LOG_MODE = 0o600;
/** How long the foreground waits for a detached node to be ready (unlocking, binding, starting libp2p). */
export const DETACH_READY_TIMEOUT_MS = 60_000;
/** How long it waits for a child that reported an error to exit. */
const FAILED_CHILD_EXIT_MS = 10_000;
/** Most bytes read from stdin for --passphrase-stdin: far above any passphrase, bounded all the same. */
export const MAX_STDIN_PASSPHRASE_BYTES = 64 * 1024;
/** Hidden flag of the detached child: report "ready" or the start error over IPC. */
export const BACKGROUND_FLAG = '--background';
/** Hidden flag of the detached child: read the passphrase from stdin. */
export const PASSPHRASE_STDIN_FLAG = '--passphrase-stdin';
const DETACH_FLAG = '--detach';
/** How often the "starting…" line refreshes its elapsed time. */
const STARTING_TICK_MS = 250;

/** A detached node stopped before it was ready, without saying why. */
export class NodeStartFailedError extends SottoError {
  override readonly name = 'NodeStartFailedError';
  constructor(
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly log: string,
  ) {
    super(`the background node stopped before it was ready (${signal ? `signal ${signal}` : `exit status ${exitCode}`}); see ${log}`);
  }
}

/** A detached node was not ready in time; it was stopped. */
export class NodeStartTimeoutError extends SottoError {
  override readonly name = 'NodeStartTimeoutError';
  constructor(
    readonly timeoutMs: number,
    readonly log: string,
  ) {
    super(`the background node was not ready within ${timeoutMs / 1000}s and was stopped; see ${log}`);
  }
}

/** Ctrl-C while a detached node was starting: it was stopped. */
export class StartInterruptedError extends SottoError {
  override readonly name = 'StartInterruptedError';
  constructor() {
    super('interrupted: the background node was stopped before it was ready');
  }
}

/** What the detached child tells the foreground over IPC. */
type ChildReport = { readonly type: 'ready'; readonly pid: number; readonly addresses: string[]; readonly web?: string; readonly warnings: string[] } | { readonly type: 'error'; readonly error: WireError };

/** A node started in the background. */
export interface DetachedNode {
  readonly pid: number;
  readonly addresses: string[];
  /** The browser app's URL (`--web`). */
  readonly web?: string;
  /** Its log file. */
  readonly log: string;
  /** What it says when it reached no peer (`sotto: warning: …`, `hint: …`); empty when it did. */
  readonly warnings: string[];
}

/** What {@link startDetached} needs from the command line. */
export interface DetachOptions {
  /** The arguments of this `sotto` invocation (process.argv.slice(2)); --detach is dropped. */
  readonly argv: readonly string[];
  /** Shows "starting the node in the background…" if it takes a while. */
  readonly line?: StatusLine;
  readonly now: () => number;
  readonly env?: NodeJS.ProcessEnv;
}

/** The log file of `home`. */
export function nodeLogPath(home: HomePaths): string {
  return join(home.root, NODE_LOG_FILE);
}

/**
 * Starts the node of `home` in the background and resolves once its control
 * socket serves. Throws NodeAlreadyRunningError, NotInitialisedError,
 * DatabaseLockedError, PassphraseRequiredError, the child's own start error
 * (re-thrown under its name: WrongPassphraseError, PortInUseError, ...),
 * NodeStartFailedError or NodeStartTimeoutError; nothing is left running
 * when it throws.
 */
export async function startDetached(home: HomePaths, options: DetachOptions): Promise<DetachedNode> {
  const env = options.env ?? process.env;
  if (await nodeIsRunning(home.socket)) throw new NodeAlreadyRunningError();
  if (!existsSync(home.database)) throw new NotInitialisedError();
  const probe = await probeLevelStore(home.database);
  if (!probe.initialised) throw new NotInitialisedError();
  const passphrase = probe.encrypted && env[PASSPHRASE_ENV] === undefined ? await existingPassphrase(env)() : undefined;

  const log = nodeLogPath(home);
  const fd = openSync(log, 'w', LOG_MODE);
  let child: ChildProcess;
  try {
    fchmodSync(fd, LOG_MODE);
    const script = process.argv[1];
    if (script === undefined) throw new TypeError('startDetached: cannot tell which script runs sotto');
    const args = [...process.execArgv, script, ...options.argv.filter((a) => a !== DETACH_FLAG), BACKGROUND_FLAG, ...(passphrase === undefined ? [] : [PASSPHRASE_STDIN_FLAG])];
    child = spawn(process.execPath, args, { detached: true, env, stdio: [passphrase === undefined ? 'ignore' : 'pipe', fd, fd, 'ipc'] });
  } finally {
    closeSync(fd);
  }
  if (passphrase !== undefined) {
    child.stdin?.on('error', () => {}); // the child died early: its exit says so
    child.stdin?.end(`${passphrase}\n`);
  }
  const ready = await waitForReport(child, log, options);
  if (!(await nodeIsRunning(home.socket))) {
    child.kill('SIGKILL');
    throw new NodeStartFailedError(null, null, log);
  }
  if (child.connected) child.disconnect();
  child.unref();
  return { pid: ready.pid, addresses: ready.addresses, ...(ready.web === undefined ? {} : { web: ready.web }), log, warnings: ready.warnings };
}

/**
 * Waits for the child's report; on failure makes sure the child is gone.
 * Ctrl-C while waiting stops the child too (it is in a process group of its
 * own, so the terminal's SIGINT does not reach it).
 */
function waitForReport(child: ChildProcess, log: string, options: DetachOptions): Promise<{ pid: number; addresses: string[]; web?: string; warnings: string[] }> {
  const startedAt = options.now();
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    let ticker: ReturnType<typeof setTimeout> | undefined;
    const tick = (): void => {
      options.line?.update(() => startingLine(options.now() - startedAt));
      ticker = setTimeout(tick, STARTING_TICK_MS);
    };
    const interrupt = (): void => {
      failure = new StartInterruptedError();
      child.kill('SIGTERM');
    };
    process.once('SIGINT', interrupt);
    const done = (): void => {
      process.removeListener('SIGINT', interrupt);
      clearTimeout(ticker);
      clearTimeout(timer);
      options.line?.finish();
      child.removeAllListeners();
      child.on('error', () => {}); // a late error of a child we are done with
    };
    const timer = setTimeout(() => {
      done();
      child.kill('SIGKILL');
      reject(new NodeStartTimeoutError(DETACH_READY_TIMEOUT_MS, log));
    }, DETACH_READY_TIMEOUT_MS);
    child.on('message', (message: ChildReport) => {
      if (message.type === 'ready') {
        done();
        resolve({ pid: message.pid, addresses: message.addresses, ...(message.web === undefined ? {} : { web: message.web }), warnings: Array.isArray(message.warnings) ? message.warnings.map(String) : [] });
        return;
      }
      // Wait for the exit, so that nothing runs when the error is reported.
      failure = new RemoteError(message.error.name, message.error.message, message.error.data);
      clearTimeout(timer);
      setTimeout(() => child.kill('SIGKILL'), FAILED_CHILD_EXIT_MS).unref();
    });
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('exit', (code, signal) => {
      done();
      reject(failure ?? new NodeStartFailedError(code, signal, log));
    });
    tick();
  });
}

/**
 * The detached child's side: `ready` and `failed` report to the foreground
 * over IPC and close the channel (no-ops when there is none).
 */
export const backgroundReport = {
  ready(addresses: string[], web: string | undefined, warnings: string[]): Promise<void> {
    return report({ type: 'ready', pid: process.pid, addresses, ...(web === undefined ? {} : { web }), warnings });
  },
  failed(err: unknown): Promise<void> {
    return report({ type: 'error', error: toWireError(err) });
  },
};

function report(message: ChildReport): Promise<void> {
  const send = process.send?.bind(process);
  if (!send || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    send(message, undefined, {}, () => {
      if (process.connected) process.disconnect();
      resolve();
    });
  });
}

/**
 * The passphrase written by the foreground to this process's stdin (up to
 * its end, without the final newline). Read on first use, then remembered.
 */
export function stdinPassphrase(stdin: NodeJS.ReadableStream = process.stdin): () => Promise<string> {
  let read: Promise<string> | undefined;
  return () =>
    (read ??= (async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of stdin) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        size += bytes.length;
        if (size > MAX_STDIN_PASSPHRASE_BYTES) throw new RangeError(`--passphrase-stdin reads at most ${MAX_STDIN_PASSPHRASE_BYTES} bytes`);
        chunks.push(bytes);
      }
      return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    })());
}
