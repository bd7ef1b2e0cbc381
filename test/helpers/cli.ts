/**
 * Runs the real `sotto` command in separate processes, as a user or a script
 * would: one-shot commands, and `sotto start` nodes that the test can stop
 * with SIGTERM or kill -9. Everything listens on loopback only.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'sotto.js');
/** How long a node may take from spawn to "ready". */
const START_TIMEOUT_MS = 30_000;
/** The passphrase every test home is encrypted with (given as $SOTTO_PASSPHRASE). */
export const TEST_PASSPHRASE = 'correct horse battery staple';
const TEST_ENV = { SOTTO_PASSPHRASE: TEST_PASSPHRASE };

/** The outcome of one command. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `sotto --home HOME ...args` to completion. */
export function sotto(home: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--home', home, ...args], { cwd: ROOT, env: { ...process.env, ...TEST_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `sotto --home HOME ...args --json`, asserts that it succeeded, and parses what it printed. */
export async function sottoJson<T>(home: string, args: readonly string[]): Promise<T> {
  const result = await sotto(home, [...args, '--json']);
  assert.equal(result.code, 0, `sotto ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Adds `to`'s invite (printed by its running node) to `from` under `name`. */
export async function addByInvite(from: string, to: string, name: string): Promise<void> {
  const invite = (await sotto(to, ['invite', '--no-qr'])).stdout.trim();
  const added = await sotto(from, ['contacts', 'add', '--invite', invite, name]);
  assert.equal(added.code, 0, added.stderr);
}

/** A running `sotto start`. */
export interface RunningNode {
  readonly process: ChildProcess;
  /** Its "listening" addresses. */
  readonly addresses: string[];
  readonly output: () => string;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** kill -9. */
  kill(): Promise<void>;
}

/**
 * Starts `sotto --home HOME start ...args` and waits for "ready"; inside
 * the network namespace `namespace` when one is given (`ip netns exec`).
 */
export function startNode(home: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, namespace?: string): Promise<RunningNode> {
  const command = [process.execPath, BIN, '--home', home, 'start', ...args];
  if (namespace !== undefined) command.unshift('ip', 'netns', 'exec', namespace);
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...process.env, ...TEST_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node did not get ready: ${out} ${err}`));
    }, START_TIMEOUT_MS);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!/^ready$/m.test(out)) return;
      clearTimeout(timer);
      resolve({
        process: child,
        addresses: [...out.matchAll(/^listening (\S+)$/gm)].map((m) => m[1]!),
        output: () => out + err,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exited;
        },
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before ready: ${out} ${err}`));
    });
  });
}

/**
 * Longest wait for a node to stop and its process to exit after SIGTERM:
 * generous (a loaded 2-core machine), where a stop takes about a second.
 */
export const TEST_STOP_WAIT_MS = 30_000;

/**
 * Stops a running node with SIGTERM and waits at most `timeoutMs` for its
 * process to exit: resolves to its exit code, or to 'still running' (after
 * killing it with SIGKILL) when it had not exited by then.
 */
export async function stopWithin(node: RunningNode, timeoutMs: number): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), timeoutMs)));
  const outcome = await Promise.race([node.stop(), late]);
  clearTimeout(timer);
  if (outcome === 'still running') await node.kill();
  return outcome;
}

/** A fresh temporary folder, removed by `cleanup`. */
export async function tempHome(label: string, cleanup: (() => Promise<void>)[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `sotto-${label}-`));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'home');
}

/** A TCP port on 127.0.0.1 that is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pid in the "started in the background (pid N)" notice of `sotto start --detach`, if any. */
export function detachedPid(result: CommandResult): number | undefined {
  const match = /started in the background \(pid (\d+)\)/.exec(result.stderr + result.stdout);
  return match ? Number(match[1]) : undefined;
}

/** How long after a prompt sottoOnTerminal types its answer. */
const TYPING_DELAY_MS = 200;

/** True when util-linux `script` is there to give a command a terminal. */
export async function haveScript(): Promise<boolean> {
  const { spawnSync } = await import('node:child_process');
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs `sotto --home HOME ...args` on a pseudo-terminal (util-linux
 * `script`), typing `typed` and Enter once `prompt` shows up; with several
 * answers, the n-th is typed when the prompt shows for the n-th time.
 * Everything the command writes (stdout and stderr, terminal codes
 * included) comes back in `stdout`. Env values set to undefined are removed.
 */
export function sottoOnTerminal(home: string, args: readonly string[], answer: { prompt: RegExp; typed: string | readonly string[] }, env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, BIN, '--home', home, ...args].map(quote).join(' ');
  const answers = typeof answer.typed === 'string' ? [answer.typed] : answer.typed;
  const prompts = new RegExp(answer.prompt.source, answer.prompt.flags.includes('g') ? answer.prompt.flags : `${answer.prompt.flags}g`);
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...TEST_ENV, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let typed = 0;
    const onOutput = (d: Buffer): void => {
      stdout += d.toString();
      const shown = stdout.match(prompts)?.length ?? 0;
      while (typed < Math.min(shown, answers.length)) {
        const text = answers[typed++]!;
        // As a person would: after the prompt, not in the same instant.
        setTimeout(() => child.stdin.write(`${text}\r`), TYPING_DELAY_MS);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
  });
}

/**
 * Asserts that a command failed the way every `sotto` error does: exit
 * status 1, a first stderr line "sotto: …" matching `message`, and a second
 * line "hint: …" matching `hint`.
 */
export function assertCliError(result: CommandResult, message: RegExp, hint: RegExp = /./): void {
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.match(lines[0]!, /^sotto: /);
  assert.match(lines[0]!, message);
  assert.match(lines[1]!, /^hint: /);
  assert.match(lines[1]!, hint);
}
