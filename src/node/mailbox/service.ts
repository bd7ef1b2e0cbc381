/**
 * The mailbox a node runs with `sotto start --mailbox`: it holds sealed mail
 * for peers that are offline, under their mailbox keys, and hands it to them
 * when they come back (docs/PROTOCOL.md, "Mailboxes").
 *
 * - DEPOSIT: refused if the item is too large, the recipient's box or the
 *   depositor's allowance is used up, or the mailbox is full; otherwise
 *   written durably, then answered with a custody receipt signed by this
 *   node's identity key: "stored until T". Depositing the same item again is
 *   harmless (same id, same receipt).
 * - A deposit with the recipient's pass (./pass.ts) counts against the
 *   recipient's box; one without shares the recipient's small stranger
 *   allowance and the mailbox's stranger share, so fresh peer ids cannot
 *   crowd out what the recipient's contacts deposit.
 * - FETCH / ACK: only for the mailbox key of the connection's own peer id.
 * - Mail older than its TTL is swept. The store keeps no sender: depositor
 *   allowances are counted in memory only.
 */
import { toHex, fromHex } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import {
  MAILBOX_DEFAULT_MAX_TOTAL_BYTES,
  MAILBOX_DEPOSITOR_WINDOW_MS,
  MAILBOX_FETCH_BATCH,
  MAILBOX_MAX_BYTES_PER_DEPOSITOR,
  MAILBOX_MAX_BYTES_PER_RECIPIENT,
  MAILBOX_MAX_DEPOSITS_PER_DEPOSITOR,
  MAILBOX_MAX_ITEMS_PER_RECIPIENT,
  MAILBOX_MAX_ITEM_BYTES,
  MAILBOX_STRANGER_BYTES_PER_RECIPIENT,
  MAILBOX_STRANGER_DEPOSITS_PER_DEPOSITOR,
  MAILBOX_STRANGER_ITEMS_PER_RECIPIENT,
  MAILBOX_STRANGER_SHARE_DIVISOR,
  MAILBOX_SWEEP_INTERVAL_MS,
  MAILBOX_TIMEOUT_MS,
  MAILBOX_TTL_MS,
  MAX_MAILBOX_FRAME_BYTES,
} from '../constants.ts';
import type { Scheduler } from '../core/core.ts';
import type { FramedStream } from '../transport/network.ts';
import type { MailPosition } from '../store/held-mail.ts';
import { Tx, type SottoStore } from '../store/store.ts';
import { groupMailboxKey, mailboxKeyHex } from './keys.ts';
import { passProblem, type MailboxPass } from './pass.ts';
import { custodySignedData, decodeMailboxFrame, encodeMailboxFrame, type MailItem, type RefusalReason } from './wire.ts';

/** Items deleted per sweep write. */
const SWEEP_BATCH = 1000;
/** Room in an ITEMS frame for its header. */
const ITEMS_FRAME_HEADER_BYTES = 64;
/** Bytes an item adds to an ITEMS frame besides itself (id and length). */
const ITEM_OVERHEAD_BYTES = 36;

/** Passes a mailbox remembers as checked (the oldest is forgotten first): a busy mailbox's active depositors fit. */
const VERIFIED_PASSES_KEPT = 4096;

/** Items whose times one stream remembers between FETCH and ACK (two full batches). */
const HANDED_OUT_LIMIT = 2 * MAILBOX_FETCH_BATCH;

/** What a mailbox remembers of an item it handed out: its times (which name its index entries) and size. */
export interface HandedOut {
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly bytes: number;
  readonly stranger: boolean;
}

/**
 * What one stream remembers of what it handed out: the times of its items
 * (so that their ACK needs no read), and the last item's place in deposit
 * order (a FETCH on the stream continues after it).
 */
export interface FetchCursor {
  readonly handedOut: Map<string, HandedOut>;
  after?: MailPosition;
}

/** Options of a mailbox. */
export interface MailboxOptions {
  readonly ctx: CryptoContext;
  readonly store: SottoStore;
  readonly identity: IdentityKeyPair;
  readonly scheduler: Scheduler;
  /** Bound on everything held (default MAILBOX_DEFAULT_MAX_TOTAL_BYTES). */
  readonly maxTotalBytes?: number;
  /** How long mail is kept (default MAILBOX_TTL_MS). */
  readonly ttlMs?: number;
}

