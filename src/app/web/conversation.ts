/**
 * The open conversation on the page: its messages, oldest at the top. It
 * opens on the newest page (HISTORY_PAGE_MESSAGES messages, read with
 * Messenger.history's `before`/`limit`) and reads the next older page when
 * the view is scrolled near the top (or "Load older messages" is pressed),
 * keeping what was on screen where it was. Nothing is ever redrawn whole: a
 * new message is inserted in its place (by `seq`), a message whose state
 * changed has its state redrawn, so the focus, a text selection and the
 * scroll position survive every update.
 *
 * Bodies are drawn with messageBody (`dir="auto"`, ./dom.ts); in a group,
 * each message starts with its sender (`message-sender`, a `<bdi>`).
 */
import type { FileState } from '../../node/files/types.ts';
import type { MessageRecord } from '../../node/store/records.ts';
import { clockTime } from '../chat/format.ts';
import type { FileLine } from '../file-line.ts';
import { h, messageBody, nameNode } from './dom.ts';
import { stateOfLine, type FileItem } from './file-view.ts';

/**
 * A message as the view shows it: a contact's (a MessageRecord), or a
 * group's, whose `peerId` is the group's conversation key and `from` who
 * sent it.
 */
export type ShownMessage = Pick<MessageRecord, 'id' | 'peerId' | 'seq' | 'direction' | 'text' | 'timestamp' | 'status' | 'custody'> & {
  /** Who sent it, in a group: "you", a contact's name, or a short peer id. */
  readonly from?: string;
  /** For a file message: the file and how far it got (drawn by ./file-view.ts instead of the text). */
  readonly file?: FileLine;
};

/** Draws the file of a file message (./file-view.ts's fileView, bound to the page's file store). */
export type FileDrawer = (messageId: string, file: FileLine, own: boolean) => FileItem;

/**
 * Messages read at a time: the newest page when a conversation opens, then
 * one older page per scroll to the top. Enough to fill a tall window (so the
 * view can scroll), few enough that opening a long conversation reads and
 * draws little.
 */
export const HISTORY_PAGE_MESSAGES = 50;
/** Closer than this to the top (px), the next older page is read: early enough that scrolling rarely stops at the edge. */
const OLDER_THRESHOLD_PX = 300;
/** Closer than this to the bottom (px), the view follows new messages; further up, it stays where the reader is. */
const FOLLOW_BOTTOM_PX = 24;
/** Newest messages read at a time to find the ones a send added. */
const CATCH_UP_MESSAGES = 10;

/** Where the conversation's messages come from. */
export interface ConversationSource {
  /** The newest `limit` messages of the conversation with `who` whose seq is below `before` (all when absent), oldest first. */
  page(who: Correspondent, page: { before?: number; limit: number }): Promise<ShownMessage[]>;
}

/** Who a conversation is with: a contact (its name and peer id), or a group (its key, ./groups.ts, as both). */
export interface Correspondent {
  readonly name: string;
  readonly peerId: string;
}

/** The conversation view and how to keep it up to date. */
export interface ConversationView {
  /** The scrolling element (focusable, so the keyboard scrolls it). */
  readonly element: HTMLElement;
  /** The conversation shown (undefined: none). */
  readonly current: Correspondent | undefined;
  /** Shows the conversation with `who` from its newest page (undefined: none); resolves once it is drawn. */
  open(who: Correspondent | undefined): Promise<void>;
  /** A message of this conversation was stored (the messenger's 'message' event): shown in its place. */
  add(message: ShownMessage): void;
  /** Reads the newest messages and shows the ones not shown yet (after a send); resolves once they are drawn. */
  catchUp(): Promise<void>;
  /** The message `id` changed state: read again and its state redrawn. */
  changed(id: string): void;
  /** The file of message `id` got further (a FileService change): its file redrawn, when shown. */
  fileChanged(id: string, state: FileState): void;
  /** The shown incoming messages were marked read. */
  markedRead(): void;
  /** Reads the next older page, if any; resolves once it is drawn. */
  loadOlder(): Promise<void>;
  /** Scrolls to the newest message. */
  toBottom(): void;
}

/** One shown message: its element, its state's element and what they were drawn from. */
interface Item {
  readonly li: HTMLLIElement;
  readonly state: HTMLElement;
  /** A file message's file. */
  readonly file?: FileItem;
  record: ShownMessage;
  /** Bumped by each read of it, so an older read that ends late is ignored. */
  reads: number;
}

function describeState(m: ShownMessage): string {
  if (m.status === 'stored' && m.custody) return `stored (${m.custody.mailboxes} mailbox${m.custody.mailboxes === 1 ? '' : 'es'})`;
  return m.status;
}

