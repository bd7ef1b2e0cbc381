/**
 * What the chat's file commands do (the controller calls them with the
 * open conversation): `/send-file PATH` seals the file and sends its
 * message to the contact or group; `/save [N] [DEST]` writes the Nth newest
 * file of the conversation's loaded lines. Paths are resolved where the
 * chat runs (./file-places.ts); each outcome is the notice to show, and a
 * refused command (no such file, a file not complete yet) sends and writes
 * nothing.
 */
import { basename } from 'node:path';
import type { SottoApi } from '../api.ts';
import type { FileLine } from '../file-line.ts';
import { displayName } from '../display-name.ts';
import { sizeText } from '../plural.ts';
import { terminalLine } from '../terminal-text.ts';
import { filePercent, nthNewestFile } from './file-format.ts';
import { defaultSaveFolder, resolveTyped, type ChatPlaces } from './file-places.ts';
import { GROUP_MARK } from './group-format.ts';

/** What a file command says: its lines, and whether they tell an error (then nothing was sent or written). */
export interface FileNotice {
  readonly notice: readonly string[];
  readonly isError: boolean;
}

/** Where a file goes: the open contact or group (one of them). */
export type FileDestination = { readonly contact: string } | { readonly group: string };

function refused(...notice: string[]): FileNotice {
  return { notice, isError: true };
}

/**
 * `/send-file PATH`: sends the file at `typed` (resolved where the chat
 * runs) to `to`. A path that names no file is refused before anything is
 * read; what the node refuses (a name with controls, a file that changes
 * while it is read, one over 4 GiB) is thrown with its sentence. `working`
 * hears a line to show while the file is sealed and sent.
 */
export async function sendFileCommand(api: SottoApi, to: FileDestination, typed: string, places: ChatPlaces, working: (line: string) => void = () => {}): Promise<FileNotice> {
  const path = resolveTyped(typed, places);
  const shownPath = terminalLine(path);
  const kind = await places.kind(path);
  if (kind === 'missing') return refused(`No file at ${shownPath}: nothing sent.`, 'A relative path starts from the folder the chat runs in; ~ is your home.');
  if (kind !== 'file') return refused(`${shownPath} is ${kind === 'folder' ? 'a folder' : 'not a regular file'}: nothing sent (send one file at a time).`);
  const name = terminalLine(basename(path));
  // Sealing reads the whole file first (a large one takes a while): say so until the message is sent.
  working(`Sealing and sending ${name}…`);
  if ('group' in to) {
    const result = await api.groupSendFile(to.group, path, 0);
    const where = `${GROUP_MARK}${displayName(to.group)}`;
    return { notice: [result.inline ? `Sent ${name} (${sizeText(result.size)}) to ${where}.` : `Sent ${name} (${sizeText(result.size)}) to ${where}: members fetch it from you, and from each other, while online.`], isError: false };
  }
  const result = await api.sendFile(to.contact, path, 0);
  if (result.status === 'failed') return refused(`not sent: ${result.reason ?? 'failed'}`);
  const who = displayName(to.contact);
  return { notice: [result.inline ? `Sent ${name} (${sizeText(result.size)}) to ${who}.` : `Sent ${name} (${sizeText(result.size)}) to ${who}: their node fetches it from yours while both are online.`], isError: false };
}

/** Why a file cannot be saved yet, or undefined when it is complete. */
function notSavable(file: FileLine): string | undefined {
  const name = terminalLine(file.name);
  switch (file.state) {
    case 'complete':
      return undefined;
    case 'pending':
      return `${name} has not arrived yet: save it once it shows "received".`;
    case 'partial':
      return `${name} is not complete (${filePercent(file.received ?? 0, file.size)}%): save it once it shows "received".`;
    case 'failed':
      return `${name} failed (${terminalLine(file.reason ?? 'unknown reason')}): there is nothing to save.`;
  }
}

/**
 * `/save [N] [DEST]`: writes the `nth` newest file of `lines` (the open
 * conversation's loaded lines, oldest first) to `typedDest` resolved where
 * the chat runs (a folder: under the file's name there), or to the default
 * folder (defaultSaveFolder). An existing file is never replaced (the node
 * throws FileExistsError); a file not complete is refused.
 */
export async function saveFileCommand(api: SottoApi, lines: readonly { readonly id: string; readonly file?: FileLine }[], nth: number, typedDest: string | undefined, places: ChatPlaces): Promise<FileNotice> {
  const line = nthNewestFile(lines, nth);
  if (line === undefined) return refused(nth === 1 ? 'No file in this conversation (scroll back with PgUp to load older messages).' : `No file ${nth} back in this conversation (scroll back with PgUp to load older messages).`);
  const why = notSavable(line.file);
  if (why !== undefined) return refused(why);
  const dest = typedDest === undefined ? await defaultSaveFolder(places) : resolveTyped(typedDest, places);
  const saved = await api.saveFile(line.id, dest, false);
  return { notice: [`Saved ${terminalLine(line.file.name)} (${sizeText(saved.size)}) to ${terminalLine(saved.path)}.`], isError: false };
}
