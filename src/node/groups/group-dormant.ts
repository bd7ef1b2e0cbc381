/**
 * Dormant group outbox entries (docs/GROUPS.md, "Delivery"): a message that
 * MAILBOX_REPLICAS mailboxes hold but some members have not acked. No timer
 * dials it; it is handed to such a member when a connection to it opens (and
 * at each start), until MAILBOX_TTL_MS since it was made. Members on the
 * other side of a healed partition may fetch from other mailboxes than those
 * its sender reached, so the mailboxes alone do not cover them.
 */
import { MAILBOX_REPLICAS, MAILBOX_TTL_MS } from '../constants.ts';
import type { GroupOutboxEntry } from '../store/group-records.ts';

type Entry = Pick<GroupOutboxEntry, 'seq' | 'kind' | 'recipients' | 'delivered' | 'custody' | 'createdAt'>;

/** True for a message that k mailboxes hold and some member has not acked. */
export function isDormant(entry: Entry): boolean {
  return entry.kind === 'message' && entry.custody.length >= MAILBOX_REPLICAS && entry.delivered.length < entry.recipients.length;
}

/** When a dormant entry is dropped: the mailbox copies it stands in for are gone then. */
export function dormantUntil(entry: Pick<GroupOutboxEntry, 'createdAt'>): number {
  return entry.createdAt + MAILBOX_TTL_MS;
}

/** True when `peerId` is a recipient of `entry` that has not acked it. */
export function awaits(entry: Entry, peerId: string): boolean {
  return entry.recipients.includes(peerId) && !entry.delivered.includes(peerId);
}

/**
 * What to hand `peerId` when a connection to it opens: in queue order, the
 * entries it has not acked up to its last dormant one (an operation before a
 * message it needs to read it goes first), at most `max`. Empty when it has
 * no dormant entry.
 */
export function handoffBatch<E extends Entry>(entries: Iterable<E>, peerId: string, max: number): E[] {
  const mine = [...entries].filter((e) => awaits(e, peerId)).sort((a, b) => a.seq - b.seq);
  let last = -1;
  mine.forEach((e, i) => {
    if (isDormant(e)) last = i;
  });
  return mine.slice(0, last + 1).slice(0, max);
}

/** The dormant entries beyond the newest `max`, oldest first: those to drop. */
export function dormantOverflow<E extends Entry>(entries: Iterable<E>, max: number): E[] {
  const dormant = [...entries].filter(isDormant).sort((a, b) => a.seq - b.seq);
  return dormant.slice(0, Math.max(0, dormant.length - max));
}
