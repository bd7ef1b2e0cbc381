/**
 * The `"file"` of a history line (`sotto history --json`, `sotto group
 * history --json`): what a file message carries and how far its file got.
 */
import type { StoredFile } from '../node/store/file-record.ts';
import type { FileState } from '../node/files/types.ts';
import type { FileStateLookup } from '../node/files/message-file-state.ts';

/** A history line's file. */
export interface FileLine {
  readonly name: string;
  readonly size: number;
  /** SHA-256 of the plaintext, hex. */
  readonly sha256: string;
  /** Media type, '' when unknown. */
  readonly type: string;
  readonly state: FileState['state'];
  /** For `partial`: plaintext bytes held. */
  readonly received?: number;
  /** For `failed`: why. */
  readonly reason?: string;
}

/** The file line of the message `messageId` carrying `file`, its state from `lookup`. */
export async function fileLine(lookup: FileStateLookup, messageId: string, file: StoredFile): Promise<FileLine> {
  const state = await lookup(messageId, file);
  return {
    name: file.name,
    size: file.size,
    sha256: file.sha256,
    type: file.type,
    state: state.state,
    ...(state.state === 'partial' ? { received: state.received } : {}),
    ...(state.state === 'failed' ? { reason: state.reason } : {}),
  };
}
