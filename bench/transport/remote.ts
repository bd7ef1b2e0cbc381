/**
 * The benchmark's handle on its receiver process (./receiver.ts): spawn it,
 * wait for "ready", send requests over IPC, stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectChild } from '../rpc.ts';
import type { ReadyMessage, RequestName, Requests } from './ipc.ts';
import type { StoreMode } from './party.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RECEIVER_SCRIPT = fileURLToPath(new URL('./receiver.ts', import.meta.url));
/** A receiver that is not ready after this long has failed. */
const READY_TIMEOUT_MS = 60_000;
/** Time allowed for a stopped receiver to exit before it is killed. */
const EXIT_TIMEOUT_MS = 10_000;

export interface Remote {
  readonly peerId: string;
  readonly addresses: readonly string[];
  readonly pid: number;
  request<K extends RequestName>(name: K, args: Requests[K]['args']): Promise<Requests[K]['result']>;
  /** Asks it to close its node and store, then waits for the exit (kills it if it lingers). */
  stop(): Promise<void>;
  /** Kills it at once (after a failure). */
  kill(): void;
}

/**
 * Spawns the receiver with its home in `dir`. `nodeArgs` go before the
 * script (e.g. --cpu-prof); the environment's NODE_OPTIONS also applies.
 */
export async function spawnReceiver(dir: string, options: { nodeArgs?: readonly string[]; store?: StoreMode } = {}): Promise<Remote> {
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', RECEIVER_SCRIPT, dir, options.store ?? 'level'];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const connection = connectChild<Requests, ReadyMessage>(child, 'receiver', READY_TIMEOUT_MS);
  const ready = await connection.ready.catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const { request } = connection;

  return {
    peerId: ready.peerId,
    addresses: ready.addresses,
    pid: ready.pid,
    request,
    stop: async () => {
      if (!connection.gone()) await request('stop', {}).catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
