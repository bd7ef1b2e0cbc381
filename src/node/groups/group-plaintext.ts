/**
 * What a group application message carries inside MLS (docs/PROTOCOL.md
 * §24a): a text with its 128-bit id and send time. The id is what receivers
 * de-duplicate by (a re-send after a fork, a copy from another mailbox).
 *
 *   u8 version (1) || u8 type (1 text) || id (16) || u64 sentAt || u32 length || UTF-8 text
 */
import { fromHex, Reader, toHex, Writer, type Bytes } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { GROUP_WIRE_VERSION, MAX_TEXT_BYTES, MESSAGE_ID_BYTES } from '../constants.ts';

const TYPE_TEXT = 1;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A group text. */
export interface GroupText {
  readonly id: string;
  readonly sentAt: number;
  readonly text: string;
}

/** Encodes a group text. Throws RangeError for a text over MAX_TEXT_BYTES. */
export function encodeGroupText(message: GroupText): Bytes {
  const text = new TextEncoder().encode(message.text);
  if (text.length > MAX_TEXT_BYTES) throw new RangeError(`text of ${text.length} bytes exceeds ${MAX_TEXT_BYTES}`);
  return new Writer(32 + text.length).u8(GROUP_WIRE_VERSION).u8(TYPE_TEXT).fixed(fromHex(message.id), MESSAGE_ID_BYTES).u64(message.sentAt).varBytes(text).finish();
}

/** Decodes a group text. Throws DecodeError or VersionTooOld/New. */
export function decodeGroupText(bytes: Bytes): GroupText {
  const r = new Reader(bytes, 'group text');
  readVersion(r, 'group text', GROUP_WIRE_VERSION);
  const type = r.u8('type');
  if (type !== TYPE_TEXT) throw new DecodeError('group text', `unknown type ${type}`);
  const id = toHex(r.fixed(MESSAGE_ID_BYTES, 'message id'));
  const sentAt = r.u64('sent at');
  const raw = r.varBytes('text', MAX_TEXT_BYTES);
  r.end();
  try {
    return { id, sentAt, text: strictUtf8.decode(raw) };
  } catch {
    throw new DecodeError('group text', 'text is not UTF-8');
  }
}
