/**
 * Where everything goes on the chat's screen, measured in terminal columns
 * (./width.ts) before ink draws it, so that nothing is wider than its place
 * and the screen is never taller than the terminal: the header, the
 * contact list and the conversation (its title always on top, then the
 * messages), the information area, the box, the footer. Text is wrapped,
 * never cut with "…" (only names in the contact list are, to their column).
 * The box grows upward as the draft gets longer, up to COMPOSER_MAX_ROWS,
 * taking rows from the panes, never from the title. Pure.
 */
import type { ContactLine, RequestLine } from '../api.ts';
import type { GroupInvitationLine } from '../group-api.ts';
import { displayName, lookalikeNote } from '../display-name.ts';
import { terminalLine } from '../terminal-text.ts';
import { draftRows, type DraftView } from './composer.ts';
import type { ChatState, PaneSize } from './controller.ts';
import { contactLabel, listStart, requestWho, shortPeerId } from './format.ts';
import { GROUP_MARK, groupLabel, groupTitle } from './group-format.ts';
import { paneView, type PaneView } from './scroll.ts';
import { splitListRows } from './request-view.tsx';
import { fitText, textWidth, wrapText } from './width.ts';

/** Width of the contact list, in columns (borders included). */
export const CONTACTS_WIDTH = 24;
/** Columns of the smallest terminal the layout is made for (a narrower one is laid out as this wide). */
export const MIN_COLUMNS = 80;
/** Rows of the smallest terminal the layout is made for. */
export const MIN_ROWS = 24;
/** Rows the box may grow to as a draft gets longer (then it scrolls with the cursor). */
export const COMPOSER_MAX_ROWS = 6;
/** Rows the panes keep however tall the box and the information area get. */
const PANE_MIN_ROWS = 4;
/** Columns of a contact's name in the box's prompt ("bob> "). */
const PROMPT_NAME_COLUMNS = 16;
/** The footer when nothing else is shown there. */
export const CHAT_FOOTER = 'Enter send · ↑/↓ contacts and requests · PgUp/PgDn scroll · /help · Ctrl-C quit';
/** The footer while the conversation is scrolled back. */
const SCROLLED_FOOTER = 'Scrolled back · PgDn newer · PgUp older · Enter sends and returns to the newest';

/** How a line is drawn. */
export type Tone = 'plain' | 'bold' | 'dim' | 'warn' | 'ok' | 'error' | 'in';

/** A line of text and how it is drawn. */
export interface Styled {
  readonly text: string;
  readonly tone: Tone;
}

/** One row of the list of contacts and groups. */
export interface ListRow {
  readonly key: string;
  readonly text: string;
  /** The entry open now. */
  readonly open: boolean;
  /** Drawn as a warning (a contact's key changed) or dimmed (a group left). */
  readonly tone?: 'warn' | 'dim';
}

/** Everything the screen shows, placed. */
export interface ChatLayout {
  /** Columns used (one less than the terminal's: ink's margin). */
  readonly width: number;
  readonly header: readonly string[];
  /** Rows inside the panes' borders. */
  readonly paneRows: number;
  /** The rows of contacts, then groups, shown (from `firstContact`), and the rows left for requests. */
  readonly list: readonly ListRow[];
  readonly firstContact: number;
  readonly requestRows: number;
  /** Columns inside the conversation pane. */
  readonly convWidth: number;
  /** The conversation's title and warnings, wrapped: always shown, above the messages. */
  readonly title: readonly Styled[];
  /** The size of the message area (for scrolling) and what it shows. */
  readonly pane: PaneSize;
  readonly conversation: PaneView;
  readonly notice: readonly Styled[];
  /** The box: its prompt, the rows of the draft shown, and the columns they have. */
  readonly prompt: string;
  readonly composer: DraftView;
  readonly composerWidth: number;
  readonly footer: readonly Styled[];
}

