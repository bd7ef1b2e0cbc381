/**
 * The group outbox: frames this member made, handed on until every other
 * member acked them directly or the group's mailboxes hold them
 * (docs/GROUPS.md, "Delivery"). An entry is written with what made it (the
 * state, the message) in one transaction and holds the frame's bytes, so a
 * retry or a restart after a crash sends the very same frame: a member
 * that had it drops the copy by its digest, a mailbox keeps one item per
 * digest, and no message is lost or doubled.
 *
 * One attempt: the frame goes straight to each member not yet reached
 * (/sotto/group, up to GROUP_FANOUT_CONCURRENCY at once), then, if someone
 * was not reached (and always for an operation, which a member offline
 * later needs from the mailboxes), once to the k mailboxes closest to the
 * group mailbox key. A message the k mailboxes hold but some member has not
 * acked goes dormant (./group-dormant.ts): no timer dials it, a connection
 * to such a member (or a start) hands it over.
 */
import { fromBase64, toBase64 } from '../encoding/base64.ts';
import type { Bytes } from '../../crypto/bytes.ts';
import {
  GROUP_DORMANT_HANDOFF_BATCH,
  GROUP_OPERATION_HANDOFF_MS,
  MAX_GROUP_CHUNKED_FRAME_BYTES,
  MAX_GROUP_DORMANT_ENTRIES,
  MAILBOX_REPLICAS,
  RETRY_BASE_MS,
  RETRY_JITTER,
  RETRY_MAX_MS,
} from '../constants.ts';
import type { Core } from '../core/core.ts';
import { GroupFrameTooLargeError } from '../errors.ts';
import { groupDepositOn, withClosestMailboxes } from '../mailbox/client.ts';
import { groupMailboxKey } from '../mailbox/keys.ts';
import type { GroupMessageRecord, GroupOutboxEntry, GroupRecord } from '../store/group-records.ts';
import { Tx } from '../store/store.ts';
import { splitGroupFrame } from './chunks.ts';
import { awaits, dormantOverflow, dormantUntil, handoffBatch, isDormant } from './group-dormant.ts';
import { fanOut } from './group-stream.ts';
import type { GroupSendResult } from './group-service.ts';

/** A frame to queue. */
export interface NewGroupFrame {
  readonly kind: GroupOutboxEntry['kind'];
  readonly frame: Bytes;
  readonly epoch: bigint;
  readonly recipients: readonly string[];
  readonly messageId: string | null;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : String(err);
}

/** Where a message stands: delivered to every other member, stored for the rest, or still queued. */
export function sendResult(id: string, entry: Pick<GroupOutboxEntry, 'recipients' | 'delivered' | 'custody'>): GroupSendResult {
  const members = entry.recipients.length;
  const delivered = entry.delivered.length;
  const stored = entry.custody.length > 0 ? members - delivered : 0;
  const status = delivered === members ? 'delivered' : stored > 0 ? 'stored' : 'queued';
  return { id, status, delivered, stored, queued: members - delivered - stored, members };
}

