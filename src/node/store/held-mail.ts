/**
 * Storage encoding of mail a node holds as a mailbox for another peer
 * (docs/PROTOCOL.md §16):
 *
 *   u8 version (2) || u8 flags || u64 storedAt || u64 expiresAt
 *   || u32 length || mailbox key (UTF-8) || u32 length || item id (UTF-8) || sealed item
 *
 *   flags bit 0: deposited without the recipient's pass (stranger mail); other bits 0
 *
 * The item is opaque (sealed for its recipient): the mailbox stores no
 * sender. The mailbox key and item id are in the value because an encrypted
 * home keeps only keyed hashes of them in the record's key. Version 1
 * (schema 1: no key, no id) is read only by the migration.
 */
import { Reader, Writer } from '../../crypto/bytes.ts';
import { STORE_MAX_MAIL_NAME_BYTES } from '../constants.ts';
import { StoreCorruptError } from '../errors.ts';

/** One held item. */
export interface HeldMail {
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly item: Uint8Array;
  /** Deposited without the recipient's pass: it counts against the stranger allowance. */
  readonly stranger?: boolean;
}

/** A held item with the mailbox key and item id it is stored under. */
export interface StoredMail extends HeldMail {
  readonly mailboxKey: string;
  readonly id: string;
}

/** Where an item stands in its mailbox's deposit order. */
export interface MailPosition {
  readonly storedAt: number;
  readonly id: string;
}

const HELD_MAIL_VERSION = 2;
const HELD_MAIL_VERSION_1 = 1;
const FLAG_STRANGER = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a held item (version 2). Throws RangeError for a mailbox key or id over STORE_MAX_MAIL_NAME_BYTES. */
export function encodeHeldMail(mail: StoredMail): Uint8Array {
  const key = encoder.encode(mail.mailboxKey);
  const id = encoder.encode(mail.id);
  if (key.length > STORE_MAX_MAIL_NAME_BYTES || id.length > STORE_MAX_MAIL_NAME_BYTES) throw new RangeError(`a mailbox key or item id is at most ${STORE_MAX_MAIL_NAME_BYTES} bytes`);
  return new Writer(26 + key.length + id.length + mail.item.length).u8(HELD_MAIL_VERSION).u8(mail.stranger ? FLAG_STRANGER : 0).u64(mail.storedAt).u64(mail.expiresAt).varBytes(key).varBytes(id).fixed(mail.item, mail.item.length).finish();
}

function decodeWith(key: string, bytes: Uint8Array, version: number): HeldMail & Partial<Pick<StoredMail, 'mailboxKey' | 'id'>> {
  try {
    const r = new Reader(bytes, 'held mail');
    if (r.u8('version') !== version) throw new Error('version');
    const flags = version === HELD_MAIL_VERSION ? r.u8('flags') : 0;
    if ((flags & ~FLAG_STRANGER) !== 0) throw new Error('unknown flags');
    const storedAt = r.u64('stored at');
    const expiresAt = r.u64('expires at');
    const names = version === HELD_MAIL_VERSION ? { mailboxKey: decoder.decode(r.varBytes('mailbox key', STORE_MAX_MAIL_NAME_BYTES, 1)), id: decoder.decode(r.varBytes('item id', STORE_MAX_MAIL_NAME_BYTES, 1)) } : {};
    const item = r.rest();
    if (item.length === 0) throw new Error('empty item');
    return { storedAt, expiresAt, item, ...names, ...(flags & FLAG_STRANGER ? { stranger: true } : {}) };
  } catch (err) {
    throw new StoreCorruptError(key, err instanceof Error ? err.message : 'undecodable');
  }
}

/** Decodes a held item stored under `key`. Throws StoreCorruptError. */
export function decodeHeldMail(key: string, bytes: Uint8Array): StoredMail {
  return decodeWith(key, bytes, HELD_MAIL_VERSION) as StoredMail;
}

/** Decodes a held item of storage schema 1 (u8 version (1) || u64 storedAt || u64 expiresAt || item), for the migration. Throws StoreCorruptError. */
export function decodeHeldMailV1(key: string, bytes: Uint8Array): HeldMail {
  const { storedAt, expiresAt, item } = decodeWith(key, bytes, HELD_MAIL_VERSION_1);
  return { storedAt, expiresAt, item };
}

/** The version byte of a stored held item (1 or 2 in a store being migrated), or undefined for an empty value. */
export function heldMailVersion(bytes: Uint8Array): number | undefined {
  return bytes[0];
}
