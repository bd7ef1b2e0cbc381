/**
 * The part of a conversation the chat holds: its newest page, and the
 * older pages the reader scrolled back to. A refresh reloads only the
 * newest page (CHAT_PAGE_MESSAGES) and keeps what is older, so a long
 * conversation is never read whole, on open or on any event. Pure.
 */
import type { ChatLine as HistoryLine } from './group-format.ts';

/** Messages per page read from the node: more than a tall terminal shows, few enough to read in a moment. */
export const CHAT_PAGE_MESSAGES = 100;

/** The loaded messages of one conversation, oldest first. */
export interface HistoryWindow {
  readonly messages: readonly HistoryLine[];
  /** True when the oldest message of the conversation is among them. */
  readonly complete: boolean;
}

/** Nothing loaded yet. */
export const EMPTY_WINDOW: HistoryWindow = { messages: [], complete: false };

/** The same message in the same state, its file (if any) as far along: the loaded copy is kept (the pane keeps its wrapped lines). */
function unchanged(a: HistoryLine, b: HistoryLine): boolean {
  return a.id === b.id && a.seq === b.seq && a.status === b.status && a.mailboxes === b.mailboxes && a.storedUntil === b.storedUntil && a.reason === b.reason && a.from === b.from && a.file?.state === b.file?.state && a.file?.received === b.file?.received && a.file?.reason === b.file?.reason;
}

/**
 * `window` after a fresh newest page of `limit` (its messages replace those
 * from the page's first on; older loaded ones stay). A short page is the
 * whole conversation.
 */
export function withNewestPage(window: HistoryWindow, page: readonly HistoryLine[], limit = CHAT_PAGE_MESSAGES): HistoryWindow {
  if (page.length < limit) return { messages: reuse(window.messages, page), complete: true };
  const first = page[0]!.seq;
  const older = window.messages.filter((m) => m.seq < first);
  return { messages: [...older, ...reuse(window.messages, page)], complete: window.complete && older.length > 0 };
}

/** `window` with an older page (the `limit` messages before its oldest) in front; a short page reaches the start. */
export function withOlderPage(window: HistoryWindow, page: readonly HistoryLine[], limit = CHAT_PAGE_MESSAGES): HistoryWindow {
  const oldest = window.messages[0]?.seq ?? Infinity;
  return { messages: [...page.filter((m) => m.seq < oldest), ...window.messages], complete: page.length < limit };
}

/** `page` with each message that did not change replaced by its loaded copy. */
function reuse(loaded: readonly HistoryLine[], page: readonly HistoryLine[]): HistoryLine[] {
  const bySeq = new Map<number, HistoryLine>();
  const from = page[0]?.seq ?? Infinity;
  for (let i = loaded.length - 1; i >= 0 && loaded[i]!.seq >= from; i--) bySeq.set(loaded[i]!.seq, loaded[i]!);
  return page.map((m) => {
    const old = bySeq.get(m.seq);
    return old !== undefined && unchanged(old, m) ? old : m;
  });
}
