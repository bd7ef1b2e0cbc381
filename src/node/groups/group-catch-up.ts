/**
 * Catching up soon after a refusal (docs/GROUPS.md, "Delivery"): a member
 * that refuses a frame of a group it is in, because its state cannot take
 * it yet (an operation ahead of its epoch, a sender added by a commit it has
 * not processed), and a member that just joined a group, fetch that group's
 * mailboxes GROUP_CATCH_UP_DELAY_MS later instead of at the next group
 * poll: the sender deposits what a member did not take right after handing
 * it on, so the member reads it within seconds.
 *
 * No storm: one fetch per group is due at a time (refusals meanwhile add
 * nothing; one that comes while the fetch runs asks for one more after it),
 * and a fetch that brings nothing new is tried again only
 * GROUP_CATCH_UP_ATTEMPTS times, each after twice the delay.
 */
import { GROUP_CATCH_UP_ATTEMPTS, GROUP_CATCH_UP_DELAY_MS } from '../constants.ts';
import type { Scheduler } from '../core/core.ts';

/** Fetches one group's mailboxes and resolves to how many frames it stored. */
export type GroupFetch = (groupId: string) => Promise<number>;

interface Due {
  timer: unknown;
  /** Fetches made for this catch-up so far. */
  attempt: number;
  /** A fetch is running. */
  running: boolean;
  /** Another refusal came while it ran: one more fetch after it. */
  again: boolean;
}

/** The catch-up fetches of one member's groups. */
export class GroupCatchUp {
  private readonly due = new Map<string, Due>();
  private stopped = false;
  /** Fetches started (for tests and status). */
  fetches = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly fetch: GroupFetch,
  ) {}

  /** This member refused a frame of `groupId` (a group it is in) that a mailbox will hold, or just joined it: a fetch is due soon. */
  soon(groupId: string): void {
    if (this.stopped) return;
    const due = this.due.get(groupId);
    if (!due) return this.schedule(groupId, { timer: undefined, attempt: 0, running: false, again: false });
    if (due.running) due.again = true;
    // A fetch is already waiting: it will bring this frame too.
  }

  /** Cancels every fetch due; none starts after this. */
  stop(): void {
    this.stopped = true;
    for (const due of this.due.values()) this.scheduler.clearTimeout(due.timer);
    this.due.clear();
  }

  private schedule(groupId: string, due: Due): void {
    this.due.set(groupId, due);
    due.timer = this.scheduler.setTimeout(() => void this.run(groupId, due), GROUP_CATCH_UP_DELAY_MS * 2 ** due.attempt);
  }

  private async run(groupId: string, due: Due): Promise<void> {
    if (this.stopped || this.due.get(groupId) !== due) return;
    due.running = true;
    this.fetches++;
    const stored = await this.fetch(groupId).catch(() => 0);
    due.running = false;
    if (this.stopped || this.due.get(groupId) !== due) return;
    this.due.delete(groupId);
    if (due.again) this.schedule(groupId, { timer: undefined, attempt: 0, running: false, again: false });
    else if (stored === 0 && due.attempt + 1 < GROUP_CATCH_UP_ATTEMPTS) this.schedule(groupId, { ...due, attempt: due.attempt + 1 });
  }
}
