/**
 * The file operations of the `sotto` commands (docs/FILES.md): send a file
 * to a contact or a group, save a received one. Paths are absolute (the
 * command resolves them where it runs: the node's working folder is not the
 * user's).
 */
import { isAbsolute } from 'node:path';
import type { FileService } from '../node/files/file-service.ts';
import type { FileStore } from '../node/files/file-store.ts';
import type { GroupSendResult } from '../node/groups/group-service.ts';
import type { SendResult } from '../node/messaging/messenger.ts';
import { NodeNotRunningError } from './control/node-control.ts';

/** What a file send reports: the message's send result, the file's size, and whether it travelled inside the message (≤ FILE_INLINE_MAX_BYTES). */
export type FileSendLine = SendResult & { readonly size: number; readonly inline: boolean };
/** The same for a group. */
export type GroupFileSendLine = GroupSendResult & { readonly size: number; readonly inline: boolean };

/** The file operations. */
export interface FileApi {
  /** Seals the file at `path` (absolute) and sends it to contact `name`. */
  sendFile(name: string, path: string, waitMs: number): Promise<FileSendLine>;
  /** Seals the file at `path` (absolute) and sends it to group `name` (needs the running node). */
  groupSendFile(name: string, path: string, waitMs: number): Promise<GroupFileSendLine>;
  /** Writes the decrypted file of message `messageId` to `dest` (absolute; a folder: under the file's name there). */
  saveFile(messageId: string, dest: string, overwrite: boolean): Promise<{ readonly path: string; readonly size: number }>;
}

function absolute(path: string): string {
  if (!isAbsolute(path)) throw new RangeError(`${path} is not an absolute path`);
  return path;
}

/** Files cannot be sent or saved here (a page's API, a test's): every method throws. */
export const noFileMethods: FileApi = {
  sendFile: () => Promise.reject(new TypeError('files are not sent from here')),
  groupSendFile: () => Promise.reject(new TypeError('files are not sent from here')),
  saveFile: () => Promise.reject(new TypeError('files are not saved from here')),
};

/** The FileApi over a file service and the home's file store; `groupsRunning` false makes the group send throw NodeNotRunningError. */
export function fileMethods(service: FileService, store: FileStore, groupsRunning: boolean): FileApi {
  return {
    sendFile: (name, path, waitMs) => service.sendFile(name, { path: absolute(path) }, { waitMs }),
    groupSendFile: async (name, path, waitMs) => {
      if (!groupsRunning) throw new NodeNotRunningError();
      return service.sendGroupFile(name, { path: absolute(path) }, { waitMs });
    },
    saveFile: async (messageId, dest, overwrite) => {
      const record = await service.fileOf(messageId);
      return { path: await store.save(record.id, absolute(dest), { overwrite }), size: record.size };
    },
  };
}
