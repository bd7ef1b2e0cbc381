/**
 * The sending side: one courier per contact delivers that contact's outbox
 * over /sotto/msg/1.0.0. An entry leaves the outbox only when the recipient
 * acked it (after its durable write); until then it is retried with
 * exponential backoff and jitter, across restarts (the outbox is on disk).
 *
 * A round: encrypt entries still waiting for a session (fetching the
 * contact's live bundle first if there is none), open a stream, send every
 * entry (up to MSG_WINDOW in flight), and settle each by its ack. Envelopes
 * are encrypted once and stored, so a retry resends the same bytes and the
 * receiver recognises a copy.
 */
import { fromBase64, toBase64 } from '../encoding/base64.ts';
import { encryptMessage, startSession } from '../../crypto/session.ts';
import { ACK_TIMEOUT_MS, DIAL_TIMEOUT_MS, MAILBOX_REPLICAS, MAX_MSG_FRAME_BYTES, MSG_PROTOCOL, MSG_WINDOW, RETRY_BASE_MS, RETRY_JITTER, RETRY_MAX_MS } from '../constants.ts';
import type { Core } from '../core/core.ts';
import type { FramedStream } from '../transport/network.ts';
import type { PrekeyBundle } from '../../crypto/bundle.ts';
import { seal } from '../../crypto/sealed.ts';
import { publishedBundle } from '../bundles/bundle-publisher.ts';
import { depositOn, MailboxRefusedError, withClosestMailboxes } from '../mailbox/client.ts';
import { mailboxKeyOf } from '../mailbox/keys.ts';
import type { MailboxPass } from '../mailbox/pass.ts';
import { signingKeyOfPeerId } from '../encoding/peer-id.ts';
import { fetchBundle } from '../bundles/prekey-service.ts';
import type { Custody, MessageRecord, OutboxEntry } from '../store/records.ts';
import { Tx } from '../store/store.ts';
import { decodeMsgFrame, encodeDeliver, type AckStatus } from './wire.ts';

/** Why a message failed when the recipient refused it (blocked us, or our request to it is full). */
export const NOT_ACCEPTED = 'not accepted';

/** Most DELIVER frames gathered into one transport write. */
const FRAMES_PER_WRITE = 64;

/** Why entries are still waiting, in words for `sotto send`. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]!.slice(0, 200);
  return String(err);
}

/** Delivers the outbox entries of one contact. */
export class Courier {
  private active: Promise<void> | undefined;
  private again = false;
  private forced = false;
  /** Sealed items of entries being placed with mailboxes, by outbox seq. */
  private readonly sealed = new Map<number, Uint8Array>();
  private timer: unknown;
  private stream: FramedStream | undefined;
  private stopped = false;

  constructor(
    private readonly core: Core,
    readonly peerId: string,
  ) {}

