/**
 * The file descriptor a file message carries (docs/PROTOCOL.md §25, "File
 * descriptor"), in 1:1 payloads (type 8) and group plaintexts (type 2). It
 * sits in encoding/ because messaging/ and groups/ carry it, below files/.
 *
 *   id (16) || u64 sentAt || u8 a || name (a) || u8 b || media type (b)
 *   || u64 size || D (32) || F (32) || K (32) || u32 k || inline (k)
 *
 * The decoder checks every length and rule of §25 and nothing that needs a
 * hash: the inline chunk is checked against F and D by checkInlineChunk
 * (./inline-file.ts) when the message is received.
 */
import { fromHex, toHex, type Bytes, type Reader, type Writer } from '../../crypto/bytes.ts';
import { FILE_CHUNK_TAG_BYTES, FILE_HASH_BYTES, FILE_KEY_BYTES } from '../../crypto/constants.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { FILE_INLINE_MAX_BYTES, FILE_MAX_BYTES, MAX_FILE_NAME_BYTES, MAX_FILE_TYPE_BYTES, MESSAGE_ID_BYTES } from '../constants.ts';

/** What a file message says about its file (docs/PROTOCOL.md §25, "File descriptor"). */
export interface FileDescriptor {
  readonly name: string;
  /** Media type, or '' when unknown. */
  readonly type: string;
  readonly size: number;
  /** SHA-256 of the plaintext (D). */
  readonly sha256: Bytes;
  /** The file id (F). */
  readonly fileId: Bytes;
  /** The file key (K). */
  readonly key: Bytes;
  /** The one sealed chunk of a file of at most FILE_INLINE_MAX_BYTES, else empty. */
  readonly inline: Bytes;
}

/** A decoded file message: its message id (hex), send time and descriptor. */
export interface FileMessage {
  readonly id: string;
  readonly sentAt: number;
  readonly file: FileDescriptor;
}

const WHAT = 'file descriptor';
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether `text` has a C0 or C1 control or DEL (U+0000–U+001F, U+007F–U+009F). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
/** Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/u;
/** A lone surrogate (a JS string that is not Unicode text). */
const LONE_SURROGATE = /\p{Cs}/u;
/** RFC 6838 restricted-name characters, both sides of the slash. */
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+$/;

/**
 * Why `name` cannot be a file's name in a file message (a sentence for the
 * user, ending with what to do), or undefined when it can (§25: 1 to
 * MAX_FILE_NAME_BYTES UTF-8 bytes, no control, path separator or
 * bidirectional control, not `.` or `..`).
 */
export function validateFileName(name: string): string | undefined {
  if (name.length === 0) return 'the file name is empty; name the file';
  if (LONE_SURROGATE.test(name)) return 'the file name is not valid Unicode; rename the file';
  if (hasControl(name)) return 'the file name has a control character; rename the file';
  if (name.includes('/') || name.includes('\\')) return 'the file name has a path separator (/ or \\); rename the file';
  if (BIDI.test(name)) return 'the file name has a bidirectional control character; rename the file';
  if (name === '.' || name === '..') return `the file name is "${name}"; rename the file`;
  const bytes = utf8.encode(name).length;
  if (bytes > MAX_FILE_NAME_BYTES) return `the file name is ${bytes} bytes; the limit is ${MAX_FILE_NAME_BYTES}: rename the file`;
  return undefined;
}

/** Why `type` cannot be a file's media type (§25), or undefined when it can ('' is "unknown"). */
export function validateMediaType(type: string): string | undefined {
  if (type === '') return undefined;
  if (type.length > MAX_FILE_TYPE_BYTES) return `the media type is longer than ${MAX_FILE_TYPE_BYTES} bytes`;
  if (!MEDIA_TYPE.test(type)) return 'the media type is not type/subtype (RFC 6838)';
  return undefined;
}

/** Media types by lower-case extension: the sender's guess, no content sniffing (docs/FILES.md, "Names and types"). */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  zip: 'application/zip',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  opus: 'audio/opus',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  json: 'application/json',
  csv: 'text/csv',
};