/** `lines` wrapped to `width`, each wrapped line keeping its tone. */
function wrapStyled(lines: readonly Styled[], width: number): Styled[] {
  return lines.flatMap((line) => wrapText(line.text, width).map((text) => ({ text, tone: line.tone })));
}

/** The warning about a request whose claimed name is a contact's, or looks like one (it follows the claimed name); undefined when it is neither. */
function impostorWarning(r: RequestLine): string | undefined {
  if (r.looksLike === undefined || r.claimedName === null) return undefined;
  const contact = `"${displayName(r.looksLike)}"`;
  return r.claimedName === r.looksLike ? `you have a contact ${contact}` : `that looks like your contact ${contact}`;
}

/** The title of an open request: what it is, who it says it is (unverified), a warning if that is a contact's name, the commands. */
function requestTitle(request: RequestLine, invitations: readonly GroupInvitationLine[]): Styled[] {
  const warning = impostorWarning(request);
  const invites = invitations
    .filter((i) => i.peerId === request.peerId)
    .map((i) => ({ text: `Invites you to the group ${GROUP_MARK}${displayName(i.name)} (${i.members === null ? '' : `${i.members} members, `}unverified): /join`, tone: 'warn' as const }));
  const claim = request.claimedName === null ? 'No name given' : `Says it is ${requestWho(request)} (unverified)`;
  return [
    { text: `${claim} · not a contact`, tone: 'bold' },
    { text: `Message request from ${shortPeerId(request.peerId)} · no receipts`, tone: 'dim' },
    ...(warning ? [{ text: `⚠ ${warning}: this may be someone else`, tone: 'warn' as const }] : []),
    ...invites,
    { text: `/accept [NAME] makes a contact${invites.length > 0 ? ' and joins' : ''} · /block · /delete`, tone: 'ok' },
  ];
}

/** The title of the open conversation (or what to do when none is open), with its warnings. */
function conversationTitle(state: ChatState, open: ContactLine | undefined): Styled[] {
  const title: Styled[] = [];
  if (open) {
    const added = open.added ? '' : ' · wrote to you first (/add their INVITE, or /add NAME PEERID)';
    title.push({ text: `${displayName(open.name)} · ${open.online ? 'online' : 'offline'} · ${open.verified ? 'verified ✓' : 'not verified (/verify)'}${added}`, tone: 'bold' });
  } else {
    title.push({ text: 'Add a contact: /add INVITE (your own: /invite)', tone: 'dim' });
    const n = state.requests.length;
    if (n > 0) title.push({ text: `${n} message request${n === 1 ? '' : 's'} from people who are not contacts: /requests`, tone: 'warn' });
  }
  if (open?.keyChangedAt !== undefined) {
    const when = terminalLine(`accepted a new identity key on ${new Date(open.keyChangedAt).toLocaleString()}`);
    title.push({ text: `⚠ ${displayName(open.name)}'s identity key changed: ${when}. Compare safety numbers: /verify`, tone: 'warn' });
  }
  if (open?.confusableWith !== undefined) title.push({ text: `⚠ this name ${lookalikeNote(open.confusableWith)}: another contact; compare safety numbers (/verify)`, tone: 'warn' });
  return title;
}

/** The contacts, then the groups, as rows of a list `width` columns wide. */
function listRows(state: ChatState, width: number): ListRow[] {
  const opened = state.request === undefined && state.group === undefined;
  return [
    ...state.contacts.map((c) => ({ key: `contact ${c.peerId}`, text: contactLabel(c, width), open: opened && c.name === state.selected, ...(c.keyChangedAt !== undefined ? { tone: 'warn' as const } : {}) })),
    ...state.groups.map((g) => ({ key: `group ${g.id}`, text: groupLabel(g, width), open: g.name === state.group, ...(g.active ? {} : { tone: 'dim' as const }) })),
  ];
}

