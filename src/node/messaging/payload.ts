/**
 * The application payload inside every encrypted message (docs/PROTOCOL.md,
 * "Payload"): a text with its id and send time, or a receipt for earlier
 * messages. The ratchet authenticates it; this decoder still checks every
 * length and refuses what it does not know.
 *
 *   u8 version (1) || u8 type
 *   type 1 (text):    id (16) || u64 sentAt || u32 length || UTF-8 text
 *   type 2 (receipt): u8 kind (1 delivered, 2 read) || u16 count || count × id (16)
 *   type 3 (profile): u8 length || UTF-8 name (the sender's own name, a claim)
 *   type 4 (pass):    u64 expiresAt || signature (64): a mailbox pass for the recipient
 *   type 5 (addresses): u64 at || address list (../contacts/address-list.ts): where the sender listens now
 *   type 6 (group-invite): u8 length || UTF-8 group name || mailbox token (32) || u32 length || welcome frame
 *   type 7 (key-package): u32 length || key package record (../groups/key-package.ts)
 *   type 8 (file):    file descriptor (../encoding/file-descriptor.ts): a file or picture, with its key
 */
import { Reader, Writer, toHex, fromHex } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { FRAME_VERSION, GROUP_MAILBOX_TOKEN_BYTES, MAX_GROUP_KEY_PACKAGE_BYTES, MAX_GROUP_NAME_BYTES, MAX_INVITE_NAME_BYTES, MAX_RECEIPT_IDS, MAX_TEXT_BYTES, MESSAGE_ID_BYTES } from '../constants.ts';
import { readAddressList, writeAddressList } from '../contacts/address-list.ts';
import { encodeFileDescriptor, readFileDescriptor, type FileDescriptor } from '../encoding/file-descriptor.ts';

const TYPE_TEXT = 1;
const TYPE_RECEIPT = 2;
const TYPE_PROFILE = 3;
const TYPE_PASS = 4;
const TYPE_ADDRESSES = 5;
const TYPE_GROUP_INVITE = 6;
const TYPE_KEY_PACKAGE = 7;
const TYPE_FILE = 8;
/** Bytes of an Ed25519 signature (a pass). */
const SIGNATURE_BYTES = 64;
const RECEIPT_KINDS = { delivered: 1, read: 2 } as const;

/** A decoded payload. Message ids are lower-case hex. */
export type Payload =
  | { readonly type: 'text'; readonly id: string; readonly sentAt: number; readonly text: string }
  | { readonly type: 'receipt'; readonly kind: 'delivered' | 'read'; readonly ids: readonly string[] }
  | { readonly type: 'profile'; readonly name: string }
  | { readonly type: 'pass'; readonly expiresAt: number; readonly signature: Uint8Array }
  /** Where the sender's node listens now (without /p2p/<its id>), as of `at` (its clock, ms): 1..MAX_INVITE_ADDRESSES addresses. */
  | { readonly type: 'addresses'; readonly at: number; readonly addresses: readonly string[] }
  /** An invitation to a group: its name, its mailbox token and the MLS Welcome (a group frame) for the recipient. */
  | { readonly type: 'group-invite'; readonly name: string; readonly token: Uint8Array; readonly welcome: Uint8Array }
  /** A key package record of the sender, so that the recipient can add it to a group while it is offline. */
  | { readonly type: 'key-package'; readonly record: Uint8Array }
  /** A file message: its id and send time (as a text's) and the file's descriptor (docs/PROTOCOL.md §25). */
  | { readonly type: 'file'; readonly id: string; readonly sentAt: number; readonly file: FileDescriptor };

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes a payload. Throws RangeError for a text or receipt over the
 * limits, and for an addresses payload with no address, more than
 * MAX_INVITE_ADDRESSES, or one that ends in a peer id, and for a file
 * descriptor that breaks a rule of docs/PROTOCOL.md §25.
 */
