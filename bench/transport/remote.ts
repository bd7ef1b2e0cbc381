/**
 * The benchmark's handle on its receiver process (./receiver.ts): spawn it,
 * wait for "ready", send requests over IPC, stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage, ReplyMessage, RequestName, Requests } from './ipc.ts';
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
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let gone: Error | undefined;

  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the receiver was not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.on('message', (raw) => {
      const message = raw as ReadyMessage | ReplyMessage;
      if ('ready' in message) {
        clearTimeout(timer);
        resolve(message);
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(`receiver: ${message.error}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      gone = new Error(`the receiver exited (${signal ?? code})`);
      for (const waiter of pending.values()) waiter.reject(gone);
      pending.clear();
      reject(gone);
    });
    child.once('error', reject);
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });

  const request = <K extends RequestName>(name: K, args: Requests[K]['args']): Promise<Requests[K]['result']> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, name, args });
    });
  };

  return {
    peerId: ready.peerId,
    addresses: ready.addresses,
    pid: ready.pid,
    request,
    stop: async () => {
      if (!gone) await request('stop', {}).catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
