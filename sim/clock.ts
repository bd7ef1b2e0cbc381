/**
 * Simulated time. Sotto's own timers (mailbox polls every 60 s, delivery
 * retries backing off to 5 min, sweeps, bundle republishing) and its clock
 * (message times, custody expiry, bundle record freshness) are injected
 * (a Scheduler and ctx.now), so the simulation runs them `speed` times
 * faster than the wall clock: a 60 s poll interval passes in 60/speed
 * seconds. Everything below them is real: sockets, libp2p's and kad-dht's
 * timers, and the AbortSignal timeouts inside src/ (dial 10 s, mailbox
 * exchange 15 s). Durations in the report are wall-clock milliseconds.
 *
 * The clock is derived from the wall clock, so a child process given the
 * same epoch and speed keeps the same simulated time.
 */
import type { Scheduler } from '../src/node/core/core.ts';

/** What a child process needs to share this clock. */
export interface ClockParams {
  /** Wall time (ms since 1970) when simulated time started. */
  readonly wallEpoch: number;
  /** Simulated time (ms since 1970) at wallEpoch. */
  readonly simEpoch: number;
  readonly speed: number;
}

/** Wall-clock milliseconds with sub-millisecond resolution (comparable across processes). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export class SimClock {
  readonly params: ClockParams;

  constructor(params: ClockParams | { speed: number }) {
    this.params = 'wallEpoch' in params ? params : { wallEpoch: wallNow(), simEpoch: Date.now(), speed: params.speed };
  }

  get speed(): number {
    return this.params.speed;
  }

  /** Simulated time, ms since 1970 (the nodes' ctx.now). */
  readonly now = (): number => Math.round(this.params.simEpoch + (wallNow() - this.params.wallEpoch) * this.params.speed);

  /** Real timers, `speed` times shorter. */
  readonly scheduler: Scheduler = {
    setTimeout: (run, ms) => setTimeout(run, Math.max(0, ms) / this.params.speed),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}

/** Resolves after `ms` wall-clock milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