  /**
   * Starts a delivery round now (or right after the current one). Entries
   * still backing off wait for their time unless `force` (the contact just
   * connected, so waiting makes no sense).
   */
  kick(force = false): void {
    if (this.stopped) return;
    this.forced ||= force;
    if (this.active) {
      this.again = true;
      return;
    }
    this.core.scheduler.clearTimeout(this.timer);
    const forced = this.forced;
    this.forced = false;
    this.active = this.run(forced).finally(() => {
      this.active = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      } else {
        this.scheduleNext();
      }
    });
  }

  /** Stops retrying and closes the stream; waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.core.scheduler.clearTimeout(this.timer);
    await this.active?.catch(() => {});
    await this.stream?.close().catch(() => {});
    this.stream = undefined;
  }

  private scheduleNext(): void {
    const entries = this.core.outboxOf(this.peerId);
    if (entries.length === 0 || this.stopped) return;
    const next = Math.min(...entries.map((e) => e.nextAttemptAt));
    this.timer = this.core.scheduler.setTimeout(() => this.kick(), Math.max(0, next - this.core.ctx.now()));
  }

  private async run(forced: boolean): Promise<void> {
    const network = this.core.network;
    const entries = this.core.outboxOf(this.peerId);
    if (!network || entries.length === 0) return;
    if (!forced && !entries.some((e) => e.nextAttemptAt <= this.core.ctx.now())) return;
    // This round answers for the entries it started with; later ones get their own round.
    const round = new Set(entries.map((e) => e.seq));
    const current = (): OutboxEntry[] => this.core.outboxOf(this.peerId).filter((e) => round.has(e.seq));
    try {
      const ready = await this.encryptWaiting(entries);
      try {
        try {
          await this.deliver(ready);
        } catch (err) {
          // A stream that was open and broke gets one more try on a new one: one kept from an
          // earlier round may have died quietly, and a connection may close under a stream in
          // flight (a relayed one, once a direct one to the contact is up). A contact that
          // cannot be reached at all (no stream opened) goes to its mailboxes.
          if (!this.opened) throw err;
          await this.stream?.close().catch(() => {});
          this.stream = undefined;
          await this.deliver(current());
        }
      } catch (err) {
        // The contact is not reachable: its mailboxes hold the mail until it comes back.
        await this.stream?.close().catch(() => {});
        this.stream = undefined;
        await this.place(current(), describe(err));
      }
    } catch (err) {
      await this.stream?.close().catch(() => {});
      this.stream = undefined;
      await this.postpone(current(), describe(err));
    }
  }

  /** Encrypts entries that wait for a session, starting one from a live bundle if needed. */
  private async encryptWaiting(entries: OutboxEntry[]): Promise<OutboxEntry[]> {
    if (entries.every((e) => e.envelope !== null)) return entries;
    const core = this.core;
    let record = await core.locks.run(this.peerId, () => core.session(this.peerId));
    const bundle = record ? undefined : await this.bundle();
    return core.locks.run(this.peerId, async () => {
      record = await core.session(this.peerId);
      if (!record && bundle) record = await startSession(core.ctx, core.identity, bundle);
      const tx = new Tx();
      const updated = core.outboxOf(this.peerId).filter((e) => entries.some((x) => x.seq === e.seq)).map((entry) => {
        if (entry.envelope !== null || entry.payload === null) return entry;
        const out = encryptMessage(core.ctx, record, fromBase64(entry.payload));
        record = out.record;
        const next: OutboxEntry = { ...entry, payload: null, envelope: toBase64(out.envelope) };
        tx.putOutbox(next);
        return next;
      });
      tx.putSession(this.peerId, record!);
      await core.store.commit(tx, { sync: true });
      core.setSession(this.peerId, record);
      for (const entry of updated) core.setOutboxEntry(entry);
      return updated;
    });
  }

  /** True once the current delivery has a stream (kept from an earlier round or opened now). */
  private opened = false;

  /** The contact's live bundle, or, when it is unreachable, its newest valid bundle record in the DHT. */
  private async bundle(): Promise<PrekeyBundle> {
    try {
      return await fetchBundle(this.core, this.peerId);
    } catch (err) {
      const published = await publishedBundle(this.core, this.peerId);
      if (!published) throw err;
      return published;
    }
  }

  /**
   * Deposits entries with the contact's mailboxes (the k closest to its
   * mailbox key). An entry held by k mailboxes leaves the outbox, its message
   * 'stored'; one held by fewer stays, to be placed again or delivered
   * directly, whichever comes first.
   */
  private async place(entries: OutboxEntry[], directFailure: string): Promise<void> {
    const core = this.core;
    const session = await core.locks.run(this.peerId, () => core.session(this.peerId));
    const pendingEntries = entries.filter((e) => e.envelope !== null && e.custody.length < MAILBOX_REPLICAS);
    if (!session || pendingEntries.length === 0) throw new Error(directFailure);
    const recipientDhKey = session.sessions[0]!.remoteIdentity.dhKey;
    const mailboxKey = mailboxKeyOf(core.ctx.primitives, this.peerId);
    const pass = await this.pass();
    const sender = new TextEncoder().encode(core.peerId);
    const custody = new Map(pendingEntries.map((e) => [e.seq, [...e.custody]]));
    // One sealed item per entry, the same bytes for every mailbox: the recipient
    // recognises the copies by their item id without opening them.
    const sealedItem = async (entry: OutboxEntry): Promise<Uint8Array> => {
      let item = this.sealed.get(entry.seq);
      if (!item) this.sealed.set(entry.seq, (item = await seal(core.ctx, recipientDhKey, sender, fromBase64(entry.envelope!))));
      return item;
    };
    let lastRefusal: string | undefined;
    await withClosestMailboxes(core, mailboxKey, MAILBOX_REPLICAS, new Set(), async (mailbox, stream) => {
      for (const entry of pendingEntries) {
        const held = custody.get(entry.seq)!;
        if (held.some((c) => c.mailbox === mailbox)) continue;
        try {
          const receipt = await depositOn(core, mailbox, stream, mailboxKey, await sealedItem(entry), pass);
          held.push({ mailbox, expiresAt: receipt.expiresAt });
        } catch (err) {
          lastRefusal = describe(err);
          if (!(err instanceof MailboxRefusedError)) return; // the stream broke: next mailbox
        }
      }
    });
    const tx = new Tx();
    const updated: OutboxEntry[] = [];
    const done: OutboxEntry[] = [];
    const statuses: { id: string; custody: Custody }[] = [];
    for (const entry of pendingEntries) {
      const held = custody.get(entry.seq)!;
      if (held.length === entry.custody.length) continue;
      const next: OutboxEntry = { ...entry, custody: held };
      const state: Custody = { mailboxes: held.length, until: Math.min(...held.map((c) => c.expiresAt)) };
      if (held.length >= MAILBOX_REPLICAS) {
        tx.deleteOutbox(entry.seq);
        done.push(entry);
      } else {
        tx.putOutbox(next);
        updated.push(next);
      }
      if (entry.messageId) {
        const message = await core.queuedMessage(this.peerId, entry.messageId, held.length >= MAILBOX_REPLICAS);
        if (message && (message.status === 'queued' || message.status === 'stored')) {
          const stored: MessageRecord = { ...message, status: 'stored', custody: state };
          tx.putMessage(stored);
          if (held.length < MAILBOX_REPLICAS) core.trackQueued(stored);
          statuses.push({ id: message.id, custody: state });
        }
      }
    }
    await core.store.commit(tx, { sync: false });
    for (const entry of done) {
      core.removeOutboxEntry(entry);
      this.sealed.delete(entry.seq);
    }
    for (const entry of updated) core.setOutboxEntry(entry);
    for (const { id, custody: state } of statuses) {
      core.emit('status', { peerId: this.peerId, id, status: 'stored', reason: `held by ${state.mailboxes} mailbox${state.mailboxes === 1 ? '' : 'es'} until ${new Date(state.until).toISOString()}` });
    }
    const stillWaiting = this.core.outboxOf(this.peerId).filter((e) => entries.some((x) => x.seq === e.seq));
    if (stillWaiting.length > 0) {
      const placed = Math.min(...stillWaiting.map((e) => e.custody.length));
      await this.postpone(stillWaiting, `${directFailure}; held by ${placed} of ${MAILBOX_REPLICAS} mailboxes${lastRefusal ? ` (${lastRefusal})` : ''}`);
    }
  }

  /** The contact's mailbox pass for this node, while it is valid (strangers have none). */
  private async pass(): Promise<MailboxPass | undefined> {
    const held = (await this.core.contactByPeer(this.peerId))?.pass;
    if (!held || held.expiresAt <= this.core.ctx.now()) return undefined;
    return { recipientKey: signingKeyOfPeerId(this.peerId), expiresAt: held.expiresAt, signature: fromBase64(held.signature) };
  }

  private async openStream(): Promise<FramedStream> {
    this.opened = false;
    this.stream ??= await this.core.network!.open(this.peerId, MSG_PROTOCOL, MAX_MSG_FRAME_BYTES, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
    this.opened = true;
    return this.stream;
  }

  /** Sends `entries` in order with up to MSG_WINDOW unacked, and settles each by its ack. */
  private async deliver(entries: OutboxEntry[]): Promise<void> {
    const stream = await this.openStream();
    const waiting = new Map<number, OutboxEntry>();
    let nextFrame = 0;
    let sent = 0;
    let windowOpen: (() => void) | undefined;
    const settled: { entry: OutboxEntry; status: AckStatus }[] = [];
    let flushing: Promise<void> = Promise.resolve();
    const flush = (): void => {
      const batch = settled.splice(0, settled.length);
      if (batch.length > 0) flushing = flushing.then(() => this.settle(batch));
    };

    const writer = (async () => {
      let next = 0;
      while (next < entries.length) {
        while (waiting.size >= MSG_WINDOW) await new Promise<void>((resolve) => (windowOpen = resolve));
        // Every frame the window allows now, in one transport write.
        const frames: Uint8Array[] = [];
        while (next < entries.length && waiting.size < MSG_WINDOW && frames.length < FRAMES_PER_WRITE) {
          const entry = entries[next++]!;
          const seq = nextFrame++;
          waiting.set(seq, entry);
          sent++;
          frames.push(encodeDeliver(seq, fromBase64(entry.envelope!)));
        }
        await stream.writeMany(frames);
      }
    })();
    const reader = (async () => {
      let received = 0;
      while (received < entries.length) {
        const frame = decodeMsgFrame(await stream.read({ signal: AbortSignal.timeout(ACK_TIMEOUT_MS) }));
        if (frame.type !== 'ack') throw new Error('unexpected frame from the recipient');
        const entry = waiting.get(frame.seq);
        if (!entry) throw new Error('ack for a frame that was not sent');
        waiting.delete(frame.seq);
        received++;
        settled.push({ entry, status: frame.status });
        // Settle acks in groups: each group is one store write.
        if (settled.length >= MSG_WINDOW / 4 || received === sent) flush();
        windowOpen?.();
        windowOpen = undefined;
      }
    })();
    try {
      await Promise.all([writer, reader]);
    } finally {
      flush();
      await flushing;
    }
  }

  /** Applies acks: delivered or failed entries leave the outbox ('rejected', 'refused': failed); 'retry' ones back off. */
  private async settle(batch: { entry: OutboxEntry; status: AckStatus }[]): Promise<void> {
    const core = this.core;
    const tx = new Tx();
    const statuses: { id: string; status: 'delivered' | 'failed'; reason?: string }[] = [];
    const retry: OutboxEntry[] = [];
    for (const { entry, status } of batch) {
      if (status === 'retry') {
        retry.push(entry);
        continue;
      }
      tx.deleteOutbox(entry.seq);
      if (entry.messageId) {
        const message = await core.queuedMessage(this.peerId, entry.messageId, true);
        const next = status === 'rejected' || status === 'refused' ? 'failed' : 'delivered';
        if (message && (message.status === 'queued' || message.status === 'stored')) {
          tx.putMessage({ ...message, status: next, ...(status === 'refused' ? { failure: NOT_ACCEPTED } : {}) });
          statuses.push({ id: message.id, status: next, ...(status === 'refused' ? { reason: NOT_ACCEPTED } : {}) });
        }
      }
    }
    await core.store.commit(tx, { sync: false });
    for (const { entry, status } of batch) if (status !== 'retry') core.removeOutboxEntry(entry);
    for (const s of statuses) core.emit('status', { peerId: this.peerId, ...s, ...(s.status === 'failed' && !s.reason ? { reason: 'the recipient could not decrypt it' } : {}) });
    if (retry.length > 0) await this.postpone(retry, 'the recipient asked to retry later');
  }

  /** Records a failed attempt and the next time to try, with exponential backoff and jitter. */
  private async postpone(entries: OutboxEntry[], reason: string): Promise<void> {
    if (entries.length === 0) return;
    const core = this.core;
    const now = core.ctx.now();
    const jitter = 1 + RETRY_JITTER * (core.ctx.randomBytes(1)[0]! / 255);
    const tx = new Tx();
    const updated = entries.map((entry) => {
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(entry.attempts, 30)) * jitter;
      const next: OutboxEntry = { ...entry, attempts: entry.attempts + 1, nextAttemptAt: Math.round(now + delay), lastError: reason };
      tx.putOutbox(next);
      return next;
    });
    await core.store.commit(tx, { sync: false });
    for (const entry of updated) core.setOutboxEntry(entry);
    core.emit('undelivered', { peerId: this.peerId, ids: updated.flatMap((e) => (e.messageId ? [e.messageId] : [])), reason });
  }
}
