/**
 * Scrolling the conversation pane back through the messages the chat has
 * loaded. A position is held by a message, not by a row count: the pane's
 * bottom row is a given row of a given message, so newer messages arriving
 * below and older pages loaded above leave the view where the reader put
 * it. No position means the pane follows the newest line. Pure; each
 * message is wrapped once per width (a cache keyed by the message object).
 */
import type { HistoryLine } from '../api.ts';
import { messageLines, type ConversationLine } from './format.ts';

/** Where the pane is: undefined follows the newest line; else its bottom row is `hidden` rows above the end of message `seq`. */
export type ScrollPosition = { readonly seq: number; readonly hidden: number } | undefined;

/** What the pane shows. */
export interface PaneView {
  readonly lines: readonly ConversationLine[];
  /** Rows of loaded messages above the first one shown (0: the oldest loaded line is shown). */
  readonly rowsAbove: number;
  /** Rows below the last one shown (0: the newest line is shown). */
  readonly rowsBelow: number;
}

const wrapped = new WeakMap<HistoryLine, { readonly width: number; readonly lines: readonly ConversationLine[] }>();

/** The lines of `m` in `width` columns (wrapped once per message and width). */
function linesOf(m: HistoryLine, width: number): readonly ConversationLine[] {
  const cached = wrapped.get(m);
  if (cached?.width === width) return cached.lines;
  const lines = messageLines(m, width);
  wrapped.set(m, { width, lines });
  return lines;
}

/** Every line of `messages` with, per message, the index of its last line. */
function allLines(messages: readonly HistoryLine[], width: number): { lines: ConversationLine[]; ends: number[] } {
  const lines: ConversationLine[] = [];
  const ends: number[] = [];
  for (const m of messages) {
    lines.push(...linesOf(m, width));
    ends.push(lines.length - 1);
  }
  return { lines, ends };
}

/** Index of the message with `seq` in `messages` (ordered by seq), or -1. */
function indexOfSeq(messages: readonly HistoryLine[], seq: number): number {
  let low = 0;
  let high = messages.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const at = messages[mid]!.seq;
    if (at === seq) return mid;
    if (at < seq) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

/** The index of the line at the bottom of the pane for `position` (the last line when it follows, or its message is gone). */
function bottomLine(messages: readonly HistoryLine[], ends: readonly number[], total: number, position: ScrollPosition): number {
  if (position === undefined) return total - 1;
  const index = indexOfSeq(messages, position.seq);
  if (index === -1) return total - 1;
  return Math.max(0, ends[index]! - position.hidden);
}

/** The `height` rows the pane shows of `messages` (oldest first) in `width` columns at `position`. */
export function paneView(messages: readonly HistoryLine[], width: number, height: number, position: ScrollPosition): PaneView {
  const { lines, ends } = allLines(messages, width);
  const bottom = Math.min(lines.length - 1, Math.max(bottomLine(messages, ends, lines.length, position), height - 1));
  const top = Math.max(0, bottom - height + 1);
  return { lines: lines.slice(top, bottom + 1), rowsAbove: top, rowsBelow: Math.max(0, lines.length - 1 - bottom) };
}

/** The position `rows` rows further back (positive) or forward (negative) from `position`; undefined once at the newest line. */
export function scrollPane(messages: readonly HistoryLine[], width: number, height: number, position: ScrollPosition, rows: number): ScrollPosition {
  const { lines, ends } = allLines(messages, width);
  const last = lines.length - 1;
  if (last < 0) return undefined;
  const bottom = Math.min(last, Math.max(bottomLine(messages, ends, lines.length, position) - rows, Math.min(height - 1, last)));
  if (bottom >= last) return undefined;
  // The message whose lines hold the new bottom row.
  let index = 0;
  while (ends[index]! < bottom) index++;
  return { seq: messages[index]!.seq, hidden: ends[index]! - bottom };
}
