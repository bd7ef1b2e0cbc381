/**
 * A job the messenger runs again and again on its injected scheduler (mail
 * polls, bundle publication, prekey upkeep, sweeps, pass renewal): each run
 * says how long to wait before the next. One run at a time; `runSoon`
 * brings the next run forward (right after the one in progress); after
 * `stop` nothing is scheduled again, not even by a run that was under way.
 */
import type { Scheduler } from '../core/core.ts';

/** One run of a job: resolves to the delay before the next run, ms. */
export type RecurringJob = () => Promise<number>;

/** A job on a timer. */
export class Recurring {
  private timer: unknown;
  private running = false;
  private again = false;
  private stopped = false;

  /** `job` never rejects for long: a failed run is retried after `retryMs`. */
  constructor(
    private readonly scheduler: Scheduler,
    private readonly job: RecurringJob,
    private readonly retryMs: number,
  ) {}

  /** Schedules the first run in `delay` ms. */
  start(delay: number): void {
    this.schedule(delay);
  }

  /**
   * Runs the job as soon as possible: in `delay` ms (default now; each call
   * moves that time, so a burst of calls gives one run after the last), or
   * right after the run in progress.
   */
  runSoon(delay = 0): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(delay);
  }

  /** Schedules nothing more. */
  stop(): void {
    this.stopped = true;
    this.scheduler.clearTimeout(this.timer);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.scheduler.clearTimeout(this.timer);
    this.timer = this.scheduler.setTimeout(() => void this.run(), delay);
  }

  private async run(): Promise<void> {
    this.running = true;
    let next: number;
    try {
      next = await this.job();
    } catch {
      next = this.retryMs;
    }
    this.running = false;
    if (this.again) {
      this.again = false;
      next = 0;
    }
    this.schedule(next);
  }
}
