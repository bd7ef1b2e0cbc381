/**
 * Frames of /sotto/mailbox/1.0.0 (docs/PROTOCOL.md, "Mailboxes"). Every frame
 * starts with the frame version and a type; decoders check every length and
 * throw only DecodeError and version errors.
 *
 *   DEPOSIT  u8 1 || mailbox key (32) || sealed item
 *   RECEIPT  u8 2 || item id (32) || u64 expiresAt || signature (64)
 *   REFUSED  u8 3 || u8 reason
 *   FETCH    u8 4 || u16 max items
 *   ITEMS    u8 5 || u8 more || u16 count || count × (item id (32) || u32 length || item)
 *   ACK      u8 6 || u16 count || count × item id (32)
 *   ACKED    u8 7 || u16 deleted
 *   DEPOSIT with a pass
 *            u8 8 || mailbox key (32) || recipient key (32) || u64 pass expiresAt || pass signature (64) || sealed item
 *   GROUP DEPOSIT  u8 9 || group mailbox token (32) || group frame
 *   GROUP FETCH    u8 10 || group mailbox token (32) || after item id (32; zeros: from the start) || u16 max items
 */
import { concatBytes, Reader, u32be, Writer, type Bytes } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { FRAME_VERSION, GROUP_MAILBOX_TOKEN_BYTES, LABEL_CUSTODY, MAILBOX_FETCH_BATCH, MAILBOX_MAX_ITEM_BYTES } from '../constants.ts';
import type { MailboxPass } from './pass.ts';

/** Bytes of a mailbox key and of an item id (SHA-256). */
export const MAILBOX_KEY_BYTES = 32;
export const ITEM_ID_BYTES = 32;
const SIGNATURE_BYTES = 64;
/** Bytes of an Ed25519 public key (a pass's recipient key). */
const ED25519_KEY_BYTES = 32;

/** Why a mailbox refused a deposit. */
export type RefusalReason = 'too-large' | 'recipient-quota' | 'depositor-quota' | 'full' | 'malformed' | 'stranger-quota' | 'bad-pass';
const REASONS: readonly RefusalReason[] = ['too-large', 'recipient-quota', 'depositor-quota', 'full', 'malformed', 'stranger-quota', 'bad-pass'];

/** One held item as fetched. */
export interface MailItem {
  readonly id: Bytes;
  readonly item: Bytes;
}

/** A decoded mailbox frame. */
export type MailboxFrame =
  | { readonly type: 'deposit'; readonly mailboxKey: Bytes; readonly item: Bytes; readonly pass?: MailboxPass }
  | { readonly type: 'receipt'; readonly id: Bytes; readonly expiresAt: number; readonly signature: Bytes }
  | { readonly type: 'refused'; readonly reason: RefusalReason }
  | { readonly type: 'fetch'; readonly max: number }
  | { readonly type: 'items'; readonly more: boolean; readonly items: readonly MailItem[] }
  | { readonly type: 'ack'; readonly ids: readonly Bytes[] }
  | { readonly type: 'acked'; readonly deleted: number }
  /** A group frame for the group whose mailbox token this is (docs/PROTOCOL.md §24a): kept until its TTL, fetched by every member. */
  | { readonly type: 'group-deposit'; readonly token: Bytes; readonly item: Bytes }
  /** The group's items after a position in deposit order (none: from the start). */
  | { readonly type: 'group-fetch'; readonly token: Bytes; readonly after?: Bytes; readonly max: number };

const TYPES = { deposit: 1, receipt: 2, refused: 3, fetch: 4, items: 5, ack: 6, acked: 7, 'group-deposit': 9, 'group-fetch': 10 } as const;
/** A DEPOSIT that carries the recipient's pass (decoded as a 'deposit' with `pass`). */
const DEPOSIT_WITH_PASS = 8;

/** The message a mailbox signs in a custody receipt. */
export function custodySignedData(mailboxKey: Bytes, id: Bytes, expiresAt: number): Bytes {
  const t = new Writer(8).u64(expiresAt).finish();
  return concatBytes(new TextEncoder().encode(LABEL_CUSTODY), mailboxKey, id, t);
}