export function encodePayload(p: Payload): Uint8Array {
  const w = new Writer(64);
  w.u8(FRAME_VERSION);
  if (p.type === 'text') {
    const text = utf8.encode(p.text);
    if (text.length > MAX_TEXT_BYTES) throw new RangeError(`text of ${text.length} bytes exceeds ${MAX_TEXT_BYTES}`);
    w.u8(TYPE_TEXT).fixed(fromHex(p.id), MESSAGE_ID_BYTES).u64(p.sentAt).varBytes(text);
  } else if (p.type === 'profile') {
    const name = utf8.encode(p.name);
    if (name.length === 0 || name.length > MAX_INVITE_NAME_BYTES) throw new RangeError(`a profile name is 1..${MAX_INVITE_NAME_BYTES} bytes`);
    w.u8(TYPE_PROFILE).u8(name.length).fixed(name, name.length);
  } else if (p.type === 'pass') {
    w.u8(TYPE_PASS).u64(p.expiresAt).fixed(p.signature, SIGNATURE_BYTES);
  } else if (p.type === 'addresses') {
    if (p.addresses.length === 0) throw new RangeError('an addresses payload carries at least one address');
    // No peer id is known here: an address ending in one is refused (the empty id matches none).
    writeAddressList(w.u8(TYPE_ADDRESSES).u64(p.at), p.addresses, '');
  } else if (p.type === 'group-invite') {
    const name = utf8.encode(p.name);
    if (name.length === 0 || name.length > MAX_GROUP_NAME_BYTES) throw new RangeError(`a group name is 1..${MAX_GROUP_NAME_BYTES} bytes`);
    w.u8(TYPE_GROUP_INVITE).u8(name.length).fixed(name, name.length).fixed(p.token, GROUP_MAILBOX_TOKEN_BYTES).varBytes(p.welcome);
  } else if (p.type === 'key-package') {
    w.u8(TYPE_KEY_PACKAGE).varBytes(p.record);
  } else if (p.type === 'file') {
    encodeFileDescriptor(w.u8(TYPE_FILE), p.id, p.sentAt, p.file);
  } else {
    if (p.ids.length === 0 || p.ids.length > MAX_RECEIPT_IDS) throw new RangeError(`a receipt carries 1..${MAX_RECEIPT_IDS} ids`);
    w.u8(TYPE_RECEIPT).u8(RECEIPT_KINDS[p.kind]).u16(p.ids.length);
    for (const id of p.ids) w.fixed(fromHex(id), MESSAGE_ID_BYTES);
  }
  return w.finish();
}

/** Decodes a payload; throws DecodeError, VersionTooOldError or VersionTooNewError. */
export function decodePayload(bytes: Uint8Array): Payload {
  const what = 'payload';
  const r = new Reader(bytes, what);
  readVersion(r, what, FRAME_VERSION);
  const type = r.u8('type');
  if (type === TYPE_TEXT) {
    const id = toHex(r.fixed(MESSAGE_ID_BYTES, 'message id'));
    const sentAt = r.u64('sent at');
    const raw = r.varBytes('text', MAX_TEXT_BYTES);
    r.end();
    let text: string;
    try {
      text = strictUtf8.decode(raw);
    } catch {
      throw new DecodeError(what, 'text is not UTF-8');
    }
    return { type: 'text', id, sentAt, text };
  }
  if (type === TYPE_RECEIPT) {
    const kindByte = r.u8('receipt kind');
    const kind = kindByte === RECEIPT_KINDS.delivered ? 'delivered' : kindByte === RECEIPT_KINDS.read ? 'read' : undefined;
    if (!kind) throw new DecodeError(what, `unknown receipt kind ${kindByte}`);
    const count = r.u16('receipt count');
    if (count === 0 || count > MAX_RECEIPT_IDS) throw new DecodeError(what, `receipt count ${count}`);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(toHex(r.fixed(MESSAGE_ID_BYTES, 'receipt id')));
    r.end();
    return { type: 'receipt', kind, ids };
  }
  if (type === TYPE_PROFILE) {
    const length = r.u8('name length');
    if (length === 0) throw new DecodeError(what, 'empty name');
    const raw = r.fixed(length, 'name');
    r.end();
    try {
      return { type: 'profile', name: strictUtf8.decode(raw) };
    } catch {
      throw new DecodeError(what, 'name is not UTF-8');
    }
  }
  if (type === TYPE_PASS) {
    const expiresAt = r.u64('pass expiry');
    const signature = r.fixed(SIGNATURE_BYTES, 'pass signature');
    r.end();
    return { type: 'pass', expiresAt, signature };
  }
  if (type === TYPE_ADDRESSES) {
    const at = r.u64('announced at');
    const addresses = readAddressList(r, (_problem, detail) => new DecodeError(what, `address list: ${detail}`));
    if (addresses.length === 0) throw new DecodeError(what, 'no address');
    r.end();
    return { type: 'addresses', at, addresses };
  }
  if (type === TYPE_GROUP_INVITE) {
    const length = r.u8('group name length');
    if (length === 0 || length > MAX_GROUP_NAME_BYTES) throw new DecodeError(what, `group name of ${length} bytes`);
    const raw = r.fixed(length, 'group name');
    const token = r.fixed(GROUP_MAILBOX_TOKEN_BYTES, 'mailbox token');
    const welcome = r.varBytes('welcome', MAX_TEXT_BYTES + 4096);
    r.end();
    let name: string;
    try {
      name = strictUtf8.decode(raw);
    } catch {
      throw new DecodeError(what, 'group name is not UTF-8');
    }
    return { type: 'group-invite', name, token, welcome };
  }
  if (type === TYPE_KEY_PACKAGE) {
    const record = r.varBytes('key package', MAX_GROUP_KEY_PACKAGE_BYTES);
    r.end();
    return { type: 'key-package', record };
  }
  if (type === TYPE_FILE) {
    const { id, sentAt, file } = readFileDescriptor(r);
    r.end();
    return { type: 'file', id, sentAt, file };
  }
  throw new DecodeError(what, `unknown type ${type}`);
}
