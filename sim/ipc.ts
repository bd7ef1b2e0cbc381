/**
 * Requests and events between the simulation's coordinator and its worker
 * processes (./host.ts runs nodes, ./drain-node.ts the drain recipient),
 * over Node's IPC channel with structured-clone serialisation (so byte
 * arrays cross as they are).
 *
 * - The worker says { ready: value } once; then answers each { id, name,
 *   args } with { id, ok, value | error }, and may push { event } at any time.
 * - Replies and events travel on one channel, in the order they were sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY_TIMEOUT_MS = 120_000;
const EXIT_TIMEOUT_MS = 30_000;

/** Request name → its arguments and result. */
export type RequestMap<R> = { [K in keyof R]: { args: unknown; result: unknown } };

type Incoming = { readonly ready: unknown } | { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string } | { readonly event: unknown };

export interface Worker<R extends RequestMap<R>, Ready> {
  readonly ready: Ready;
  request<K extends keyof R & string>(name: K, args: R[K]['args']): Promise<R[K]['result']>;
  /** Sends `stop` (if the worker has it), then waits for the exit (SIGKILL if it lingers). */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

/** Spawns `script` (a path relative to this directory) with `args` as JSON; `onEvent` gets pushed events. */
export async function spawnWorker<R extends RequestMap<R>, Ready, Event = unknown>(script: string, args: unknown, onEvent: (event: Event) => void = () => {}): Promise<Worker<R, Ready>> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path, JSON.stringify(args)], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let gone: Error | undefined;

  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} was not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.on('message', (raw) => {
      const message = raw as Incoming;
      if ('ready' in message) {
        clearTimeout(timer);
        resolve(message.ready as Ready);
      } else if ('event' in message) {
        onEvent(message.event as Event);
      } else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.ok) waiter?.resolve(message.value);
        else waiter?.reject(new Error(`${script}: ${message.error}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      gone = new Error(`${script} exited (${signal ?? code})`);
      for (const waiter of pending.values()) waiter.reject(gone);
      pending.clear();
      reject(gone);
    });
    child.once('error', reject);
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });

  const request = <K extends keyof R & string>(name: K, requestArgs: R[K]['args']): Promise<R[K]['result']> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, name, args: requestArgs });
    });
  };

  return {
    ready,
    request,
    stop: async () => {
      // A worker whose nodes do not stop in time (a delivery round that waits on a dead peer) is killed.
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
      if (!gone) void request('stop' as keyof R & string, {} as R[keyof R & string]['args']).catch(() => {});
      await exited;
      clearTimeout(timer);
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * The worker side: answers requests with `handlers`, then says ready with
 * `ready`. A 'stop' request is answered, then the channel is closed (the
 * handler should have closed everything). Returns the function that pushes
 * an event.
 */
export function serveRequests<R extends RequestMap<R>>(handlers: { [K in keyof R]: (args: R[K]['args']) => Promise<R[K]['result']> }, onDisconnect: () => Promise<void>): { ready(value: unknown): void; emit(event: unknown): void } {
  if (!process.send) throw new Error('spawned without an IPC channel');
  const send = (message: unknown): void => void process.send!(message);
  process.on('message', (raw) => {
    const { id, name, args } = raw as { id: number; name: keyof R; args: unknown };
    const handler = handlers[name];
    const work = handler ? handler(args as never) : Promise.reject(new Error(`unknown request ${String(name)}`));
    work.then(
      (value) => {
        send({ id, ok: true, value });
        if (name === 'stop') process.disconnect();
      },
      (err: unknown) => send({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  // The coordinator went away without "stop": do not linger.
  process.on('disconnect', () => {
    void onDisconnect().finally(() => process.exit(0));
  });
  return { ready: (value) => send({ ready: value }), emit: (event) => send({ event }) };
}
