/**
 * Pure text layout of the chat: how a message's state reads, how a contact
 * and a message request read in the list, which part of a long list shows,
 * and how a message wraps into the lines of a pane (in terminal columns,
 * ./width.ts).
 * No terminal and no React here, so it is tested as plain functions.
 */
import type { ContactLine, HistoryLine, RequestLine } from '../api.ts';
import { displayName } from '../display-name.ts';
import { terminalText } from '../terminal-text.ts';
import { fileText } from './file-format.ts';
import { fitText, textWidth, wrapText } from './width.ts';

/** The state of a message as the chat shows it. */
export function messageState(m: HistoryLine): string {
  if (m.direction === 'in') return '';
  switch (m.status) {
    case 'queued':
      return 'queued';
    case 'stored':
      // A group's message is stored once in the group's mailboxes, which it does not count.
      return m.mailboxes === undefined ? 'stored' : `stored (${m.mailboxes} mailboxes)`;
    case 'delivered':
      return 'delivered';
    case 'read':
      return 'read';
    case 'failed':
      return 'failed';
    default:
      return m.status;
  }
}

/**
 * A contact in the list: online dot, name (displayName: nothing in it can
 * reach the terminal), verified mark, "≈" when the name looks like another
 * contact's, "!" after a key change, unread count. The name is cut to the
 * column (in terminal columns), never the marks.
 */
export function contactLabel(c: ContactLine, width: number): string {
  const dot = c.online ? '●' : '○';
  const marks = `${c.verified ? ' ✓' : ''}${c.confusableWith !== undefined ? ' ≈' : ''}${c.keyChangedAt !== undefined ? ' !' : ''}${c.unread > 0 ? ` (${c.unread})` : ''}`;
  return `${dot} ${fitText(displayName(c.name), width - 2 - textWidth(marks))}${marks}`;
}

/** A peer id shortened for a narrow place: "12D3KooW…eP4NBE". */
export function shortPeerId(peerId: string): string {
  return `${peerId.slice(0, 8)}…${peerId.slice(-6)}`;
}

/**
 * Who a message request is, in one line: the name it claims, quoted as a
 * claim (displayName), or its short peer id when it gave none.
 */
export function requestWho(r: RequestLine): string {
  return r.claimedName === null ? shortPeerId(r.peerId) : `"${displayName(r.claimedName)}"`;
}

/**
 * A message request in the list: "?", who it says it is (a claim, in
 * quotes), "≈" when that names or looks like a contact, and how many
 * messages it left. The name is cut, never the marks.
 */
export function requestLabel(r: RequestLine, width: number): string {
  const marks = `${r.looksLike !== undefined ? ' ≈' : ''} (${r.messages})`;
  return `? ${fitText(requestWho(r), width - 2 - textWidth(marks))}${marks}`;
}

/**
 * The first index of a list of `total` rows to show in `rows` rows so that
 * row `selected` (-1: none) is visible; the list starts at the top until
 * the selection would fall below it.
 */
export function listStart(total: number, selected: number, rows: number): number {
  if (selected < rows) return 0;
  return Math.min(selected - rows + 1, Math.max(0, total - rows));
}

/** HH:MM of a timestamp, in the local time zone. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** One displayed line of a conversation. */
export interface ConversationLine {
  readonly text: string;
  readonly direction: 'in' | 'out' | 'note';
}

/** Columns of "HH:MM > " before each message's text. */
const PREFIX_WIDTH = 8;

/**
 * The lines of one message in a pane `width` columns wide: "HH:MM > text"
 * (sent) or "HH:MM < text" (received), in a group "HH:MM < bob: text" (its
 * sender, already made safe to show), the text through terminalText (a
 * file message: its name, size and progress, ./file-format.ts) and
 * wrapped in terminal columns (wide characters, emoji sequences), then, for
 * a sent message, its state right-aligned on the last line when it fits,
 * else on a line of its own.
 */
export function messageLines(m: HistoryLine & { readonly from?: string }, width: number): ConversationLine[] {
  const lines: ConversationLine[] = [];
  const arrow = m.direction === 'in' ? '<' : '>';
  const content = m.file === undefined ? terminalText(m.text) : fileText(m.file, m.direction, m.status);
  const body = wrapText(`${m.from === undefined ? '' : `${m.from}: `}${content}`, Math.max(1, width - PREFIX_WIDTH));
  body.forEach((part, i) => {
    const prefix = i === 0 ? `${clockTime(m.timestamp)} ${arrow} ` : ' '.repeat(PREFIX_WIDTH);
    lines.push({ text: prefix + part, direction: m.direction });
  });
  const state = messageState(m);
  if (state) {
    const last = lines[lines.length - 1]!;
    const gap = width - textWidth(last.text) - textWidth(state);
    if (gap >= 2) lines[lines.length - 1] = { ...last, text: last.text + ' '.repeat(gap) + state };
    else lines.push({ text: ' '.repeat(Math.max(0, width - textWidth(state))) + state, direction: m.direction });
  }
  return lines;
}