/** Encodes a mailbox frame. */
export function encodeMailboxFrame(frame: MailboxFrame): Bytes {
  const w = new Writer(64).u8(FRAME_VERSION).u8(frame.type === 'deposit' && frame.pass ? DEPOSIT_WITH_PASS : TYPES[frame.type]);
  switch (frame.type) {
    case 'deposit':
      w.fixed(frame.mailboxKey, MAILBOX_KEY_BYTES);
      if (frame.pass) w.fixed(frame.pass.recipientKey, ED25519_KEY_BYTES).u64(frame.pass.expiresAt).fixed(frame.pass.signature, SIGNATURE_BYTES);
      w.fixed(frame.item, frame.item.length);
      break;
    case 'receipt':
      w.fixed(frame.id, ITEM_ID_BYTES).u64(frame.expiresAt).fixed(frame.signature, SIGNATURE_BYTES);
      break;
    case 'refused':
      w.u8(REASONS.indexOf(frame.reason) + 1);
      break;
    case 'fetch':
      w.u16(frame.max);
      break;
    case 'items':
      w.u8(frame.more ? 1 : 0).u16(frame.items.length);
      for (const { id, item } of frame.items) w.fixed(id, ITEM_ID_BYTES).fixed(u32be(item.length), 4).fixed(item, item.length);
      break;
    case 'ack':
      w.u16(frame.ids.length);
      for (const id of frame.ids) w.fixed(id, ITEM_ID_BYTES);
      break;
    case 'acked':
      w.u16(frame.deleted);
      break;
    case 'group-deposit':
      w.fixed(frame.token, GROUP_MAILBOX_TOKEN_BYTES).fixed(frame.item, frame.item.length);
      break;
    case 'group-fetch':
      w.fixed(frame.token, GROUP_MAILBOX_TOKEN_BYTES)
        .fixed(frame.after ?? new Uint8Array(ITEM_ID_BYTES), ITEM_ID_BYTES)
        .u16(frame.max);
      break;
  }
  return w.finish();
}

/** Decodes a mailbox frame from untrusted bytes. */
export function decodeMailboxFrame(bytes: Bytes): MailboxFrame {
  const what = 'mailbox frame';
  const r = new Reader(bytes, what);
  readVersion(r, what, FRAME_VERSION);
  const type = r.u8('type');
  let frame: MailboxFrame;
  switch (type) {
    case TYPES.deposit:
    case DEPOSIT_WITH_PASS: {
      const mailboxKey = r.fixed(MAILBOX_KEY_BYTES, 'mailbox key');
      const pass = type === DEPOSIT_WITH_PASS ? { recipientKey: r.fixed(ED25519_KEY_BYTES, 'pass recipient key'), expiresAt: r.u64('pass expiry'), signature: r.fixed(SIGNATURE_BYTES, 'pass signature') } : undefined;
      if (r.remaining === 0 || r.remaining > MAILBOX_MAX_ITEM_BYTES) throw new DecodeError(what, `item of ${r.remaining} bytes`);
      return { type: 'deposit', mailboxKey, item: r.rest(), ...(pass ? { pass } : {}) };
    }
    case TYPES.receipt:
      frame = { type: 'receipt', id: r.fixed(ITEM_ID_BYTES, 'item id'), expiresAt: r.u64('expires at'), signature: r.fixed(SIGNATURE_BYTES, 'signature') };
      break;
    case TYPES.refused: {
      const reason = REASONS[r.u8('reason') - 1];
      if (!reason) throw new DecodeError(what, 'unknown refusal reason');
      frame = { type: 'refused', reason };
      break;
    }
    case TYPES.fetch: {
      const max = r.u16('max');
      if (max === 0 || max > MAILBOX_FETCH_BATCH) throw new DecodeError(what, `fetch of ${max} items`);
      frame = { type: 'fetch', max };
      break;
    }
    case TYPES.items: {
      const more = r.u8('more flag');
      if (more > 1) throw new DecodeError(what, 'more flag is not 0 or 1');
      const count = r.u16('item count');
      if (count > MAILBOX_FETCH_BATCH) throw new DecodeError(what, `${count} items`);
      const items: MailItem[] = [];
      for (let i = 0; i < count; i++) {
        const id = r.fixed(ITEM_ID_BYTES, 'item id');
        const length = r.u32('item length');
        if (length === 0 || length > MAILBOX_MAX_ITEM_BYTES) throw new DecodeError(what, `item of ${length} bytes`);
        items.push({ id, item: r.fixed(length, 'item') });
      }
      frame = { type: 'items', more: more === 1, items };
      break;
    }
    case TYPES.ack: {
      const count = r.u16('ack count');
      if (count === 0 || count > MAILBOX_FETCH_BATCH) throw new DecodeError(what, `ack of ${count} ids`);
      const ids: Bytes[] = [];
      for (let i = 0; i < count; i++) ids.push(r.fixed(ITEM_ID_BYTES, 'item id'));
      frame = { type: 'ack', ids };
      break;
    }
    case TYPES.acked:
      frame = { type: 'acked', deleted: r.u16('deleted') };
      break;
    case TYPES['group-deposit']: {
      const token = r.fixed(GROUP_MAILBOX_TOKEN_BYTES, 'group mailbox token');
      if (r.remaining === 0 || r.remaining > MAILBOX_MAX_ITEM_BYTES) throw new DecodeError(what, `item of ${r.remaining} bytes`);
      return { type: 'group-deposit', token, item: r.rest() };
    }
    case TYPES['group-fetch']: {
      const token = r.fixed(GROUP_MAILBOX_TOKEN_BYTES, 'group mailbox token');
      const after = r.fixed(ITEM_ID_BYTES, 'after item id');
      const max = r.u16('max');
      if (max === 0 || max > MAILBOX_FETCH_BATCH) throw new DecodeError(what, `fetch of ${max} items`);
      frame = { type: 'group-fetch', token, max, ...(after.every((b) => b === 0) ? {} : { after }) };
      break;
    }
    default:
      throw new DecodeError(what, `unknown type ${type}`);
  }
  r.end();
  return frame;
}
