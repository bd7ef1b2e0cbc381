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
  MAILBOX_MAX_BYTES_PER_DEPOSITOR,
  MAILBOX_MAX_BYTES_PER_RECIPIENT,
  MAILBOX_MAX_DEPOSITS_PER_DEPOSITOR,
  MAILBOX_MAX_ITEMS_PER_RECIPIENT,
  MAILBOX_MAX_ITEM_BYTES,
  MAILBOX_SWEEP_INTERVAL_MS,
  MAILBOX_TIMEOUT_MS,
  MAILBOX_TTL_MS,
  MAX_MAILBOX_FRAME_BYTES,
} from '../constants.ts';
import type { Scheduler } from '../core.ts';
import type { FramedStream } from '../network.ts';
import { Tx, type SottoStore } from '../store/store.ts';
import { mailboxKeyHex } from './keys.ts';
import { custodySignedData, decodeMailboxFrame, encodeMailboxFrame, type MailItem, type RefusalReason } from './wire.ts';

/** Items deleted per sweep write. */
const SWEEP_BATCH = 1000;
/** Room in an ITEMS frame for its header. */
const ITEMS_FRAME_HEADER_BYTES = 64;
/** Bytes an item adds to an ITEMS frame besides itself (id and length). */
const ITEM_OVERHEAD_BYTES = 36;

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
}

/** A mailbox held by this node. */
export class MailboxService {
  private readonly perRecipient = new Map<string, { items: number; bytes: number }>();
  private readonly perDepositor = new Map<string, { since: number; items: number; bytes: number }>();
  private totalBytes = 0;
  private totalItems = 0;
  /** The newest storedAt given out: deposits get strictly increasing times, so deposit order is total. */
  private lastStoredAt = 0;
  private sweepTimer: unknown;
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
    for await (const { mailboxKey, id, bytes, storedAt } of options.store.scanMail()) {
      service.count(mailboxKey, 1, bytes);
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
    this.options.scheduler.clearTimeout(this.sweepTimer);
  }

  usage(): MailboxUsage {
    return { items: this.totalItems, bytes: this.totalBytes, recipients: this.perRecipient.size };
  }

  private count(key: string, items: number, bytes: number): void {
    const box = this.perRecipient.get(key) ?? { items: 0, bytes: 0 };
    box.items += items;
    box.bytes += bytes;
    if (box.items <= 0) this.perRecipient.delete(key);
    else this.perRecipient.set(key, box);
    this.totalItems += items;
    this.totalBytes += bytes;
  }

  private scheduleSweep(delay: number): void {
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
      const expired = await this.options.store.listExpiredMail(this.options.ctx.now(), SWEEP_BATCH);
      if (expired.length === 0) return removed;
      const tx = new Tx();
      const sizes: { key: string; bytes: number }[] = [];
      for (const { mailboxKey, id, expiresAt } of expired) {
        const held = await this.options.store.getMail(mailboxKey, id);
        if (held) {
          tx.deleteMail(mailboxKey, id, held);
          sizes.push({ key: mailboxKey, bytes: held.item.length });
        } else tx.deleteMailExpiry(mailboxKey, id, expiresAt);
      }
      await this.options.store.commit(tx, { sync: false });
      for (const { key, bytes } of sizes) this.count(key, -1, -bytes);
      removed += expired.length;
    }
  }

  private refuse(depositor: string, key: string, size: number): RefusalReason | undefined {
    if (size > MAILBOX_MAX_ITEM_BYTES) return 'too-large';
    const box = this.perRecipient.get(key);
    if (box && (box.items >= MAILBOX_MAX_ITEMS_PER_RECIPIENT || box.bytes + size > MAILBOX_MAX_BYTES_PER_RECIPIENT)) return 'recipient-quota';
    const now = this.options.ctx.now();
    let allowance = this.perDepositor.get(depositor);
    if (!allowance || now - allowance.since >= MAILBOX_DEPOSITOR_WINDOW_MS) {
      allowance = { since: now, items: 0, bytes: 0 };
      this.perDepositor.set(depositor, allowance);
    }
    if (allowance.items >= MAILBOX_MAX_DEPOSITS_PER_DEPOSITOR || allowance.bytes + size > MAILBOX_MAX_BYTES_PER_DEPOSITOR) return 'depositor-quota';
    if (this.totalBytes + size > this.maxTotalBytes) return 'full';
    return undefined;
  }

  /** Stores one deposit; resolves to the frame to answer with. */
  async deposit(depositor: string, mailboxKey: Uint8Array, item: Uint8Array): Promise<Uint8Array> {
    const { ctx, store, identity } = this.options;
    const key = toHex(mailboxKey);
    const id = ctx.primitives.sha256(item);
    const idHex = toHex(id);
    const existing = await store.getMail(key, idHex);
    let expiresAt = existing?.expiresAt;
    if (!existing) {
      const reason = this.refuse(depositor, key, item.length);
      if (reason) return encodeMailboxFrame({ type: 'refused', reason });
      const now = ctx.now();
      expiresAt = now + this.ttlMs;
      // Never equal to an earlier deposit's: fetches list by (storedAt, id), and ids are random.
      const storedAt = Math.max(now, this.lastStoredAt + 1);
      this.lastStoredAt = storedAt;
      const allowance = this.perDepositor.get(depositor)!;
      allowance.items++;
      allowance.bytes += item.length;
      this.count(key, 1, item.length);
      try {
        await store.commit(new Tx().putMail(key, idHex, { storedAt, expiresAt, item }), { sync: true });
      } catch (err) {
        this.count(key, -1, -item.length);
        throw err;
      }
    }
    const signature = await ctx.primitives.ed25519Sign(identity.signingSeed, custodySignedData(mailboxKey, id, expiresAt!));
    return encodeMailboxFrame({ type: 'receipt', id, expiresAt: expiresAt!, signature });
  }

  /** Up to `max` items for `recipient`, within one frame. */
  async fetch(recipient: string, max: number): Promise<Uint8Array> {
    const key = mailboxKeyHex(this.options.ctx.primitives, recipient);
    const listed = await this.options.store.listMail(key, max + 1);
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
    }
    return encodeMailboxFrame({ type: 'items', more, items });
  }

  /** Deletes acknowledged items of `recipient` (and only of `recipient`). */
  async acknowledge(recipient: string, ids: readonly Uint8Array[]): Promise<Uint8Array> {
    const { ctx, store } = this.options;
    const key = mailboxKeyHex(ctx.primitives, recipient);
    const tx = new Tx();
    let deleted = 0;
    let bytes = 0;
    for (const id of ids) {
      const held = await store.getMail(key, toHex(id));
      if (!held) continue;
      tx.deleteMail(key, toHex(id), held);
      deleted++;
      bytes += held.item.length;
    }
    if (deleted > 0) {
      await store.commit(tx, { sync: false });
      this.count(key, -deleted, -bytes);
    }
    return encodeMailboxFrame({ type: 'acked', deleted });
  }

  /** Serves one /sotto/mailbox stream from `remotePeerId` (Noise-authenticated). */
  async serve(stream: FramedStream, remotePeerId: string): Promise<void> {
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
        if (frame.type === 'deposit') await stream.write(await this.deposit(remotePeerId, frame.mailboxKey, frame.item));
        else if (frame.type === 'fetch') await stream.write(await this.fetch(remotePeerId, frame.max));
        else if (frame.type === 'ack') await stream.write(await this.acknowledge(remotePeerId, frame.ids));
        else await stream.write(encodeMailboxFrame({ type: 'refused', reason: 'malformed' }));
      }
      await stream.close();
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