/** What a mailbox holds, for `sotto status` and the simulation. */
export interface MailboxUsage {
  readonly items: number;
  readonly bytes: number;
  readonly recipients: number;
  /** Bytes held from depositors without the recipient's pass. */
  readonly strangerBytes: number;
}

/** What one recipient's box holds, and how much of it came from strangers. */
interface BoxUsage {
  items: number;
  bytes: number;
  strangerItems: number;
  strangerBytes: number;
}

/** A mailbox held by this node. */
export class MailboxService {
  private readonly perRecipient = new Map<string, BoxUsage>();
  private readonly perDepositor = new Map<string, { since: number; items: number; bytes: number; strangerItems: number }>();
  private totalBytes = 0;
  private totalItems = 0;
  private strangerBytes = 0;
  /** Passes checked and found good: depositor, mailbox key and signature → expiry. */
  private readonly verifiedPasses = new Map<string, number>();
  /** Set by close(): no more sweeps. */
  private closed = false;
  /** The newest storedAt given out: deposits get strictly increasing times, so deposit order is total. */
  private lastStoredAt = 0;
  private sweepTimer: unknown;
  /** The chain of deletions (acks, sweeps) and fetches: one at a time. */
  private deletions: Promise<unknown> = Promise.resolve();
  /** Per mailbox key, the handed-out times of every stream serving it. */
  private readonly handedOut = new Map<string, Set<Map<string, HandedOut>>>();
  private readonly maxTotalBytes: number;
  private readonly ttlMs: number;

  private constructor(private readonly options: MailboxOptions) {
    this.maxTotalBytes = options.maxTotalBytes ?? MAILBOX_DEFAULT_MAX_TOTAL_BYTES;
    this.ttlMs = options.ttlMs ?? MAILBOX_TTL_MS;
  }

  /** Opens the mailbox: rebuilds its counters from the store and starts sweeping. */
  static async open(options: MailboxOptions): Promise<MailboxService> {
    const service = new MailboxService(options);
    // A store written before the deposit-order index gets its entries now.
    const ordered = await options.store.mailOrderIds();
    const repair = new Tx();
    let repaired = 0;
    for await (const { mailboxKey, id, bytes, storedAt, stranger } of options.store.scanMail()) {
      service.count(mailboxKey, 1, bytes, stranger);
      service.lastStoredAt = Math.max(service.lastStoredAt, storedAt);
      if (!ordered.has(`${mailboxKey}:${id}`)) {
        repair.putMailOrder(mailboxKey, id, storedAt);
        repaired++;
      }
    }
    if (repaired > 0) await options.store.commit(repair, { sync: true });
    service.scheduleSweep(0);
    return service;
  }

  /** Stops sweeping. */
  close(): void {
    this.closed = true;
    this.options.scheduler.clearTimeout(this.sweepTimer);
  }

  usage(): MailboxUsage {
    return { items: this.totalItems, bytes: this.totalBytes, recipients: this.perRecipient.size, strangerBytes: this.strangerBytes };
  }

  /** Adds (or, negative, removes) items of one recipient's box to the counters. */
  private count(key: string, items: number, bytes: number, stranger: boolean): void {
    const box = this.perRecipient.get(key) ?? { items: 0, bytes: 0, strangerItems: 0, strangerBytes: 0 };
    box.items += items;
    box.bytes += bytes;
    if (stranger) {
      box.strangerItems += items;
      box.strangerBytes += bytes;
      this.strangerBytes += bytes;
    }
    if (box.items <= 0) this.perRecipient.delete(key);
    else this.perRecipient.set(key, box);
    this.totalItems += items;
    this.totalBytes += bytes;
  }

  private scheduleSweep(delay: number): void {
    // A sweep that was running when close() came must not start another.
    if (this.closed) return;
    this.sweepTimer = this.options.scheduler.setTimeout(() => {
      void this.sweep()
        .catch(() => {})
        .finally(() => this.scheduleSweep(MAILBOX_SWEEP_INTERVAL_MS));
    }, delay);
  }

