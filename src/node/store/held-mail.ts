/**
 * Storage encoding of mail a node holds as a mailbox for another peer:
 * u8 version (1) || u64 storedAt || u64 expiresAt || sealed item. The item
 * is opaque (sealed for its recipient): the mailbox stores no sender, and no
 * recipient either beyond the mailbox key in the record's key.
 */
import { Reader, Writer } from '../../crypto/bytes.ts';
import { StoreCorruptError } from '../errors.ts';

/** One held item. */
export interface HeldMail {
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly item: Uint8Array;
}

/** Where an item stands in its mailbox's deposit order. */
export interface MailPosition {
  readonly storedAt: number;
  readonly id: string;
}

const HELD_MAIL_VERSION = 1;

export function encodeHeldMail(held: HeldMail): Uint8Array {
  return new Writer(17 + held.item.length).u8(HELD_MAIL_VERSION).u64(held.storedAt).u64(held.expiresAt).fixed(held.item, held.item.length).finish();
}

export function decodeHeldMail(key: string, bytes: Uint8Array): HeldMail {
  try {
    const r = new Reader(bytes, 'held mail');
    if (r.u8('version') !== HELD_MAIL_VERSION) throw new Error('version');
    const storedAt = r.u64('stored at');
    const expiresAt = r.u64('expires at');
    const item = r.rest();
    if (item.length === 0) throw new Error('empty item');
    return { storedAt, expiresAt, item };
  } catch (err) {
    throw new StoreCorruptError(key, err instanceof Error ? err.message : 'undecodable');
  }
}
