/**
 * One progress line on stderr, for work that may take more than a second.
 * Quick work stays silent: nothing is drawn before PROGRESS_DELAY_MS. On a
 * terminal the line is redrawn in place (at most every PROGRESS_REDRAW_MS;
 * an update that comes sooner is drawn when the interval is over)
 * and is replaced by the final text, or erased; without one (a pipe, or
 * node.log of a detached node) it is written as plain lines, at most one per
 * PROGRESS_LOG_INTERVAL_MS, then the final text. Never on stdout, which
 * scripts parse.
 */
import type { Scheduler } from '../node/core/core.ts';

/** Work quicker than this gets no progress line: a second is where people start to wonder. */
export const PROGRESS_DELAY_MS = 1_000;
/** Fastest redraw on a terminal: ten a second reads as live without flooding a slow terminal. */
export const PROGRESS_REDRAW_MS = 100;
/** Without a terminal, one plain line per this interval keeps a log readable. */
export const PROGRESS_LOG_INTERVAL_MS = 10_000;
/** Carriage return and "erase line": redraw in place. */
const REDRAW = '\r\x1b[2K';

/** Where progress goes: stderr, and whether it is a terminal. */
export interface ProgressOutput {
  write(text: string): void;
  readonly tty: boolean;
}

/** The clock and timers of a status line. */
export interface StatusLineDeps {
  readonly now: () => number;
  readonly scheduler: Scheduler;
}

/** A progress line that shows up only for slow work. */
export class StatusLine {
  private render: () => string = () => '';
  private active = false;
  private shown = false;
  private lastDraw = 0;
  private timer: unknown;
  private redraw: unknown;

  constructor(
    private readonly output: ProgressOutput,
    private readonly deps: StatusLineDeps,
  ) {}

  /**
   * Sets the line's text, or a function that gives it when drawn (for text
   * with an elapsed time); the first update starts the PROGRESS_DELAY_MS wait.
   */
  update(text: string | (() => string)): void {
    this.render = typeof text === 'string' ? () => text : text;
    if (!this.active) {
      this.active = true;
      this.timer = this.deps.scheduler.setTimeout(() => this.show(), PROGRESS_DELAY_MS);
      return;
    }
    if (!this.shown || this.redraw !== undefined) return;
    const wait = this.lastDraw + (this.output.tty ? PROGRESS_REDRAW_MS : PROGRESS_LOG_INTERVAL_MS) - this.deps.now();
    if (wait <= 0) return this.draw();
    this.redraw = this.deps.scheduler.setTimeout(() => {
      this.redraw = undefined;
      this.draw();
    }, wait);
  }

  /**
   * Ends the work. If the line was shown, writes `final` as its last line
   * (without `final`, a terminal's line is erased); quick work writes
   * nothing. The line can be used again. Returns whether it was shown.
   */
  finish(final?: string): boolean {
    this.deps.scheduler.clearTimeout(this.timer);
    this.deps.scheduler.clearTimeout(this.redraw);
    this.redraw = undefined;
    const shown = this.shown;
    if (shown) this.output.write(`${this.output.tty ? REDRAW : ''}${final === undefined ? '' : `${final}\n`}`);
    this.active = false;
    this.shown = false;
    return shown;
  }

  private show(): void {
    this.shown = true;
    this.draw();
  }

  private draw(): void {
    this.lastDraw = this.deps.now();
    const text = this.render();
    this.output.write(this.output.tty ? `${REDRAW}${text}` : `${text}\n`);
  }
}
