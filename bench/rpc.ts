/**
 * Requests and replies between a benchmark and a child process it spawned
 * with an IPC channel (bench/drain/*, bench/transport/*). The child sends
 * one ready message (an object with `ready: true`), then answers each
 * { id, name, args } once with { id, ok, value | error }. A "stop" request
 * is answered, then the child closes the channel. {@link spawnChild} starts
 * such a child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Request name → its arguments and result. */
export type RequestMap<R> = { [K in keyof R]: { args: unknown; result: unknown } };

export interface RequestMessage<R extends RequestMap<R>, K extends keyof R = keyof R> {
  readonly id: number;
  readonly name: K;
  readonly args: R[K]['args'];
}

export type ReplyMessage = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

/** The parent's side of a connection to a spawned child. */
export interface Connection<R extends RequestMap<R>, Ready> {
  /** The child's ready message; rejects if it exits, fails to spawn, or is not ready within the timeout. */
  readonly ready: Promise<Ready>;
  /** Sends a request; rejects at once once the child has exited. */
  request<K extends keyof R & string>(name: K, args: R[K]['args']): Promise<R[K]['result']>;
  /** Whether the child has exited (pending and later requests are rejected). */
  gone(): boolean;
}

/**
 * Dispatches the replies of `child` to its requests. `label` names the child
 * in errors ("the <label> was not ready…", "<label>: <error>", "the <label>
 * exited…"). Killing the child on failure is left to the caller.
 */
export function connectChild<R extends RequestMap<R>, Ready extends { readonly ready: true }>(child: ChildProcess, label: string, readyTimeoutMs: number): Connection<R, Ready> {
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let gone: Error | undefined;

  const ready = new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${label} was not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
    child.on('message', (raw) => {
      const message = raw as Ready | ReplyMessage;
      if ('ready' in message) {
        clearTimeout(timer);
        resolve(message);
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(`${label}: ${message.error}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      gone = new Error(`the ${label} exited (${signal ?? code})`);
      for (const waiter of pending.values()) waiter.reject(gone);
      pending.clear();
      reject(gone);
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });

  const request = <K extends keyof R & string>(name: K, args: R[K]['args']): Promise<R[K]['result']> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, name, args } satisfies RequestMessage<R, K>);
    });
  };

  return { ready, request, gone: () => gone !== undefined };
}

/** The child's side: sends its ready message or a reply to the parent (the process must have an IPC channel). */
export function sendToParent<Ready extends { readonly ready: true }>(message: Ready | ReplyMessage): void {
  process.send!(message);
}

/**
 * The child's side: answers every request from the parent with `answer`
 * (a rejection becomes an error reply with its stack); after answering
 * "stop" it closes the channel.
 */
export function serveRequests<R extends RequestMap<R>>(answer: (request: RequestMessage<R>) => Promise<unknown>): void {
  process.on('message', (raw) => {
    const request = raw as RequestMessage<R>;
    answer(request).then(
      (value) => {
        sendToParent({ id: request.id, ok: true, value });
        if (request.name === 'stop') process.disconnect();
      },
      (err: unknown) => sendToParent({ id: request.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** A child that is not ready after this long has failed. */
const CHILD_READY_TIMEOUT_MS = 60_000;
/** Time allowed for a stopped child to exit before it is killed. */
const CHILD_EXIT_TIMEOUT_MS = 10_000;

/** A running child spawned by {@link spawnChild}. */
export interface Child<R extends RequestMap<R>, Ready> {
  /** Its ready message. */
  readonly ready: Ready;
  request<K extends keyof R & string>(name: K, args: R[K]['args']): Promise<R[K]['result']>;
  /** Asks it to stop ("stop" request), then waits for the exit (kills it if it lingers or the request fails). Safe to call twice. */
  stop(): Promise<void>;
  /** Kills it at once (after a failure). */
  kill(): void;
}

/**
 * Spawns `node [nodeArgs] --import tsx SCRIPT ...args` (without `--import
 * tsx` when `bundled`: SCRIPT is JavaScript) from the repository root with an IPC channel (stdout and stderr inherited) and resolves once
 * it sent its ready message. It is killed if it fails to become ready, and
 * when this process exits without having stopped it. `label` names it in
 * errors (see {@link connectChild}); `advanced` selects Node's advanced
 * serialization (Uint8Array travels as bytes).
 */
export async function spawnChild<R extends RequestMap<R> & { stop: { args: Record<string, never>; result: unknown } }, Ready extends { readonly ready: true }>(
  script: string,
  args: readonly string[],
  label: string,
  options: { nodeArgs?: readonly string[]; advanced?: boolean; bundled?: boolean } = {},
): Promise<Child<R, Ready>> {
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(options.bundled ? [] : ['--import', 'tsx']), script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(options.advanced ? { serialization: 'advanced' as const } : {}),
  });
  let exitedAlready = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exitedAlready = true;
      resolve();
    }),
  );
  const kill = (): void => {
    if (!exitedAlready) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const connection = connectChild<R, Ready>(child, label, CHILD_READY_TIMEOUT_MS);
  const ready = await connection.ready.catch(async (err: unknown) => {
    kill();
    await exited;
    process.removeListener('exit', kill);
    throw err;
  });
  return {
    ready,
    request: connection.request,
    stop: async () => {
      if (!exitedAlready) {
        const timer = setTimeout(kill, CHILD_EXIT_TIMEOUT_MS);
        if (!connection.gone()) await connection.request('stop', {} as R['stop']['args']).catch(kill);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', kill);
    },
    kill,
  };
}
