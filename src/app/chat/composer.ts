/**
 * The message being written (a draft): its text, the cursor, and its size
 * in UTF-8 bytes, with the edits the chat's keys make and the rows the box
 * shows. Pure values: each edit returns a new draft.
 *
 * - What goes in is what is shown and sent: text passes terminalText on its
 *   way in (escape sequences and controls out, CR LF and CR as "\n", a tab
 *   as a space, a bidi control as its visible marker).
 * - A draft never holds more than a message may (MAX_TEXT_BYTES): an edit
 *   that would take it past that is refused with MessageTooLongError and
 *   the draft stays as it was.
 * - Each edit costs time in the size of the draft at most (a string copy),
 *   and moving or erasing steps over whole grapheme clusters (an emoji
 *   joined by ZWJ is one step).
 */
import { SottoError } from '../../crypto/errors.ts';
import { MAX_TEXT_BYTES } from '../../node/constants.ts';
import { terminalText } from '../terminal-text.ts';
import { graphemes, textWidth } from './width.ts';

/** Printable ASCII only: a line of it wraps without segmentation. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Code units around the cursor segmented to find the cluster next to it: longer than any emoji sequence. */
const CLUSTER_WINDOW = 64;

/** A message being written. */
export interface Draft {
  readonly text: string;
  /** Index into `text` (UTF-16 code units), on a cluster boundary. */
  readonly cursor: number;
  /** `text` in UTF-8 bytes. */
  readonly bytes: number;
}

/** The empty draft. */
export const EMPTY_DRAFT: Draft = { text: '', cursor: 0, bytes: 0 };

/** An edit would make the message longer than a message may be: refused, the draft unchanged. */
export class MessageTooLongError extends SottoError {
  override readonly name = 'MessageTooLongError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`Not added: the message would be ${bytes.toLocaleString('en')} bytes, and a message holds at most ${limit.toLocaleString('en')}; the box is as it was`);
  }
}

/** The edits a key makes. */
export type DraftEdit = 'backspace' | 'delete' | 'left' | 'right' | 'home' | 'end' | 'clear' | 'newline';

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** `text` (typed or pasted) inserted at the cursor. Throws MessageTooLongError when the draft would pass `limit` bytes. */
export function insertText(draft: Draft, text: string, limit = MAX_TEXT_BYTES): Draft {
  const added = terminalText(text);
  if (added === '') return draft;
  const bytes = draft.bytes + utf8Bytes(added);
  if (bytes > limit) throw new MessageTooLongError(bytes, limit);
  return { text: draft.text.slice(0, draft.cursor) + added + draft.text.slice(draft.cursor), cursor: draft.cursor + added.length, bytes };
}

/** Throws MessageTooLongError for a paste of `bytes` (of which only part was kept) into `draft`. */
export function refusePaste(draft: Draft, bytes: number, limit = MAX_TEXT_BYTES): never {
  throw new MessageTooLongError(draft.bytes + bytes, limit);
}

/** The cluster just before `at`. */
function clusterBefore(text: string, at: number): string {
  return graphemes(text.slice(Math.max(0, at - CLUSTER_WINDOW), at)).at(-1) ?? '';
}

/** The grapheme cluster of `text` starting at `at` ('' at the end). */
export function clusterAt(text: string, at: number): string {
  return graphemes(text.slice(at, at + CLUSTER_WINDOW))[0] ?? '';
}

/** `draft` after one edit. Throws MessageTooLongError for a line break past the limit. */
export function editDraft(draft: Draft, edit: DraftEdit, limit = MAX_TEXT_BYTES): Draft {
  const { text, cursor } = draft;
  switch (edit) {
    case 'newline':
      return insertText(draft, '\n', limit);
    case 'clear':
      return EMPTY_DRAFT;
    case 'left':
      return { ...draft, cursor: cursor - clusterBefore(text, cursor).length };
    case 'right':
      return { ...draft, cursor: cursor + clusterAt(text, cursor).length };
    case 'home':
      return { ...draft, cursor: text.lastIndexOf('\n', cursor - 1) + 1 };
    case 'end': {
      const end = text.indexOf('\n', cursor);
      return { ...draft, cursor: end === -1 ? text.length : end };
    }
    case 'backspace': {
      const gone = clusterBefore(text, cursor);
      if (gone === '') return draft;
      return { text: text.slice(0, cursor - gone.length) + text.slice(cursor), cursor: cursor - gone.length, bytes: draft.bytes - utf8Bytes(gone) };
    }
    case 'delete': {
      const gone = clusterAt(text, cursor);
      if (gone === '') return draft;
      return { text: text.slice(0, cursor) + text.slice(cursor + gone.length), cursor, bytes: draft.bytes - utf8Bytes(gone) };
    }
  }
}

