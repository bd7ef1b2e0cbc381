/**
 * What a group application message carries inside MLS (docs/PROTOCOL.md
 * §24a): a text, or a file message (its descriptor, §25), each with its
 * 128-bit id and send time. The id is what receivers de-duplicate by (a
 * re-send after a fork, a copy from another mailbox).
 *
 *   u8 version (1) || u8 type (1 text) || id (16) || u64 sentAt || u32 length || UTF-8 text
 *   u8 version (1) || u8 type (2 file) || file descriptor (../encoding/file-descriptor.ts)
 */
import { fromHex, Reader, toHex, Writer, type Bytes } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { encodeFileDescriptor, readFileDescriptor, type FileDescriptor } from '../encoding/file-descriptor.ts';
import { GROUP_WIRE_VERSION, MAX_TEXT_BYTES, MESSAGE_ID_BYTES } from '../constants.ts';
import { descriptorOf } from '../store/file-record.ts';
import type { GroupMessageRecord } from '../store/group-records.ts';

const TYPE_TEXT = 1;
const TYPE_FILE = 2;
const WHAT = 'group plaintext';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A group text. */
export interface GroupText {
  readonly id: string;
  readonly sentAt: number;
  readonly text: string;
}

/** A group file message: the file's descriptor, with its key. */
export interface GroupFile {
  readonly id: string;
  readonly sentAt: number;
  readonly file: FileDescriptor;
}

/** What a group application message carries. */
export type GroupPlaintext = ({ readonly type: 'text' } & GroupText) | ({ readonly type: 'file' } & GroupFile);

/** Encodes a group text. Throws RangeError for a text over MAX_TEXT_BYTES. */
export function encodeGroupText(message: GroupText): Bytes {
  const text = new TextEncoder().encode(message.text);
  if (text.length > MAX_TEXT_BYTES) throw new RangeError(`text of ${text.length} bytes exceeds ${MAX_TEXT_BYTES}`);
  return new Writer(32 + text.length).u8(GROUP_WIRE_VERSION).u8(TYPE_TEXT).fixed(fromHex(message.id), MESSAGE_ID_BYTES).u64(message.sentAt).varBytes(text).finish();
}

/** Encodes a group file message. Throws RangeError for a descriptor that breaks a rule of §25. */
export function encodeGroupFile(message: GroupFile): Bytes {
  return encodeFileDescriptor(new Writer(160 + message.file.inline.length).u8(GROUP_WIRE_VERSION).u8(TYPE_FILE), message.id, message.sentAt, message.file).finish();
}

/** Encodes a group plaintext of either type. */
export function encodeGroupPlaintext(message: GroupPlaintext): Bytes {
  return message.type === 'text' ? encodeGroupText(message) : encodeGroupFile(message);
}

/** The plaintext a stored message was sent as (a re-send after a fork keeps its id, time and content: a file stays a file). */
export function plaintextOf(message: GroupMessageRecord): GroupPlaintext {
  const { id, timestamp: sentAt } = message;
  return message.file ? { type: 'file', id, sentAt, file: descriptorOf(message.file) } : { type: 'text', id, sentAt, text: message.text };
}

/** Decodes a group plaintext (a text or a file message). Throws DecodeError or VersionTooOld/New. */
export function decodeGroupPlaintext(bytes: Bytes): GroupPlaintext {
  const r = new Reader(bytes, WHAT);
  readVersion(r, WHAT, GROUP_WIRE_VERSION);
  const type = r.u8('type');
  if (type === TYPE_FILE) {
    const message = readFileDescriptor(r);
    r.end();
    return { type: 'file', ...message };
  }
  if (type !== TYPE_TEXT) throw new DecodeError(WHAT, `unknown type ${type}`);
  const id = toHex(r.fixed(MESSAGE_ID_BYTES, 'message id'));
  const sentAt = r.u64('sent at');
  const raw = r.varBytes('text', MAX_TEXT_BYTES);
  r.end();
  try {
    return { type: 'text', id, sentAt, text: strictUtf8.decode(raw) };
  } catch {
    throw new DecodeError(WHAT, 'text is not UTF-8');
  }
}
