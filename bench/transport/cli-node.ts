/**
 * The real `sotto` command, as a user runs it: one-shot commands
 * ({@link runSotto}), a `sotto start` running in the background
 * ({@link startSotto}), and the start measurement of the transport
 * benchmark: time from spawning it to its "ready" line, and its resident
 * memory after it has sat idle for a while.
 * The command is bin/sotto.js run by this process's own Node (22+, so the
 * launcher does not re-spawn itself: the spawned pid is the node). The
 * launcher runs the built bundle (dist/sotto.mjs) when it is fresh, else the
 * sources through tsx; {@link launcherEntry} tells which, since the two
 * differ a lot in start time and memory.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processMemory, type ProcessMemory } from '../proc.ts';

/** The home is encrypted at rest, as by default: start time includes unlocking it (Argon2id). */
const PASSPHRASE_ENV = { ...process.env, SOTTO_PASSPHRASE: 'benchmark passphrase' };

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'sotto.js');
const BUNDLE = join(ROOT, 'dist', 'sotto.mjs');

/** What bin/sotto.js runs: the bundle, or the TypeScript sources through tsx. */
export type LauncherEntry = 'bundle' | 'tsx';

/** Newest modification time of the files under `dir` (ms). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * The entry bin/sotto.js picks, by the same rule: the bundle when it is at
 * least as new as every file under src/ and package.json.
 */
export function launcherEntry(): LauncherEntry {
  try {
    const built = statSync(BUNDLE).mtimeMs;
    return built >= newest(join(ROOT, 'src')) && built >= statSync(join(ROOT, 'package.json')).mtimeMs ? 'bundle' : 'tsx';
  } catch {
    return 'tsx';
  }
}
/** Give up on a node that is not ready after this long. */
const READY_TIMEOUT_MS = 30_000;

/** What {@link measureSottoStart} found. */
export interface StartMeasurement {
  /** Spawn to "ready", each run, ms. */
  readonly readyMs: readonly number[];
  /** Memory of the last run after `idleMs` idle; undefined where /proc is missing (not Linux). */
  readonly memory: ProcessMemory | undefined;
  readonly idleMs: number;
  /** What bin/sotto.js ran (checked before and after the runs). */
  readonly entry: LauncherEntry;
}

/** Runs `sotto --home HOME ...args` to completion and resolves to its stdout; rejects on a non-zero exit (with its output). */
export function runSotto(home: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--home', home, ...args], { cwd: ROOT, env: PASSPHRASE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`sotto ${args.join(' ')} exited with ${code}: ${stdout}${stderr}`))));
  });
}

/** A `sotto start` that printed "ready". */
export interface RunningSotto {
  readonly pid: number;
  /** Spawn to "ready", ms. */
  readonly readyMs: number;
  /** Its "listening" addresses (each ends in /p2p/<peer id>). */
  readonly addresses: readonly string[];
  /** SIGTERM (the node closes its database), then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Spawns `sotto --home HOME start --listen LISTEN` (loopback, a port chosen
 * by the system unless given) and resolves once it printed "ready". Rejects
 * (and kills it) when it exits first or is not ready within READY_TIMEOUT_MS.
 */
export async function startSotto(home: string, listen = '/ip4/127.0.0.1/tcp/0'): Promise<RunningSotto> {
  const start = performance.now();
  const child = spawn(process.execPath, [BIN, '--home', home, 'start', '--listen', listen], { cwd: ROOT, env: PASSPHRASE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  let out = '';
  try {
    const readyMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sotto start was not ready after ${READY_TIMEOUT_MS} ms: ${out}`)), READY_TIMEOUT_MS);
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (!/^ready$/m.test(out)) return;
        clearTimeout(timer);
        resolve(performance.now() - start);
      });
      child.on('error', reject);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`sotto start exited with ${code} before ready: ${out}`));
      });
    });
    if (child.pid === undefined) throw new Error('sotto start has no pid');
    const addresses = [...out.matchAll(/^listening (\S+)$/gm)].map((m) => m[1]!);
    return { pid: child.pid, readyMs, addresses, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts `sotto start` on `home`, and calls `whileReady` with its pid once
 * it is ready, before stopping it (SIGTERM, then waits for the exit).
 */
async function startOnce<T>(home: string, whileReady: (pid: number) => Promise<T>): Promise<{ readyMs: number; value: T }> {
  const node = await startSotto(home);
  try {
    return { readyMs: node.readyMs, value: await whileReady(node.pid) };
  } finally {
    await node.stop();
  }
}

/**
 * Initialises a home in `dir`, then starts `sotto start` `runs` times (one
 * after another); the last run sits idle for `idleMs` before its memory is read.
 */
export async function measureSottoStart(dir: string, runs: number, idleMs: number): Promise<StartMeasurement> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) throw new Error(`the transport benchmark needs Node 22+ (this is ${process.version})`);
  const entry = launcherEntry();
  const home = join(dir, 'home');
  await runSotto(home, ['init', '--name', 'bench']);
  const readyMs: number[] = [];
  let memory: ProcessMemory | undefined;
  for (let run = 0; run < runs; run++) {
    const last = run === runs - 1;
    const result = await startOnce(home, async (pid) => {
      if (!last) return undefined;
      await new Promise((resolve) => setTimeout(resolve, idleMs));
      return processMemory(pid);
    });
    readyMs.push(result.readyMs);
    if (last) memory = result.value;
  }
  if (launcherEntry() !== entry) throw new Error('bin/sotto.js switched between the bundle and the sources during the measurement (a build or an edit meanwhile); run again');
  return { readyMs, memory, idleMs, entry };
}
