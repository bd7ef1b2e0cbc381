/**
 * A file small enough to travel inside its message (at most
 * FILE_INLINE_MAX_BYTES, docs/PROTOCOL.md §25): its one sealed chunk is the
 * descriptor's `inline`. describeInlineFile makes such a descriptor from
 * bytes in memory; checkInlineChunk is what a receiver runs on it (F, then
 * the chunk opens, then D).
 */
import { equalBytes, type Bytes } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { FILE_KEY_BYTES } from '../../crypto/constants.ts';
import { AuthenticationError } from '../../crypto/errors.ts';
import { chunkHash, fileIdOf, openChunk, sealChunk } from '../../crypto/file-cipher.ts';
import type { Primitives } from '../../crypto/primitives/types.ts';
import { FILE_INLINE_MAX_BYTES } from '../constants.ts';
import { FileIntegrityError } from '../errors.ts';
import { validateFileName, validateMediaType, type FileDescriptor } from './file-descriptor.ts';

/**
 * The descriptor of the file `bytes` (at most FILE_INLINE_MAX_BYTES) named
 * `name`, of media type `type`: sealed under a fresh key from `ctx`, with
 * its one sealed chunk inline. Throws RangeError for a larger file, a name
 * validateFileName refuses or a type that is not a media type.
 */
export function describeInlineFile(ctx: CryptoContext, name: string, type: string, bytes: Bytes): FileDescriptor {
  if (bytes.length > FILE_INLINE_MAX_BYTES) throw new RangeError(`an inline file is at most ${FILE_INLINE_MAX_BYTES} bytes, not ${bytes.length}`);
  const problem = validateFileName(name) ?? validateMediaType(type);
  if (problem) throw new RangeError(problem);
  const { primitives } = ctx;
  const key = ctx.randomBytes(FILE_KEY_BYTES);
  const inline = sealChunk(primitives, key, bytes.length, 0, bytes);
  return { name, type, size: bytes.length, sha256: primitives.sha256(bytes), fileId: fileIdOf(primitives, bytes.length, chunkHash(primitives, inline)), key, inline };
}

/**
 * Checks the inline chunk of `d` (a descriptor the decoder accepted, of at
 * most FILE_INLINE_MAX_BYTES): its hash makes the file id F, it opens under
 * the key, and its plaintext's SHA-256 is D. Returns the plaintext;
 * throws FileIntegrityError naming the first check that failed.
 */
export function checkInlineChunk(primitives: Primitives, d: FileDescriptor): Bytes {
  if (d.size > FILE_INLINE_MAX_BYTES) throw new RangeError(`a file of ${d.size} bytes is not inline`);
  if (!equalBytes(fileIdOf(primitives, d.size, chunkHash(primitives, d.inline)), d.fileId)) throw new FileIntegrityError('file id does not match');
  let plaintext: Bytes;
  try {
    plaintext = openChunk(primitives, d.key, d.size, 0, d.inline);
  } catch (err) {
    if (err instanceof AuthenticationError) throw new FileIntegrityError('chunk does not open');
    throw err;
  }
  if (!equalBytes(primitives.sha256(plaintext), d.sha256)) throw new FileIntegrityError('digest does not match');
  return plaintext;
}

/**
 * Why the inline chunk of a received file does not verify
 * (FileIntegrityError's reason), or undefined when it does or the file is
 * larger than FILE_INLINE_MAX_BYTES (its chunks are checked as they come).
 */
export function inlineFileFailure(primitives: Primitives, d: FileDescriptor): string | undefined {
  if (d.size > FILE_INLINE_MAX_BYTES) return undefined;
  try {
    checkInlineChunk(primitives, d);
    return undefined;
  } catch (err) {
    if (err instanceof FileIntegrityError) return err.reason;
    throw err;
  }
}
