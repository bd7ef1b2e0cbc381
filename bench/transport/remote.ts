/**
 * The benchmark's handle on its receiver process (./receiver.ts): spawn it,
 * wait for "ready", send requests over IPC, stop it.
 */
import { fileURLToPath } from 'node:url';
import { spawnChild } from '../rpc.ts';
import type { ReadyMessage, RequestName, Requests } from './ipc.ts';
import type { StoreMode } from './party.ts';

const RECEIVER_SCRIPT = fileURLToPath(new URL('./receiver.ts', import.meta.url));

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
  const child = await spawnChild<Requests, ReadyMessage>(RECEIVER_SCRIPT, [dir, options.store ?? 'level'], 'receiver', options.nodeArgs ? { nodeArgs: options.nodeArgs } : {});
  const { peerId, addresses, pid } = child.ready;
  return { peerId, addresses, pid, request: child.request, stop: child.stop, kill: child.kill };
}