/** One row of the box: its text, and where the cursor is in it (an index into `text`), if it is in this row. */
export interface DraftRow {
  readonly text: string;
  readonly cursor?: number;
}

/** What the box shows: at most `maxRows` rows with the cursor's among them, and whether more rows are above or below. */
export interface DraftView {
  readonly rows: readonly DraftRow[];
  readonly above: boolean;
  readonly below: boolean;
}

/**
 * Rows of `width` columns of one line of the draft (no "\n" in it),
 * starting at `offset` in the draft; the cursor's row says where it is. The
 * cursor takes a column: at the end of a full row it is on a row of its own.
 */
function lineRows(line: string, offset: number, width: number, cursor: number): DraftRow[] {
  if (PRINTABLE_ASCII.test(line)) return asciiRows(line, offset, width, cursor);
  const rows: DraftRow[] = [];
  let row = '';
  let used = 0;
  let at = offset;
  let rowStart = offset;
  const push = (): void => {
    rows.push(cursor >= rowStart && cursor < rowStart + row.length ? { text: row, cursor: cursor - rowStart } : { text: row });
    rowStart += row.length;
    row = '';
    used = 0;
  };
  for (const cluster of graphemes(line)) {
    const w = textWidth(cluster);
    if (used + w > width && used > 0) push();
    row += cluster;
    used += w;
    at += cluster.length;
  }
  const cursorHere = cursor === at;
  if (cursorHere && used + 1 > width && used > 0) push();
  rows.push(cursorHere ? { text: row, cursor: row.length } : cursor >= rowStart && cursor < at ? { text: row, cursor: cursor - rowStart } : { text: row });
  return rows;
}

/** {@link lineRows} for a line of printable ASCII: one column per character, rows cut every `width` characters. */
function asciiRows(line: string, offset: number, width: number, cursor: number): DraftRow[] {
  const rows: DraftRow[] = [];
  const at = cursor - offset;
  const full = Math.floor(line.length / width);
  // A partial last row; or, after a full one, a row of its own for the cursor (it takes a column); an empty line is one row.
  const count = line.length === 0 ? 1 : full + (line.length % width > 0 || at === line.length ? 1 : 0);
  for (let i = 0; i < count; i++) {
    const text = line.slice(i * width, (i + 1) * width);
    rows.push(at >= i * width && at < (i + 1) * width ? { text, cursor: at - i * width } : { text });
  }
  return rows;
}

/**
 * The rows of the box for `draft` in `width` columns, at most `maxRows`:
 * the draft's lines wrapped between clusters, the rows shown chosen so that
 * the cursor's is among them (the last one when it can be). Wraps only the
 * lines around the cursor's, however long the draft.
 */
export function draftRows(draft: Draft, width: number, maxRows: number): DraftView {
  const { text, cursor } = draft;
  const room = Math.max(1, width);
  const start = text.lastIndexOf('\n', cursor - 1) + 1;
  const endAt = text.indexOf('\n', cursor);
  const end = endAt === -1 ? text.length : endAt;
  const rows = lineRows(text.slice(start, end), start, room, cursor);
  let cursorRow = rows.findIndex((r) => r.cursor !== undefined);
  // Lines before the cursor's, until there are enough rows to fill the box.
  let before = start - 1;
  while (before >= 0 && cursorRow < maxRows - 1) {
    const lineStart = text.lastIndexOf('\n', before - 1) + 1;
    const added = lineRows(text.slice(lineStart, before), lineStart, room, -1);
    rows.unshift(...added);
    cursorRow += added.length;
    before = lineStart - 1;
  }
  // Lines after it, likewise.
  let after = end;
  while (after < text.length && rows.length - cursorRow < maxRows) {
    const lineEnd = text.indexOf('\n', after + 1);
    const stop = lineEnd === -1 ? text.length : lineEnd;
    rows.push(...lineRows(text.slice(after + 1, stop), after + 1, room, -1));
    after = stop;
  }
  const first = Math.max(0, Math.min(cursorRow - maxRows + 1, rows.length - maxRows));
  const shown = rows.slice(first, first + maxRows);
  return { rows: shown, above: first > 0 || before >= 0, below: first + shown.length < rows.length || after < text.length };
}
