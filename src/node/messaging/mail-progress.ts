/**
 * Counts the progress of one mail fetch for the 'mail-progress' event
 * (MailProgress in ./core.ts): distinct items received and handled, across
 * every mailbox drained in the fetch. Emits nothing for a fetch that finds no
 * mail, so a quiet periodic poll stays quiet.
 */
import type { MailProgress } from '../core/core.ts';

/** Tracks one fetch; `emit` receives each new state. */
export class MailProgressTracker {
  private readonly seen = new Set<string>();
  private readonly done = new Set<string>();
  private more = false;

  constructor(private readonly emit: (progress: MailProgress) => void) {}

  /** A batch arrived (item ids in hex); `more` is the mailbox's "more to come" flag. */
  received(ids: readonly string[], more: boolean): void {
    for (const id of ids) this.seen.add(id);
    this.more = more;
    this.report(false);
  }

  /** One item was handled: stored, or dropped as not ours, damaged or a copy. */
  handled(id: string): void {
    this.done.add(id);
    this.report(false);
  }

  /** The fetch is over (reported only when it found mail). */
  finish(): void {
    this.more = false;
    this.report(true);
  }

  private report(finished: boolean): void {
    if (this.seen.size === 0) return;
    this.emit({ fetched: this.done.size, total: this.seen.size, more: this.more, finished });
  }
}