  /** Deletes mail past its expiry; resolves to how many items went. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (;;) {
      const step = await this.exclusively(async () => {
        const { store } = this.options;
        const expired = await store.listExpiredMail(this.options.ctx.now(), SWEEP_BATCH);
        if (expired.length === 0) return 0;
        const tx = new Tx();
        const gone: { key: string; id: string; bytes: number; stranger: boolean }[] = [];
        for (const { mailboxKey, id, expiresAt } of expired) {
          const held = await store.getMail(mailboxKey, id);
          if (held) {
            tx.deleteMail(mailboxKey, id, held);
            gone.push({ key: mailboxKey, id, bytes: held.item.length, stranger: held.stranger === true });
          } else tx.deleteMailExpiry(mailboxKey, id, expiresAt);
        }
        await store.commit(tx, { sync: false });
        for (const { key, id, bytes, stranger } of gone) {
          this.count(key, -1, -bytes, stranger);
          this.forget(key, [id]);
        }
        return expired.length;
      });
      if (step === 0) return removed;
      removed += step;
    }
  }

  private refuse(depositor: string, key: string, size: number, stranger: boolean): RefusalReason | undefined {
    if (size > MAILBOX_MAX_ITEM_BYTES) return 'too-large';
    const box = this.perRecipient.get(key);
    if (stranger) {
      // The recipient's contacts (with passes) have the rest of the box: strangers only this much, in all.
      if (box && (box.strangerItems >= MAILBOX_STRANGER_ITEMS_PER_RECIPIENT || box.strangerBytes + size > MAILBOX_STRANGER_BYTES_PER_RECIPIENT)) return 'stranger-quota';
      if (this.strangerBytes + size > this.maxTotalBytes / MAILBOX_STRANGER_SHARE_DIVISOR) return 'stranger-quota';
    } else if (box && (box.items - box.strangerItems >= MAILBOX_MAX_ITEMS_PER_RECIPIENT || box.bytes - box.strangerBytes + size > MAILBOX_MAX_BYTES_PER_RECIPIENT)) {
      return 'recipient-quota';
    }
    const now = this.options.ctx.now();
    let allowance = this.perDepositor.get(depositor);
    if (!allowance || now - allowance.since >= MAILBOX_DEPOSITOR_WINDOW_MS) {
      allowance = { since: now, items: 0, bytes: 0, strangerItems: 0 };
      this.perDepositor.set(depositor, allowance);
    }
    if (allowance.items >= MAILBOX_MAX_DEPOSITS_PER_DEPOSITOR || allowance.bytes + size > MAILBOX_MAX_BYTES_PER_DEPOSITOR) return 'depositor-quota';
    if (stranger && allowance.strangerItems >= MAILBOX_STRANGER_DEPOSITS_PER_DEPOSITOR) return 'depositor-quota';
    if (this.totalBytes + size > this.maxTotalBytes) return 'full';
    return undefined;
  }

  /**
   * Stores one deposit from `depositor` (the connection's authenticated peer),
   * with the recipient's pass or without (`group`: a group deposit, whose
   * token was the pass); resolves to the frame to answer with: a custody receipt, or REFUSED (`bad-pass` for a pass that does not
   * hold, whatever else).
   */
  async deposit(depositor: string, mailboxKey: Uint8Array, item: Uint8Array, pass?: MailboxPass, group = false): Promise<Uint8Array> {
    const { ctx, store, identity } = this.options;
    if (pass && !(await this.passHolds(pass, mailboxKey, depositor))) return encodeMailboxFrame({ type: 'refused', reason: 'bad-pass' });
    const stranger = pass === undefined && !group;
    const key = toHex(mailboxKey);
    const id = ctx.primitives.sha256(item);
    const idHex = toHex(id);
    const existing = await store.getMail(key, idHex);
    let expiresAt = existing?.expiresAt;
    if (!existing) {
      const reason = this.refuse(depositor, key, item.length, stranger);
      if (reason) return encodeMailboxFrame({ type: 'refused', reason });
      const now = ctx.now();
      expiresAt = now + this.ttlMs;
      // Never equal to an earlier deposit's: fetches list by (storedAt, id), and ids are random.
      const storedAt = Math.max(now, this.lastStoredAt + 1);
      this.lastStoredAt = storedAt;
      const allowance = this.perDepositor.get(depositor)!;
      allowance.items++;
      allowance.bytes += item.length;
      if (stranger) allowance.strangerItems++;
      this.count(key, 1, item.length, stranger);
      try {
        await store.commit(new Tx().putMail(key, idHex, { storedAt, expiresAt, item, ...(stranger ? { stranger } : {}) }), { sync: true });
      } catch (err) {
        this.count(key, -1, -item.length, stranger);
        throw err;
      }
    }
    const signature = await ctx.primitives.ed25519Sign(identity.signingSeed, custodySignedData(mailboxKey, id, expiresAt!));
    return encodeMailboxFrame({ type: 'receipt', id, expiresAt: expiresAt!, signature });
  }