/** The media type of a file named `fileName`, from its extension, or '' when the extension is not in the table. */
export function mediaTypeOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return '';
  const extension = fileName.slice(dot + 1).toLowerCase();
  return Object.hasOwn(MEDIA_TYPES, extension) ? MEDIA_TYPES[extension]! : '';
}

/**
 * Why `d` breaks a rule of §25 that needs no hash (name, type, size, inline
 * length), in words for the sender, or undefined when it breaks none.
 */
export function fileDescriptorProblem(d: FileDescriptor): string | undefined {
  const name = validateFileName(d.name);
  if (name) return name;
  const type = validateMediaType(d.type);
  if (type) return type;
  if (!Number.isSafeInteger(d.size) || d.size < 0 || d.size > FILE_MAX_BYTES) return `a file is 0..${FILE_MAX_BYTES} bytes, not ${d.size}`;
  const inline = inlineBytes(d.size);
  if (d.inline.length !== inline) return `a file of ${d.size} bytes carries ${inline} inline bytes, not ${d.inline.length}`;
  return undefined;
}

/** The inline bytes a descriptor of a file of `size` bytes carries: its one sealed chunk, or none past FILE_INLINE_MAX_BYTES. */
export function inlineBytes(size: number): number {
  return size > FILE_INLINE_MAX_BYTES ? 0 : size + FILE_CHUNK_TAG_BYTES;
}

/**
 * Writes a file message (message id `id` as hex, `sentAt` ms, descriptor
 * `d`) into `w`. Throws RangeError when `d` breaks a rule of §25 (the
 * sender checks the name with validateFileName first, to tell the user).
 */
export function encodeFileDescriptor(w: Writer, id: string, sentAt: number, d: FileDescriptor): Writer {
  const problem = fileDescriptorProblem(d);
  if (problem) throw new RangeError(`file descriptor: ${problem}`);
  const name = utf8.encode(d.name);
  const type = utf8.encode(d.type);
  return w
    .fixed(fromHex(id), MESSAGE_ID_BYTES)
    .u64(sentAt)
    .u8(name.length)
    .fixed(name, name.length)
    .u8(type.length)
    .fixed(type, type.length)
    .u64(d.size)
    .fixed(d.sha256, FILE_HASH_BYTES)
    .fixed(d.fileId, FILE_HASH_BYTES)
    .fixed(d.key, FILE_KEY_BYTES)
    .varBytes(d.inline);
}

/**
 * Reads a file message from `r` (the caller checks the end of its input).
 * Throws DecodeError for a truncated descriptor or one that breaks a rule
 * of §25 that needs no hash.
 */
export function readFileDescriptor(r: Reader): FileMessage {
  const id = toHex(r.fixed(MESSAGE_ID_BYTES, 'message id'));
  const sentAt = r.u64('sent at');
  const nameLength = r.u8('name length');
  if (nameLength === 0) throw new DecodeError(WHAT, 'empty name');
  const rawName = r.fixed(nameLength, 'name');
  const typeLength = r.u8('media type length');
  if (typeLength > MAX_FILE_TYPE_BYTES) throw new DecodeError(WHAT, `media type of ${typeLength} bytes`);
  const rawType = r.fixed(typeLength, 'media type');
  const size = r.u64('size');
  if (size > FILE_MAX_BYTES) throw new DecodeError(WHAT, `size ${size} exceeds ${FILE_MAX_BYTES}`);
  const sha256 = r.fixed(FILE_HASH_BYTES, 'sha256');
  const fileId = r.fixed(FILE_HASH_BYTES, 'file id');
  const key = r.fixed(FILE_KEY_BYTES, 'key');
  const expected = inlineBytes(size);
  const inline = r.varBytes('inline', expected, expected);
  let name: string;
  try {
    name = strictUtf8.decode(rawName);
  } catch {
    throw new DecodeError(WHAT, 'name is not UTF-8');
  }
  const nameProblem = validateFileName(name);
  if (nameProblem) throw new DecodeError(WHAT, nameProblem);
  // Restricted-name characters are ASCII: any other byte fails the rule.
  const type = String.fromCharCode(...rawType);
  const typeProblem = validateMediaType(type);
  if (typeProblem) throw new DecodeError(WHAT, typeProblem);
  return { id, sentAt, file: { name, type, size, sha256, fileId, key, inline } };
}
