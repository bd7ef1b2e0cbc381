/**
 * Storage encoding of mail a node holds as a mailbox for another peer:
 *
 *   version 2: u8 2 || u8 flags || u64 storedAt || u64 expiresAt || sealed item
 *              flags bit 0: deposited without the recipient's pass (stranger mail)
 *   version 1: u8 1 || u64 storedAt || u64 expiresAt || sealed item   (read only; not stranger mail)
 *
 * The item is opaque (sealed for its recipient): the mailbox stores no
 * sender, and no recipient either beyond the mailbox key in the record's key.
 */
import { Reader, Writer } from '../../crypto/bytes.ts';
import { StoreCorruptError } from '../errors.ts';

/** One held item. */
export interface HeldMail {
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly item: Uint8Array;
  /** Deposited without the recipient's pass: it counts against the stranger allowance. */
  readonly stranger?: boolean;
}

/** Where an item stands in its mailbox's deposit order. */
export interface MailPosition {
  readonly storedAt: number;
  readonly id: string;
}

const HELD_MAIL_V1 = 1;
const HELD_MAIL_VERSION = 2;
const FLAG_STRANGER = 1;

export function encodeHeldMail(held: HeldMail): Uint8Array {
  return new Writer(18 + held.item.length)
    .u8(HELD_MAIL_VERSION)
    .u8(held.stranger ? FLAG_STRANGER : 0)
    .u64(held.storedAt)
    .u64(held.expiresAt)
    .fixed(held.item, held.item.length)
    .finish();
}

export function decodeHeldMail(key: string, bytes: Uint8Array): HeldMail {
  try {
    const r = new Reader(bytes, 'held mail');
    const version = r.u8('version');
    if (version !== HELD_MAIL_VERSION && version !== HELD_MAIL_V1) throw new Error('version');
    const flags = version === HELD_MAIL_V1 ? 0 : r.u8('flags');
    if ((flags & ~FLAG_STRANGER) !== 0) throw new Error('unknown flags');
    const storedAt = r.u64('stored at');
    const expiresAt = r.u64('expires at');
    const item = r.rest();
    if (item.length === 0) throw new Error('empty item');
    return { storedAt, expiresAt, item, ...(flags & FLAG_STRANGER ? { stranger: true } : {}) };
  } catch (err) {
    throw new StoreCorruptError(key, err instanceof Error ? err.message : 'undecodable');
  }
}
