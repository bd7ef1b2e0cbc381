/**
 * Typed errors of `/sotto/file/1.0.0` (docs/PROTOCOL.md §25, "Transfer"):
 * a holder's refusal, an answer that breaks the protocol, a chunk that does
 * not match the manifest, and a holder's idle stream.
 */
import { SottoError } from '../../crypto/errors.ts';
import type { RefusalReason } from './wire.ts';

/** A holder answered REFUSED (`unknown file`, `not allowed`, `busy` or `bad request`). */
export class FileRefusedError extends SottoError {
  override readonly name = 'FileRefusedError';
  constructor(readonly peerId: string, readonly reason: RefusalReason) {
    super(`holder ${peerId} refused: ${reason}`);
  }
}

/** A holder answered something other than what the request asked (wrong type, index, page or bitmap size). */
export class FileProtocolError extends SottoError {
  override readonly name = 'FileProtocolError';
  constructor(readonly peerId: string, readonly reason: string) {
    super(`holder ${peerId} broke the file protocol: ${reason}`);
  }
}

/** A holder sent a manifest whose file id is not F, or a chunk whose length or hash is not the manifest's. */
export class FileBadDataError extends SottoError {
  override readonly name = 'FileBadDataError';
  constructor(readonly peerId: string, readonly what: 'manifest' | 'chunk', readonly index?: number) {
    super(`holder ${peerId} sent a ${what}${index === undefined ? '' : ` ${index}`} that does not match the file id`);
  }
}

/** A `/sotto/file` stream had no request for FILE_STREAM_IDLE_MS: the holder closes it. */
export class FileStreamIdleError extends SottoError {
  override readonly name = 'FileStreamIdleError';
  constructor(readonly idleMs: number) {
    super(`file stream idle for ${idleMs} ms`);
  }
}
