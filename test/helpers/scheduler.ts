/**
 * A scheduler on a test clock: timers fire only when the test advances time,
 * in due order. `settle()` lets pending promise chains (in-memory network,
 * store writes) run to completion between steps.
 */
import type { Scheduler } from '../../src/node/core/core.ts';
import type { TestClock } from './context.ts';

interface Timer {
  readonly at: number;
  readonly run: () => void;
  readonly id: number;
}

/** Lets every pending microtask and macrotask chain run (a few event-loop turns). */
export async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** A Scheduler driven by `clock`. */
export class ManualScheduler implements Scheduler {
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(private readonly clock: TestClock) {}

  setTimeout(run: () => void, ms: number): unknown {
    const timer = { at: this.clock.now() + Math.max(0, ms), run, id: this.nextId++ };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Number of timers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves the clock forward by `ms`, firing due timers in order and settling after each. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      if (due.at > this.clock.now()) this.clock.set(due.at);
      due.run();
    }
    this.clock.set(end);
    await settle();
  }
}