/** The header line: who you are, contacts online, requests. */
function headerText(state: ChatState): string {
  const online = state.contacts.filter((c) => c.online).length;
  const requests = state.requests.length;
  const who = state.self.name ? displayName(state.self.name) : 'you';
  return `Sotto · ${who} (${shortPeerId(state.self.peerId)}) · ${online} contact${online === 1 ? '' : 's'} online${requests > 0 ? ` · ${requests} request${requests === 1 ? '' : 's'}` : ''}`;
}

/**
 * The screen for `state` on a terminal of `columns` × `rows` (at least
 * MIN_COLUMNS × MIN_ROWS is assumed). The information area gets what the
 * panes and the box leave; on a short terminal its last lines give way to
 * a line saying how many are not shown.
 */
export function chatLayout(state: ChatState, columns: number, rows: number): ChatLayout {
  const width = Math.max(columns, MIN_COLUMNS) - 1;
  // One row is left free: ink redraws in place only while the output is shorter than the terminal.
  const available = Math.max(rows, MIN_ROWS) - 1;
  const header = wrapText(headerText(state), width);
  const footerLine: Styled = state.progress ? { text: terminalLine(state.progress), tone: 'warn' } : { text: state.scroll === undefined ? CHAT_FOOTER : SCROLLED_FOOTER, tone: 'dim' };
  const footer = wrapStyled([footerLine], width);
  const open = state.request === undefined && state.group === undefined ? state.contacts.find((c) => c.name === state.selected) : undefined;
  const group = state.groups.find((g) => g.name === state.group);
  const request = state.requests.find((r) => r.peerId === state.request);

  const prompt = request ? 'request> ' : group ? `${GROUP_MARK}${fitText(displayName(group.name), PROMPT_NAME_COLUMNS)}> ` : open ? `${fitText(displayName(open.name), PROMPT_NAME_COLUMNS)}> ` : '> ';
  const composerWidth = Math.max(1, width - textWidth(prompt));
  // Rows between the header and the footer: the panes with their borders, the information area, the box.
  const middle = available - header.length - footer.length;
  const composer = draftRows(state.draft, composerWidth, Math.max(1, Math.min(COMPOSER_MAX_ROWS, middle - 2 - PANE_MIN_ROWS)));
  const noticeLines = wrapStyled(
    state.notice.map((text) => ({ text: terminalLine(text), tone: state.noticeIsError ? 'error' : 'ok' })),
    width,
  );
  const noticeRoom = Math.max(0, middle - 2 - PANE_MIN_ROWS - composer.rows.length);
  const notice =
    noticeLines.length <= noticeRoom ? noticeLines : noticeRoom === 0 ? [] : [...noticeLines.slice(0, noticeRoom - 1), { text: `(${noticeLines.length - noticeRoom + 1} more lines: make the terminal taller)`, tone: 'dim' as const }];
  const paneRows = Math.max(PANE_MIN_ROWS, middle - 2 - notice.length - composer.rows.length);

  const convWidth = width - CONTACTS_WIDTH - 2;
  const title = wrapStyled(request ? requestTitle(request, state.invitations) : group ? groupTitle(group, state.self.peerId) : conversationTitle(state, open), convWidth).slice(0, paneRows - 1);
  const pane = { width: convWidth, height: paneRows - title.length };
  const rowsOfList = listRows(state, CONTACTS_WIDTH - 2);
  const { contactRows, requestRows } = splitListRows(rowsOfList.length, state.requests.length, paneRows);
  const firstContact = listStart(rowsOfList.length, rowsOfList.findIndex((r) => r.open), contactRows);
  return {
    width,
    header,
    paneRows,
    list: rowsOfList.slice(firstContact, firstContact + contactRows),
    firstContact,
    requestRows,
    convWidth,
    title,
    pane,
    conversation: paneView(state.messages, pane.width, pane.height, state.scroll),
    notice,
    prompt,
    composer,
    composerWidth,
    footer,
  };
}
