/**
 * Pure text layout of the chat: how a message's state reads, how a contact
 * and a message request read in the list, which part of a long list shows,
 * and how a conversation wraps into the lines of a pane.
 * No terminal and no React here, so it is tested as plain functions.
 */
import type { ContactLine, HistoryLine, RequestLine } from '../api.ts';
import { displayName } from '../display-name.ts';
import { terminalText } from '../terminal-text.ts';

/** The state of a message as the chat shows it. */
export function messageState(m: HistoryLine): string {
  if (m.direction === 'in') return '';
  switch (m.status) {
    case 'queued':
      return 'queued';
    case 'stored':
      return `stored (${m.mailboxes ?? 0} mailboxes)`;
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
 * contact's, "!" after a key change, unread count. The name is cut, never
 * the marks.
 */
export function contactLabel(c: ContactLine, width: number): string {
  const dot = c.online ? '●' : '○';
  const marks = `${c.verified ? ' ✓' : ''}${c.confusableWith !== undefined ? ' ≈' : ''}${c.keyChangedAt !== undefined ? ' !' : ''}${c.unread > 0 ? ` (${c.unread})` : ''}`;
  return `${dot} ${cut(displayName(c.name), width - 2 - marks.length)}${marks}`;
}

/** `text` in at most `room` characters (at least one), cut with "…". */
function cut(text: string, room: number): string {
  const shown = [...text];
  const fits = Math.max(1, room);
  return shown.length > fits ? `${shown.slice(0, fits - 1).join('')}…` : text;
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
  return `? ${cut(requestWho(r), width - 2 - marks.length)}${marks}`;
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

/** Splits `text` into lines of at most `width` characters, at spaces where possible. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      let rest = word;
      while (rest.length > width) {
        if (line) out.push(line);
        line = '';
        out.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
      if (!line) line = rest;
      else if (line.length + 1 + rest.length <= width) line += ` ${rest}`;
      else {
        out.push(line);
        line = rest;
      }
    }
    out.push(line);
  }
  return out;
}

/** One displayed line of a conversation. */
export interface ConversationLine {
  readonly text: string;
  readonly direction: 'in' | 'out' | 'note';
}

/**
 * The last `height` lines of a conversation wrapped to `width` (the text
 * through terminalText first, so what is measured is what is shown): each message
 * as "HH:MM > text" (sent) or "HH:MM < text" (received), then, for sent
 * messages, its state right-aligned on the last line when it fits, else on
 * a line of its own.
 */
export function conversationLines(messages: readonly HistoryLine[], width: number, height: number): ConversationLine[] {
  const lines: ConversationLine[] = [];
  const prefixWidth = 8; // "HH:MM > "
  const bodyWidth = Math.max(1, width - prefixWidth);
  for (const m of messages) {
    const arrow = m.direction === 'in' ? '<' : '>';
    const body = wrap(terminalText(m.text), bodyWidth);
    const state = messageState(m);
    body.forEach((part, i) => {
      const prefix = i === 0 ? `${clockTime(m.timestamp)} ${arrow} ` : ' '.repeat(prefixWidth);
      lines.push({ text: prefix + part, direction: m.direction });
    });
    if (state) {
      const last = lines[lines.length - 1]!;
      const gap = width - last.text.length - state.length;
      if (gap >= 2) lines[lines.length - 1] = { ...last, text: last.text + ' '.repeat(gap) + state };
      else lines.push({ text: ' '.repeat(Math.max(0, width - state.length)) + state, direction: m.direction });
    }
  }
  return lines.slice(Math.max(0, lines.length - height));
}