  /**
   * Up to `max` items for `recipient`, within one frame, in deposit order.
   * With a stream's `cursor`: only items after the last one it handed out
   * (so a client may ask for the next batch before acknowledging this one),
   * and the cursor notes the times of every item sent, so that acknowledging
   * them on the same stream needs no read.
   */
  fetch(recipient: string, max: number, cursor?: FetchCursor): Promise<Uint8Array> {
    return this.fetchKey(mailboxKeyHex(this.options.ctx.primitives, recipient), max, cursor);
  }

  /**
   * Up to `max` items of a group's box after the item `after` (in deposit
   * order; from the start when that item is gone), for whoever shows its
   * token: every member fetches the same items, which stay until their TTL
   * (no ACK deletes them).
   */
  async fetchGroup(token: Uint8Array, max: number, after?: Uint8Array): Promise<Uint8Array> {
    const key = toHex(groupMailboxKey(this.options.ctx.primitives, token));
    const last = after === undefined ? undefined : await this.options.store.getMail(key, toHex(after));
    const cursor: FetchCursor = { handedOut: new Map(), ...(last && after ? { after: { storedAt: last.storedAt, id: toHex(after) } } : {}) };
    return this.fetchKey(key, max, cursor);
  }

  private fetchKey(key: string, max: number, cursor?: FetchCursor): Promise<Uint8Array> {
    // Not while a deletion runs: a handed-out item is held when it is listed and remembered.
    return this.exclusively(async () => {
      const listed = await this.options.store.listMail(key, max + 1, cursor?.after);
      const items: MailItem[] = [];
      let size = ITEMS_FRAME_HEADER_BYTES;
      let more = listed.length > max;
      for (const { id, held } of listed.slice(0, max)) {
        if (size + ITEM_OVERHEAD_BYTES + held.item.length > MAX_MAILBOX_FRAME_BYTES) {
          more = true;
          break;
        }
        size += ITEM_OVERHEAD_BYTES + held.item.length;
        items.push({ id: fromHex(id), item: held.item });
        if (cursor) {
          cursor.handedOut.set(id, { storedAt: held.storedAt, expiresAt: held.expiresAt, bytes: held.item.length, stranger: held.stranger === true });
          cursor.after = { storedAt: held.storedAt, id };
        }
      }
      return encodeMailboxFrame({ type: 'items', more, items });
    });
  }

  /**
   * Deletes acknowledged items of `recipient` (and only of `recipient`).
   * The times of an item (which name its index entries) come from
   * `handedOut` when this stream fetched it (an entry there is dropped
   * whenever the item is deleted, so it is never stale); the others are read,
   * all in one read. Deletions (acks and sweeps) run one at a time, so that
   * an item is counted out once.
   */
  acknowledge(recipient: string, ids: readonly Uint8Array[], handedOut?: Map<string, HandedOut>): Promise<Uint8Array> {
    return this.exclusively(async () => {
      const { ctx, store } = this.options;
      const key = mailboxKeyHex(ctx.primitives, recipient);
      const known: [string, HandedOut][] = [];
      const unknown: string[] = [];
      for (const id of new Set(ids.map((i) => toHex(i)))) {
        const times = handedOut?.get(id);
        if (times) known.push([id, times]);
        else unknown.push(id);
      }
      const held = await store.getMailMany(key, unknown);
      unknown.forEach((id, i) => {
        const item = held[i];
        if (item) known.push([id, { storedAt: item.storedAt, expiresAt: item.expiresAt, bytes: item.item.length, stranger: item.stranger === true }]);
      });
      if (known.length === 0) return encodeMailboxFrame({ type: 'acked', deleted: 0 });
      const tx = new Tx();
      for (const [id, times] of known) tx.deleteMail(key, id, times);
      await store.commit(tx, { sync: false });
      for (const [, times] of known) this.count(key, -1, -times.bytes, times.stranger);
      this.forget(key, known.map(([id]) => id));
      return encodeMailboxFrame({ type: 'acked', deleted: known.length });
    });
  }