/** Delivers one home's group outbox. */
export class GroupDelivery {
  private readonly entries = new Map<number, GroupOutboxEntry>();
  private readonly waiters = new Map<string, Set<(result: GroupSendResult) => void>>();
  private active: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: unknown;
  /** Members a connection opened to (or all away at a start) that have dormant frames to take. */
  private readonly woken = new Set<string>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly core: Core,
    private readonly groupOf: (groupId: string) => GroupRecord | undefined,
  ) {}

  /** Reads the entries left from before (a crash or a stop). */
  async load(): Promise<void> {
    for (const entry of await this.core.store.listGroupOutbox()) this.entries.set(entry.seq, entry);
  }

  /** Delivers what is due, hands dormant frames to every member that awaits one (once), and listens for connections. */
  start(): void {
    this.stopped = false;
    for (const entry of this.entries.values()) if (isDormant(entry)) for (const peerId of entry.recipients) if (awaits(entry, peerId)) this.woken.add(peerId);
    this.unsubscribe?.();
    this.unsubscribe = this.core.network?.onPeerConnected((peerId) => this.connected(peerId));
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.core.scheduler.clearTimeout(this.timer);
    await this.active?.catch(() => {});
  }

  /** Entries waiting (for tests and status). */
  size(): number {
    return this.entries.size;
  }

  /**
   * Queues a frame: its entry and the writes of `also` (given the entry's
   * seq) land in one synced transaction; then delivery starts.
   */
  async enqueue(group: GroupRecord, frame: NewGroupFrame, also: (tx: Tx, seq: number) => void): Promise<GroupOutboxEntry> {
    if (frame.frame.length > MAX_GROUP_CHUNKED_FRAME_BYTES) throw new GroupFrameTooLargeError(frame.frame.length, MAX_GROUP_CHUNKED_FRAME_BYTES);
    const tx = new Tx();
    const seq = this.core.allocateSeq(tx);
    const now = this.core.ctx.now();
    const entry: GroupOutboxEntry = {
      seq,
      groupId: group.id,
      kind: frame.kind,
      messageId: frame.messageId,
      frame: toBase64(frame.frame),
      epoch: Number(frame.epoch),
      recipients: frame.recipients,
      delivered: [],
      custody: [],
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      lastError: this.core.network ? null : 'no node is running on this home',
    };
    also(tx.putGroupOutbox(entry), seq);
    await this.core.store.commit(tx, { sync: true });
    this.entries.set(seq, entry);
    this.kick();
    return entry;
  }

  /** Resolves with message `id`'s result once it is delivered to all or stored, or after `waitMs` as it stands then. */
  settled(id: string, waitMs: number): Promise<GroupSendResult> {
    return new Promise((resolve) => {
      const current = (): GroupSendResult => {
        const entry = [...this.entries.values()].find((e) => e.messageId === id);
        return entry ? sendResult(id, entry) : { id, status: 'queued', delivered: 0, stored: 0, queued: 0, members: 0 };
      };
      if (waitMs <= 0 || !this.core.network) {
        // Resolved after the entry is queued (the caller awaits it then).
        queueMicrotask(() => resolve(current()));
        return;
      }
      const waiters = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, waiters);
      const done = (result: GroupSendResult): void => {
        this.core.scheduler.clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.waiters.delete(id);
        resolve(result);
      };
      waiters.add(done);
      const timer = this.core.scheduler.setTimeout(() => done(current()), waitMs);
    });
  }

  /** Starts a round now, or right after the one running. */
  kick(): void {
    if (this.stopped || !this.core.network) return;
    if (this.active) {
      this.again = true;
      return;
    }
    this.core.scheduler.clearTimeout(this.timer);
    this.active = this.round().finally(() => {
      this.active = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      } else this.scheduleNext();
    });
  }

  private scheduleNext(): void {
    if (this.stopped || this.entries.size === 0) return;
    const next = Math.min(...[...this.entries.values()].map((e) => e.nextAttemptAt));
    this.timer = this.core.scheduler.setTimeout(() => this.kick(), Math.max(0, next - this.core.ctx.now()));
  }

  /** A connection to `peerId` opened: it gets the dormant frames it has not acked. */
  private connected(peerId: string): void {
    if (![...this.entries.values()].some((e) => isDormant(e) && awaits(e, peerId))) return;
    this.woken.add(peerId);
    this.kick();
  }

  private async round(): Promise<void> {
    const now = this.core.ctx.now();
    // In queue order: a member that gets an operation before the messages after it can read them at once.
    for (const entry of [...this.entries.values()].sort((a, b) => a.seq - b.seq)) {
      if (this.stopped) return;
      if (entry.nextAttemptAt > now && entry.attempts > 0) continue;
      // Due while dormant: the mailbox copies are gone too, so is the entry (no dial).
      if (isDormant(entry)) await this.drop([entry]);
      else await this.attempt(entry).catch(() => {});
    }
    for (const peerId of [...this.woken]) {
      this.woken.delete(peerId);
      await this.handOff(peerId);
    }
  }

  /** Hands `peerId` its dormant frames in batches, while it acks each; the first it does not take ends it. */
  private async handOff(peerId: string): Promise<void> {
    for (;;) {
      const batch = handoffBatch(this.entries.values(), peerId, GROUP_DORMANT_HANDOFF_BATCH);
      if (batch.length === 0) return;
      for (const entry of batch) {
        if (this.stopped) return;
        await this.attempt(entry, peerId).catch(() => {});
        const now = this.entries.get(entry.seq);
        if (now && awaits(now, peerId)) return;
      }
    }
  }

  /** Deletes entries (a dormant one past its time, or beyond MAX_GROUP_DORMANT_ENTRIES). */
  private async drop(entries: readonly GroupOutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const tx = new Tx();
    for (const entry of entries) tx.deleteGroupOutbox(entry.seq);
    await this.core.store.commit(tx, { sync: false });
    for (const entry of entries) this.entries.delete(entry.seq);
  }

  /** One attempt at `entry`: to every member not reached, or to `only` (a dormant hand-off). */
  private async attempt(entry: GroupOutboxEntry, only?: string): Promise<void> {
    const core = this.core;
    const network = core.network!;
    const group = this.groupOf(entry.groupId);
    const frame = fromBase64(entry.frame);
    const delivered = new Set(entry.delivered);
    let lastError: string | null = null;
    const waiting = entry.recipients.filter((p) => !delivered.has(p) && (only === undefined || p === only));
    for (const [peerId, status] of await fanOut(network, waiting, frame, core.ctx.primitives.sha256)) {
      if (status instanceof Error) lastError = describe(status);
      // Only a member that took the frame has it. One that refused it ('refused': its invitation is still on the
      // way, or it has not processed the commit that added the sender; 'retry': an earlier operation is missing;
      // 'rejected') reads it from the mailboxes, and it is handed to it again at the next attempt.
      else if (status === 'stored' || status === 'duplicate') delivered.add(peerId);
      else lastError = `a member answered ${status}`;
    }
    const custody = new Set(entry.custody);
    const needsMailboxes = delivered.size < entry.recipients.length || entry.kind !== 'message';
    if (group && needsMailboxes && custody.size < MAILBOX_REPLICAS) {
      const token = fromBase64(group.token);
      await withClosestMailboxes(core, groupMailboxKey(core.ctx.primitives, token), MAILBOX_REPLICAS, custody, async (mailbox, stream) => {
        try {
          // A large frame is stored as its chunks; the mailbox holds it once it took every one.
          for (const item of splitGroupFrame(core.ctx.primitives.sha256, frame)) await groupDepositOn(core, mailbox, stream, token, item);
          custody.add(mailbox);
        } catch (err) {
          lastError = describe(err);
        }
      }).catch((err: unknown) => (lastError = describe(err)));
    }
    let next: GroupOutboxEntry = { ...entry, delivered: [...delivered], custody: [...custody], attempts: entry.attempts + 1, lastError };
    // An operation goes on to members not reached even once k mailboxes hold it (GROUP_OPERATION_HANDOFF_MS);
    // a message goes dormant then, handed on when a connection to such a member opens.
    const handedOn = core.ctx.now() - entry.createdAt >= GROUP_OPERATION_HANDOFF_MS;
    const done = delivered.size === entry.recipients.length ? entry.kind === 'message' || custody.size > 0 || entry.attempts >= 1 : entry.kind !== 'message' && custody.size >= MAILBOX_REPLICAS && handedOn;
    const tx = new Tx();
    if (done) tx.deleteGroupOutbox(entry.seq);
    else {
      const jitter = 1 + RETRY_JITTER * (core.ctx.randomBytes(1)[0]! / 255);
      const backoff = Math.round(core.ctx.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(entry.attempts, 30)) * jitter);
      tx.putGroupOutbox((next = { ...next, nextAttemptAt: isDormant(next) ? dormantUntil(entry) : backoff }));
    }
    let message: GroupMessageRecord | undefined;
    const result = entry.messageId === null ? undefined : sendResult(entry.messageId, next);
    if (entry.messageId !== null && result) {
      const stored = await core.store.getGroupMessage(entry.groupId, entry.messageId);
      if (stored) tx.putGroupMessage((message = { ...stored, status: result.status, delivered: result.delivered, stored: result.stored, members: result.members }));
    }
    await core.store.commit(tx, { sync: false });
    if (done) this.entries.delete(entry.seq);
    else this.entries.set(entry.seq, next);
    // A member offline for good leaves no unbounded outbox: the oldest dormant entries go first.
    if (!done && isDormant(next)) await this.drop(dormantOverflow(this.entries.values(), MAX_GROUP_DORMANT_ENTRIES));
    if (message && result) {
      core.emit('group-status', { groupId: entry.groupId, id: message.id, status: result.status, delivered: result.delivered, stored: result.stored, members: result.members });
      if (result.status !== 'queued') for (const resolve of [...(this.waiters.get(message.id) ?? [])]) resolve(result);
    }
  }
}
