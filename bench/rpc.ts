/**
 * Requests and replies between a benchmark and a child process it spawned
 * with an IPC channel (bench/drain/*, bench/transport/*). The child sends
 * one ready message (an object with `ready: true`), then answers each
 * { id, name, args } once with { id, ok, value | error }. A "stop" request
 * is answered, then the child closes the channel.
 */
import type { ChildProcess } from 'node:child_process';

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
