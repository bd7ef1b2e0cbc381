/**
 * The state of a message's file as history shows it, before (or without)
 * the file service: an inline file that verified is `complete` (its sealed
 * chunk is in the message record), one that did not is `failed` with why,
 * and a larger file is `pending` until the file service says more. The
 * file service plugs its own lookup in where this is the default
 * (messengerApi's `fileState`).
 */
import type { StoredFile } from '../store/file-record.ts';
import type { FileState } from './types.ts';

/** How history learns the state of the file message `messageId` carries. */
export type FileStateLookup = (messageId: string, file: StoredFile) => FileState | Promise<FileState>;

/** The default lookup: what the message record alone tells. */
export function inlineFileState(_messageId: string, file: StoredFile): FileState {
  if (file.failure !== undefined) return { state: 'failed', reason: file.failure };
  return file.inline !== undefined ? { state: 'complete' } : { state: 'pending' };
}
