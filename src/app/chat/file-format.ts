/**
 * How a file message reads in the chat: its name, its size and how far it
 * got ("waiting for the sender", a bar and a percentage while it arrives,
 * "received", "failed: why"), and which file `/save` means. Pure, like
 * ./format.ts; the name goes through terminalLine (a name is checked when
 * it arrives, and still never drives the terminal).
 */
import { FILE_INLINE_MAX_BYTES } from '../../node/constants.ts';
import type { FileLine } from '../file-line.ts';
import { sizeText } from '../plural.ts';
import { terminalLine } from '../terminal-text.ts';

/** Cells of the progress bar of a file that is arriving. */
export const FILE_BAR_CELLS = 10;
/** The mark before a file's name in a conversation. */
export const FILE_MARK = '[file]';

/** A part of a file, as a whole percentage that reaches 100 only when every byte is there. */
export function filePercent(received: number, size: number): number {
  if (size <= 0 || received >= size) return 100;
  return Math.min(99, Math.floor((received / size) * 100));
}

/** A bar of FILE_BAR_CELLS cells, filled in proportion to `received` of `size`: "[####······]". */
export function fileBar(received: number, size: number): string {
  const filled = Math.min(FILE_BAR_CELLS, Math.floor((filePercent(received, size) / 100) * FILE_BAR_CELLS));
  return `[${'#'.repeat(filled)}${'·'.repeat(FILE_BAR_CELLS - filled)}]`;
}

/** Message states of a sent message that has not reached its contact's node (./format.ts messageState). */
const NOT_ARRIVED = new Set(['queued', 'stored']);

/**
 * How far a file got, in words: for a file received, "waiting for the
 * sender" (pending), a bar and the percentage held (partial),
 * "received" (complete); for one sent, '' once it is whole here (the
 * message's state says the rest), unless it is too large to travel in its
 * message and the message has not arrived (`status` queued or stored):
 * then "fetched when both are online"; for either, "failed: why".
 */
export function fileProgress(file: FileLine, direction: 'in' | 'out', status = ''): string {
  if (direction === 'out' && file.state === 'complete' && file.size > FILE_INLINE_MAX_BYTES && NOT_ARRIVED.has(status)) return 'fetched when both are online';
  switch (file.state) {
    case 'pending':
      return direction === 'in' ? 'waiting for the sender' : 'waiting';
    case 'partial': {
      const received = file.received ?? 0;
      return `${fileBar(received, file.size)} ${filePercent(received, file.size)}%`;
    }
    case 'complete':
      return direction === 'in' ? 'received' : '';
    case 'failed':
      return `failed: ${terminalLine(file.reason ?? 'unknown reason')}`;
  }
}

/** The text of a file message: "[file] name · size", then how far it got when there is something to say (`status`: its message's, see fileProgress). */
export function fileText(file: FileLine, direction: 'in' | 'out', status = ''): string {
  const progress = fileProgress(file, direction, status);
  return `${FILE_MARK} ${terminalLine(file.name)} · ${sizeText(file.size)}${progress === '' ? '' : ` · ${progress}`}`;
}

/** A conversation line that may carry a file. */
interface FileCarrier {
  readonly id: string;
  readonly file?: FileLine;
}

/**
 * The file `/save` means among a conversation's loaded lines (oldest
 * first): the `nth` newest file message (1: the newest), sent or received;
 * undefined when there are fewer.
 */
export function nthNewestFile<L extends FileCarrier>(lines: readonly L[], nth: number): (L & { readonly file: FileLine }) | undefined {
  let seen = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.file !== undefined && ++seen === nth) return line as L & { readonly file: FileLine };
  }
  return undefined;
}
