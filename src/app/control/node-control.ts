/**
 * The control methods about the node itself rather than the messenger:
 * `status` (what `sotto status` prints) and `shutdown` (`sotto stop`). They
 * travel on the same control socket as SottoApi (./protocol.ts). `shutdown`
 * answers only once the node has stopped and closed its database, so that
 * when `sotto stop` returns the home can be opened by the next command.
 */
import { readFileSync } from 'node:fs';
import { SottoError } from '../../crypto/errors.ts';
import type { NodeStatus } from '../node-status.ts';
import type { HomePaths } from '../home.ts';
import { callNode, nodeIsRunning } from './client.ts';

/** How long `sotto stop` waits for the node's process to end after it closed its database. */
export const STOP_EXIT_WAIT_MS = 5_000;
/** How often `sotto stop` looks whether the process ended. */
const STOP_POLL_MS = 50;

/** What `shutdown` answers. */
export interface ShutdownResult {
  /** The process that ran the node; it exits right after answering. */
  readonly pid: number;
}

/** The node's own control methods. */
export interface NodeControlApi {
  /** The running node's state. */
  status(): Promise<NodeStatus>;
  /** Stops the node (as SIGTERM does) and answers once its database is closed. */
  shutdown(): Promise<ShutdownResult>;
}

/** No node runs on this home. */
export class NodeNotRunningError extends SottoError {
  override readonly name = 'NodeNotRunningError';
  constructor() {
    super('no node is running on this home');
  }
}

/**
 * The NodeControlApi of a node in this process: `status` reads `collect`;
 * `shutdown` calls `requestStop` and answers with `pid` once `stopped`
 * resolves (the database is closed). `stopped` must not wait for the control
 * server to close, which waits for this very answer.
 */
export function nodeControlApi(collect: () => NodeStatus, requestStop: () => void, stopped: Promise<void>, pid: number): NodeControlApi {
  return {
    status: async () => collect(),
    shutdown: async () => {
      requestStop();
      await stopped;
      return { pid };
    },
  };
}

/** The NodeControlApi of the node running at the control socket `path`. */
export function nodeControlClient(path: string): NodeControlApi {
  return {
    status: () => callNode(path, 'status', []) as Promise<NodeStatus>,
    shutdown: () => callNode(path, 'shutdown', []) as Promise<ShutdownResult>,
  };
}

/**
 * True once process `pid` is gone. A zombie counts as gone: a detached node
 * whose parent exited may wait to be reaped by an init that never does.
 */
export function processEnded(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/**
 * `sotto stop`: asks the node on `home` to stop and waits until it has
 * closed its database (then for its process to end, at most
 * STOP_EXIT_WAIT_MS). Resolves to the node's pid and whether its process
 * was seen to end. Throws NodeNotRunningError.
 */
export async function stopNode(home: HomePaths): Promise<{ pid: number; exited: boolean }> {
  if (!(await nodeIsRunning(home.socket))) throw new NodeNotRunningError();
  const { pid } = await nodeControlClient(home.socket).shutdown();
  for (let waited = 0; waited < STOP_EXIT_WAIT_MS; waited += STOP_POLL_MS) {
    if (processEnded(pid)) return { pid, exited: true };
    await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
  }
  return { pid, exited: processEnded(pid) };
}
