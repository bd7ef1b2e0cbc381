/**
 * The files a conversation's messages carry, for deletion: whoever deletes
 * messages reads their files first and, once the deletion is committed,
 * tells the file service (Core.fileMessageDeleted) so it deletes their
 * chunks (docs/FILES.md).
 */
import type { Core } from '../core/core.ts';
import type { MessageRecord } from '../store/records.ts';

/** A file a deleted message carried: its file id (hex) and the message id. */
export interface DeletedFile {
  readonly fileId: string;
  readonly messageId: string;
}

/** The files `messages` carry. */
export function filesOf(messages: readonly MessageRecord[]): DeletedFile[] {
  return messages.flatMap((m) => (m.file ? [{ fileId: m.file.fileId, messageId: m.id }] : []));
}

/** The files every message of `peerId`'s conversation carries (read before the conversation is deleted). */
export async function conversationFiles(core: Core, peerId: string): Promise<DeletedFile[]> {
  return filesOf(await core.store.listMessages(peerId));
}

/** Tells the file service that the messages of `files` are deleted (call after the deletion is committed). */
export function filesDeleted(core: Core, files: readonly DeletedFile[]): void {
  for (const f of files) core.fileMessageDeleted(f.fileId, f.messageId);
}
