/**
 * Unread counts per conversation, kept in memory so that a contact list
 * never reads every message of every contact: each count is read from the
 * store once (the first time it is asked for), then moved by the changes
 * that make it: a received message on disk (+1), messages marked read on
 * disk (−n), a conversation deleted (forgotten: read again when next asked
 * for).
 *
 * Exact under concurrency, by the contact's lock: every change is queued
 * for writing under it, and a count is read under it after the writes
 * queued before (a barrier commit). A change takes a token when it is
 * queued, the epoch of the count it will move, and moves it once on disk
 * only if that count is still the one it saw: a change queued before the
 * count was read is in the reading already and moves nothing.
 */

/** Which count a change was queued against (undefined: none was known, so the next reading includes it). */
export type UnreadToken = number | undefined;

/** Unread counts by peer id. */
export class UnreadCounts {
  private readonly counts = new Map<string, { count: number; readonly epoch: number }>();
  private nextEpoch = 1;

  /** The count of `peerId`, when it is known. */
  known(peerId: string): number | undefined {
    return this.counts.get(peerId)?.count;
  }

  /** Sets the count of `peerId` from a reading taken under its lock, after the writes queued before it. */
  set(peerId: string, count: number): void {
    this.counts.set(peerId, { count, epoch: this.nextEpoch++ });
  }

  /** The token of a change to `peerId`'s count; take it under the contact's lock, when the change's write is queued. */
  token(peerId: string): UnreadToken {
    return this.counts.get(peerId)?.epoch;
  }

  /** A change queued with `token` is on disk: moves the count by `delta` if it is still the count the change saw. */
  landed(peerId: string, token: UnreadToken, delta: number): void {
    const entry = this.counts.get(peerId);
    if (entry === undefined || token !== entry.epoch) return;
    entry.count = Math.max(0, entry.count + delta);
  }

  /** Forgets the count of `peerId` (its conversation was deleted, whole or in part): read again when next asked for. */
  forget(peerId: string): void {
    this.counts.delete(peerId);
  }
}