/** Builds the conversation view over `source`; `failed` hears about reads that went wrong; `drawFile` draws file messages (without it, a file message shows its name as text). */
export function conversationView(source: ConversationSource, failed: (err: unknown) => void, drawFile?: FileDrawer): ConversationView {
  const items = new Map<string, Item>();
  const list = h('ol', { class: 'messages' });
  const older = h('button', { type: 'button', class: 'secondary', 'data-testid': 'load-older', onclick: () => void loadOlder() }, 'Load older messages');
  const edgeText = h('span', {});
  const edge = h('div', { class: 'history-edge', 'data-testid': 'history-edge' }, older, edgeText);
  const element = h('div', { class: 'conversation', 'data-testid': 'messages', tabindex: 0, role: 'region', 'aria-label': 'messages' }, edge, list);

  let current: Correspondent | undefined;
  /** Bumped by each open: reads for another conversation are dropped. */
  let generation = 0;
  /** Seq of the oldest message shown. */
  let oldest: number | undefined;
  /** No older message than those shown. */
  let complete = true;
  let opening: Promise<void> | undefined;
  /** The newest page is being read (the view is empty until it is drawn). */
  let firstPage = false;
  let loading: Promise<void> | undefined;
  /** Calls of catchUp() not yet done: a state change for a message not shown yet is read again once it is shown. */
  let catchingUp = 0;
  /** Messages whose state changed before they were shown (during a catch-up): read again once they are. */
  const missed = new Set<string>();

  const atBottom = (): boolean => element.scrollHeight - element.scrollTop - element.clientHeight <= FOLLOW_BOTTOM_PX;
  const toBottom = (): void => void (element.scrollTop = element.scrollHeight);

  function drawEdge(): void {
    const state = !current ? 'none' : firstPage || loading ? 'loading' : !complete ? 'more' : items.size === 0 ? 'empty' : 'start';
    edge.dataset['state'] = state;
    // Kept while a page loads (a keyboard user presses it again and again); gone at the start, its focus to the messages.
    const hide = state !== 'more' && !(state === 'loading' && !firstPage);
    if (hide && older === document.activeElement) element.focus();
    older.hidden = hide;
    edgeText.textContent = state === 'loading' ? (firstPage ? 'Loading messages…' : 'Loading older messages…') : state === 'empty' ? 'No messages yet.' : state === 'start' ? 'Start of the conversation' : '';
  }

  function make(record: ShownMessage): Item {
    const state = h('span', { class: 'state', 'data-testid': 'message-state' }, describeState(record));
    const file = record.file && drawFile ? drawFile(record.id, record.file, record.direction === 'out') : undefined;
    const li = h(
      'li',
      { class: `message ${record.direction}`, 'data-testid': 'message', 'data-direction': record.direction, 'data-state': record.status, 'data-seq': record.seq },
      record.from === undefined ? null : h('span', { class: 'from', 'data-testid': 'message-sender' }, nameNode(record.from)),
      file ? file.element : messageBody('span', { class: 'text', 'data-testid': 'message-text' }, record.text),
      h('span', { class: 'meta' }, h('time', {}, clockTime(record.timestamp)), ' ', state),
    );
    const item: Item = { li, state, record, reads: 0, ...(file ? { file } : {}) };
    items.set(record.id, item);
    return item;
  }

  function redraw(item: Item, record: ShownMessage): void {
    item.record = record;
    if (item.file && record.file) item.file.update(stateOfLine(record.file));
    if (item.li.dataset['state'] === record.status && item.state.textContent === describeState(record)) return;
    item.li.dataset['state'] = record.status;
    item.state.textContent = describeState(record);
  }

  /** Shows `record` in its place by seq, or redraws it when shown. */
  function place(record: ShownMessage): void {
    const shown = items.get(record.id);
    if (shown) return redraw(shown, record);
    // Older than what is shown while older pages remain: it comes with its page.
    if (oldest !== undefined && record.seq < oldest && !complete) return;
    let after = list.lastElementChild as HTMLElement | null;
    while (after && Number(after.dataset['seq']) > record.seq) after = after.previousElementSibling as HTMLElement | null;
    list.insertBefore(make(record).li, after ? after.nextSibling : list.firstChild);
    if (oldest === undefined || record.seq < oldest) oldest = record.seq;
    if (missed.delete(record.id)) changed(record.id);
  }

  async function open(who: Correspondent | undefined): Promise<void> {
    const mine = ++generation;
    current = who;
    for (const item of items.values()) item.file?.dispose();
    items.clear();
    missed.clear();
    list.replaceChildren();
    oldest = undefined;
    complete = who === undefined;
    loading = undefined;
    firstPage = who !== undefined;
    element.setAttribute('aria-label', who ? `messages with ${who.name}` : 'messages');
    drawEdge();
    if (!who) {
      opening = undefined;
      return;
    }
    const run = source.page(who, { limit: HISTORY_PAGE_MESSAGES }).then((records) => {
      if (mine !== generation) return;
      firstPage = false;
      complete = records.length < HISTORY_PAGE_MESSAGES;
      oldest = records[0]?.seq;
      list.append(...records.map((r) => make(r).li));
      drawEdge();
      toBottom();
    });
    opening = run;
    try {
      await run;
    } catch (err) {
      failed(err);
    } finally {
      if (opening === run) opening = undefined;
      if (mine === generation && firstPage) {
        // The read failed: the view says nothing is loading.
        firstPage = false;
        drawEdge();
      }
    }
  }

  function add(message: ShownMessage): void {
    if (!current || message.peerId !== current.peerId) return;
    if (opening) {
      // The page being read may hold it already; place() then only redraws it.
      void opening.then(() => add(message), () => {});
      return;
    }
    const follow = atBottom();
    place(message);
    drawEdge();
    if (follow) toBottom();
  }

  /** Reads the messages newer than the newest shown and shows them. */
  async function readNewer(): Promise<void> {
    await opening?.catch(() => {});
    const who = current;
    if (!who) return;
    const mine = generation;
    const newest = Number((list.lastElementChild as HTMLElement | null)?.dataset['seq'] ?? -1);
    const fresh: ShownMessage[] = [];
    try {
      // Newest first, page by page, down to the newest message shown.
      for (let before: number | undefined; ; ) {
        const records = await source.page(who, before === undefined ? { limit: CATCH_UP_MESSAGES } : { before, limit: CATCH_UP_MESSAGES });
        const newer = records.filter((r) => r.seq > newest);
        fresh.unshift(...newer);
        if (newer.length < records.length || records.length < CATCH_UP_MESSAGES) break;
        before = records[0]!.seq;
      }
    } catch (err) {
      failed(err);
    }
    if (mine !== generation) return;
    const follow = atBottom();
    for (const r of fresh) place(r);
    drawEdge();
    if (follow) toBottom();
  }

  // One read of newer messages at a time; the calls made during one share the next (a burst of sends reads once or twice, not once each).
  let catching: Promise<void> = Promise.resolve();
  let nextCatchUp: Promise<void> | undefined;
  function catchUp(): Promise<void> {
    catchingUp++;
    nextCatchUp ??= catching.then(() => {
      nextCatchUp = undefined;
      return readNewer();
    });
    catching = nextCatchUp;
    return nextCatchUp.finally(() => {
      if (--catchingUp === 0) missed.clear();
    });
  }

  function changed(id: string): void {
    const item = items.get(id);
    const who = current;
    if (!who) return;
    if (!item) {
      // A send's state can change before catchUp() shows it: read it again then.
      if (catchingUp > 0 || opening) missed.add(id);
      return;
    }
    const mine = generation;
    const read = ++item.reads;
    source.page(who, { before: item.record.seq + 1, limit: 1 }).then(([record]) => {
      if (mine === generation && read === item.reads && record?.id === id) redraw(item, record);
    }, failed);
  }

  function fileChanged(id: string, state: FileState): void {
    items.get(id)?.file?.update(state);
  }

  function markedRead(): void {
    for (const item of items.values()) if (item.record.direction === 'in' && item.record.status === 'received') redraw(item, { ...item.record, status: 'read' });
  }

  function loadOlder(): Promise<void> {
    const who = current;
    if (!who || complete || opening || oldest === undefined) return opening ?? Promise.resolve();
    if (loading) return loading;
    const mine = generation;
    const before = oldest;
    const run = source
      .page(who, { before, limit: HISTORY_PAGE_MESSAGES })
      .then((records) => {
        if (mine !== generation) return;
        complete = records.length < HISTORY_PAGE_MESSAGES;
        const fresh = records.filter((r) => !items.has(r.id));
        // Keeps what is on screen where it is: the distance to the bottom does not change.
        const fromBottom = element.scrollHeight - element.scrollTop;
        list.prepend(...fresh.map((r) => make(r).li));
        if (records[0]) oldest = records[0].seq;
        element.scrollTop = element.scrollHeight - fromBottom;
      }, failed)
      .finally(() => {
        if (loading !== run) return;
        loading = undefined;
        drawEdge();
      });
    loading = run;
    drawEdge();
    return run;
  }

  element.addEventListener('scroll', () => {
    if (element.scrollTop <= OLDER_THRESHOLD_PX) void loadOlder();
  });
  drawEdge();

  return {
    element,
    get current() {
      return current;
    },
    open,
    add,
    catchUp,
    changed,
    fileChanged,
    markedRead,
    loadOlder,
    toBottom,
  };
}