  /**
   * True when `pass` lets `depositor` deposit under `mailboxKey` now. A pass
   * that held once is remembered (by depositor, key and signature) until it
   * expires, so a sender's backlog costs one signature check, not one each.
   */
  private async passHolds(pass: MailboxPass, mailboxKey: Uint8Array, depositor: string): Promise<boolean> {
    const now = this.options.ctx.now();
    const id = `${depositor} ${toHex(mailboxKey)} ${toHex(pass.signature)}`;
    const expiresAt = this.verifiedPasses.get(id);
    if (expiresAt !== undefined) return expiresAt === pass.expiresAt && expiresAt > now;
    if (await passProblem(this.options.ctx.primitives, pass, mailboxKey, depositor, now)) return false;
    if (this.verifiedPasses.size >= VERIFIED_PASSES_KEPT) this.verifiedPasses.delete(this.verifiedPasses.keys().next().value!);
    this.verifiedPasses.set(id, pass.expiresAt);
    return true;
  }

  /** Runs `work` after every deletion or fetch before it (they never interleave). */
  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    const run = this.deletions.then(work);
    this.deletions = run.catch(() => {});
    return run;
  }

  /** Drops deleted items from every stream's handed-out times. */
  private forget(key: string, ids: readonly string[]): void {
    const maps = this.handedOut.get(key);
    if (!maps) return;
    for (const map of maps) for (const id of ids) map.delete(id);
  }

  /** Serves one /sotto/mailbox stream from `remotePeerId` (Noise-authenticated). */
  async serve(stream: FramedStream, remotePeerId: string): Promise<void> {
    // Times of the items this stream handed out and that are still held: their ACK needs no read.
    const key = mailboxKeyHex(this.options.ctx.primitives, remotePeerId);
    const handedOut = new Map<string, HandedOut>();
    const cursor: FetchCursor = { handedOut };
    const streams = this.handedOut.get(key) ?? new Set();
    this.handedOut.set(key, streams.add(handedOut));
    try {
      for (;;) {
        let raw: Uint8Array;
        try {
          raw = await stream.read({ signal: AbortSignal.timeout(MAILBOX_TIMEOUT_MS) });
        } catch {
          break; // ended, timed out or broke
        }
        let frame;
        try {
          frame = decodeMailboxFrame(raw);
        } catch {
          await stream.write(encodeMailboxFrame({ type: 'refused', reason: 'malformed' }));
          continue;
        }
        if (frame.type === 'deposit') await stream.write(await this.deposit(remotePeerId, frame.mailboxKey, frame.item, frame.pass));
        // A group's token is its pass: the deposit counts against the group's box like a contact's.
        else if (frame.type === 'group-deposit') await stream.write(await this.deposit(remotePeerId, groupMailboxKey(this.options.ctx.primitives, frame.token), frame.item, undefined, true));
        else if (frame.type === 'group-fetch') await stream.write(await this.fetchGroup(frame.token, frame.max, frame.after));
        else if (frame.type === 'fetch') {
          // An ITEMS frame holds at most MAILBOX_FETCH_BATCH items; older unacknowledged ones are forgotten (an ACK of them reads).
          if (handedOut.size >= HANDED_OUT_LIMIT) handedOut.clear();
          await stream.write(await this.fetch(remotePeerId, frame.max, cursor));
        } else if (frame.type === 'ack') await stream.write(await this.acknowledge(remotePeerId, frame.ids, handedOut));
        else await stream.write(encodeMailboxFrame({ type: 'refused', reason: 'malformed' }));
      }
      await stream.close();
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    } finally {
      streams.delete(handedOut);
      if (streams.size === 0) this.handedOut.delete(key);
    }
  }
}
