/**
 * Keyed mutual exclusion: work for one key (one contact's session, the
 * prekeys) runs one at a time, in the order it was asked for, while work for
 * different keys runs freely.
 */

/** Tasks run back to back before the event loop gets a turn (so a long queue cannot starve the network). */
const TASKS_PER_TURN = 32;

/**
 * Resolves on the next turn of the event loop, after pending I/O callbacks:
 * setImmediate in Node, a MessageChannel message in browsers.
 */
export function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => immediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();
  private count = 0;

  /** Runs `task` after every earlier task for `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // Tasks that never wait for I/O would run back to back in microtasks and
    // keep the network waiting: every so often, give the event loop a turn.
    const run = ++this.count % TASKS_PER_TURN === 0 ? () => nextTurn().then(task) : task;
    const result = previous.then(run, run);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
