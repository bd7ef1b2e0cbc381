/**
 * The chat's state and actions, apart from how they are drawn: the contact
 * list (online, unread, verified, key changes), the groups (unread, members,
 * each line's sender; creating one, adding and removing members, leaving),
 * the message requests (people
 * who are not contacts: opened only when the user picks one, never at
 * start), the open conversation or request (its newest page, and older
 * pages as the reader scrolls back: ./history-window.ts, ./scroll.ts), one
 * draft per conversation (./composer.ts), and what sending it does (a
 * text, or a file with /send-file; /save writes one: ./file-commands.ts). It
 * reads everything through a SottoApi, so the same chat runs on a node in
 * this process or attached to a node running in the background; the
 * backend says when something may have changed.
 */
import type { ContactLine, RequestLine, SottoApi } from '../api.ts';
import type { GroupConversationLine, GroupInvitationLine } from '../group-api.ts';
import { CHAT_HELP, parseChatInput } from './commands.ts';
import { requestWho } from './format.ts';
import { displayName, lookalikeWarning } from '../display-name.ts';
import { EMPTY_DRAFT, editDraft, insertText, refusePaste, type Draft, type DraftEdit } from './composer.ts';
import { CHAT_PAGE_MESSAGES, withNewestPage, withOlderPage } from './history-window.ts';
import { paneView, scrollPane, type ScrollPosition } from './scroll.ts';
import { GROUP_MARK, groupChatLines, memberLines, type ChatLine } from './group-format.ts';
import { saveFileCommand, sendFileCommand, type FileNotice } from './file-commands.ts';
import { processPlaces, type ChatPlaces } from './file-places.ts';

/** Characters of an invite per line of the information area: it fits 80 columns whole, where one line would be cut. */
export const INVITE_NOTICE_WIDTH = 76;
/** Older pages one scroll may load before it moves (a page of very long messages fills more than a screen). */
const MAX_PAGES_PER_SCROLL = 3;

/** What to do about an error the chat's own commands can cause, by the error's name. */
const CHAT_HINTS: Readonly<Record<string, string>> = {
  RequestNameRequiredError: 'Give them a name of your own: /accept NAME',
  GroupKeyPackageMissingError: 'Their node sends one when both are online; try again once they have been online.',
  NotGroupAdminError: 'Ask an admin of the group (/members shows them).',
  FileExistsError: 'It is never replaced: give another DEST (/save ~/Downloads/NEW-NAME), or move that file away.',
};

/** What sending (a text or a file) while a message request is open says. */
const IN_A_REQUEST = ['This is a message request, not a conversation: nothing is sent.', 'Accept the request first: /accept NAME (or /block, /delete).'];
/** What sending with no conversation open says. */
const NOTHING_OPEN = ['No conversation open: add a contact first (/add INVITE).'];

/** Something the backend saw happen. */
export type ChatEvent =
  | { readonly kind: 'changed' }
  /** Slow work of the node (connecting, fetching mail): the line to show, '' for none. */
  | { readonly kind: 'progress'; readonly line: string };

/** What the chat runs on. */
export interface ChatBackend {
  readonly api: SottoApi;
  /** Calls `listener` when contacts or messages may have changed; returns the unsubscribe function. */
  watch(listener: (event: ChatEvent) => void): () => void;
  /** This identity's one-line invite (and nothing when invites are unavailable). */
  invite?(): Promise<string>;
  /** The safety number with a contact; with `confirm`, also marks it verified. */
  verify?(name: string, confirm: boolean): Promise<{ readonly safetyNumber: string; readonly verified: boolean }>;
  /** Adds a contact from an invite; resolves to the contact's name. */
  addFromInvite?(invite: string, name: string | undefined): Promise<string>;
}

/** Everything the view draws. */
export interface ChatState {
  readonly self: { readonly name: string; readonly peerId: string };
  readonly contacts: readonly ContactLine[];
  /** The groups, by name (left ones too). */
  readonly groups: readonly GroupConversationLine[];
  /** Invitations to groups from people who are not contacts: shown with their sender's request. */
  readonly invitations: readonly GroupInvitationLine[];
  /** Message requests, oldest first: never contacts, never opened by themselves. */
  readonly requests: readonly RequestLine[];
  /** The name of the open conversation with a contact (undefined while a group or a request is open). */
  readonly selected: string | undefined;
  /** The name of the open group, if one is open. */
  readonly group: string | undefined;
  /** The peer id of the open message request, if one is open. */
  readonly request: string | undefined;
  /** The loaded messages of the open conversation (its newest page, and older pages scrolled back to), or the open request's, oldest first. */
  readonly messages: readonly ChatLine[];
  /** True when `messages` reaches back to the conversation's first message. */
  readonly complete: boolean;
  /** Where the conversation pane is scrolled to (undefined: it follows the newest line). */
  readonly scroll: ScrollPosition;
  /** The open conversation's draft: what the box holds. */
  readonly draft: Draft;
  /** Lines in the information area: help, an invite, a safety number, an error. */
  readonly notice: readonly string[];
  /** True when the notice is an error. */
  readonly noticeIsError: boolean;
  /** What the node is busy with (connecting, fetching mail), '' when nothing slow is going on. */
  readonly progress: string;
  /** True once the user asked to leave. */
  readonly quit: boolean;
}

/** The state before anything is loaded: nothing open, the box empty, a word about /help. */
export function initialChatState(self: ChatState['self']): ChatState {
  return {
    self,
    contacts: [],
    groups: [],
    invitations: [],
    requests: [],
    selected: undefined,
    group: undefined,
    request: undefined,
    messages: [],
    complete: false,
    scroll: undefined,
    draft: EMPTY_DRAFT,
    notice: ['Type /help for commands.'],
    noticeIsError: false,
    progress: '',
    quit: false,
  };
}

/** The size of the conversation pane's message area, which scrolling moves through. */
export interface PaneSize {
  readonly width: number;
  readonly height: number;
}

/** What is open: a request, a conversation, a group, or nothing (at most one of them is set). */
type Opened = Pick<ChatState, 'selected' | 'request' | 'group'>;

/** Nothing open. */
const NOTHING: Opened = { selected: undefined, group: undefined, request: undefined };

/** The key of a conversation's draft. */
function draftKey({ selected, request, group }: Opened): string {
  return request !== undefined ? `request ${request}` : group !== undefined ? `group ${group}` : selected !== undefined ? `contact ${selected}` : '';
}

/** A home whose API has no groups (no node runs the group service) has none to list. */
function noGroups(err: unknown): never[] {
  if (err instanceof Error && err.name === 'NodeNotRunningError') return [];
  throw err;
}

/** The chat controller: state, refresh, and the user's actions. */
export class ChatController {
  private state: ChatState;
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<void> | undefined;
  private again = false;
  private unwatch: (() => void) | undefined;
  /** Drafts of the conversations not open, by draftKey. */
  private readonly drafts = new Map<string, Draft>();
  /** Counts the times another conversation was opened: a load for an earlier one is not applied. */
  private opened = 0;
  /** Scroll steps run one after another (each may load an older page first). */
  private scrolling: Promise<void> = Promise.resolve();

  constructor(
    private readonly backend: ChatBackend,
    self: { name: string; peerId: string },
    /** Where typed paths are read (/send-file, /save): this process's by default. */
    private readonly places: ChatPlaces = processPlaces(),
  ) {
    this.state = initialChatState(self);
  }

  /** The current state (a new object after every change). */
  getState = (): ChatState => this.state;

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Starts following the backend and loads the first state. */
  async start(): Promise<void> {
    this.unwatch = this.backend.watch((event) => {
      if (event.kind === 'progress') return this.set({ progress: event.line });
      void this.refresh();
    });
    await this.refresh();
  }

  /** Stops following the backend. */
  stop(): void {
    this.unwatch?.();
  }

  private set(patch: Partial<ChatState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  /** Reloads contacts and the open conversation (coalescing overlapping calls). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.load().catch((err: unknown) => this.error(err));
      } while (this.again);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const opened = this.opened;
    // Requests are read once per refresh (the node keeps at most 100): they never choose what opens.
    const api = this.backend.api;
    const [contacts, requests, groups, invitations] = await Promise.all([api.listContacts(), api.listRequests(), api.groupConversations().catch(noGroups), api.groupInvitations().catch(noGroups)]);
    contacts.sort((a, b) => Number(b.added) - Number(a.added) || a.name.localeCompare(b.name));
    groups.sort((a, b) => Number(b.active) - Number(a.active) || a.name.localeCompare(b.name));
    if (opened !== this.opened) return this.set({ contacts, groups, invitations, requests });
    const next = this.stillOpen(contacts, groups, requests);
    if (next.selected !== this.state.selected || next.request !== this.state.request || next.group !== this.state.group) this.open(next);
    const current = this.opened;
    const { selected, request, group } = next;
    // Reading the open conversation's newest page marks it read (and sends read receipts); reading a request sends nothing.
    let window;
    if (request !== undefined) window = { messages: await api.requestHistory(request), complete: true };
    else if (group !== undefined) window = withNewestPage(this.state, groupChatLines(await api.groupHistory(group, { limit: CHAT_PAGE_MESSAGES }), this.state.self.peerId, contacts));
    else window = withNewestPage(this.state, selected === undefined ? [] : await api.history(selected, { limit: CHAT_PAGE_MESSAGES }));
    if (current !== this.opened) return this.set({ contacts, groups, invitations, requests });
    const seen = contacts.map((c) => (c.name === selected ? { ...c, unread: 0 } : c));
    const seenGroups = groups.map((g) => (g.name === group ? { ...g, unread: 0 } : g));
    this.set({ contacts: seen, groups: seenGroups, invitations, requests, ...window });
  }

  /** What stays open after a reload: the open entry while it is listed, else the first contact (or group). */
  private stillOpen(contacts: readonly ContactLine[], groups: readonly GroupConversationLine[], requests: readonly RequestLine[]): Opened {
    const { selected, request, group } = this.state;
    if (request !== undefined && requests.some((r) => r.peerId === request)) return { ...NOTHING, request };
    if (group !== undefined && groups.some((g) => g.name === group)) return { ...NOTHING, group };
    if (selected !== undefined && contacts.some((c) => c.name === selected)) return { ...NOTHING, selected };
    if (contacts[0] !== undefined) return { ...NOTHING, selected: contacts[0].name };
    return { ...NOTHING, group: groups[0]?.name };
  }

  /** Opens `next` (a conversation, a request or nothing): keeps the draft of the one left, brings back the one of `next`. */
  private open(next: Opened, patch: Partial<ChatState> = {}): void {
    const { draft } = this.state;
    const leaving = draftKey(this.state);
    if (draft.text !== '') this.drafts.set(leaving, draft);
    else this.drafts.delete(leaving);
    const key = draftKey(next);
    const restored = this.drafts.get(key) ?? EMPTY_DRAFT;
    this.drafts.delete(key);
    this.opened++;
    this.set({ ...next, messages: [], complete: false, scroll: undefined, draft: restored, ...patch });
  }

  /** Opens the next (+1) or previous (-1) entry of the list: the contacts, the groups, then the requests. */
  move(delta: number): void {
    const { contacts, groups, requests } = this.state;
    const entries: Opened[] = [...contacts.map((c) => ({ ...NOTHING, selected: c.name })), ...groups.map((g) => ({ ...NOTHING, group: g.name })), ...requests.map((r) => ({ ...NOTHING, request: r.peerId }))];
    if (entries.length === 0) return;
    const key = draftKey(this.state);
    const index = entries.findIndex((e) => draftKey(e) === key);
    const next = entries[(index + delta + entries.length) % entries.length]!;
    if (draftKey(next) === key) return;
    this.open(next);
    void this.refresh();
  }

  /** Types `text` at the cursor (refused, with the box kept, past the message limit). */
  type(text: string): void {
    this.editWith(() => insertText(this.state.draft, text));
  }

  /** A bracketed paste: one insertion, line breaks and all; refused whole, with the box kept, when it would pass the message limit. */
  paste(text: string, bytes: number, whole: boolean): void {
    this.editWith(() => (whole ? insertText(this.state.draft, text) : refusePaste(this.state.draft, bytes)));
  }

  /** One editing key on the box. */
  edit(edit: DraftEdit): void {
    this.editWith(() => editDraft(this.state.draft, edit));
  }

  private editWith(change: () => Draft): void {
    try {
      const draft = change();
      if (draft !== this.state.draft) this.set({ draft });
    } catch (err) {
      this.error(err);
    }
  }

  /**
   * Enter: empties the box at once (a second Enter finds nothing to send)
   * and acts on what it held; when that was refused (an error, nothing
   * done), the text comes back to the box if it is still empty.
   */
  async enter(): Promise<void> {
    const { draft } = this.state;
    if (draft.text.trim() === '') return;
    const key = draftKey(this.state);
    this.set({ draft: EMPTY_DRAFT, scroll: undefined });
    const taken = await this.submit(draft.text);
    if (!taken && draftKey(this.state) === key && this.state.draft.text === '') this.set({ draft });
  }

  /** Asks to leave (the view exits on it). */
  quit(): void {
    this.set({ quit: true });
  }

  /**
   * Scrolls the conversation `rows` rows back (positive) or forward
   * (negative) in a pane of `pane`'s size, loading older pages first when
   * fewer rows than that and a screen more are loaded above.
   */
  scroll(rows: number, pane: PaneSize): Promise<void> {
    this.scrolling = this.scrolling.then(async () => {
      const opened = this.opened;
      for (let i = 0; rows > 0 && i < MAX_PAGES_PER_SCROLL && !this.state.complete; i++) {
        if (paneView(this.state.messages, pane.width, pane.height, this.state.scroll).rowsAbove >= rows + pane.height) break;
        await this.loadOlder().catch((err: unknown) => this.error(err));
        if (opened !== this.opened) return;
      }
      this.set({ scroll: scrollPane(this.state.messages, pane.width, pane.height, this.state.scroll, rows) });
    });
    return this.scrolling;
  }

  /** Loads the page before the oldest loaded message of the open conversation. */
  private async loadOlder(): Promise<void> {
    const { selected, request, group, messages, complete } = this.state;
    const oldest = messages[0];
    if (complete || request !== undefined || (selected === undefined && group === undefined) || oldest === undefined) return;
    const opened = this.opened;
    const older = { before: oldest.seq, limit: CHAT_PAGE_MESSAGES };
    const page = group !== undefined ? groupChatLines(await this.backend.api.groupHistory(group, older), this.state.self.peerId, this.state.contacts) : await this.backend.api.history(selected!, older);
    if (opened === this.opened) this.set(withOlderPage(this.state, page));
  }

  /** Acts on what the box held (a message or a command); resolves to false when it was refused (an error shown, nothing done). */
  async submit(line: string): Promise<boolean> {
    await this.run(line);
    return !this.state.noticeIsError;
  }

  private async run(line: string): Promise<void> {
    const command = parseChatInput(line);
    try {
      switch (command.kind) {
        case 'none':
          return;
        case 'error':
          return this.set({ notice: [command.message], noticeIsError: true });
        case 'help':
          return this.set({ notice: CHAT_HELP, noticeIsError: false });
        case 'quit':
          return this.quit();
        case 'send':
          return await this.send(command.text);
        case 'add':
          return await this.add(command.target, command.name);
        case 'invite':
          return await this.showInvite();
        case 'verify':
          return await this.verify(command.confirm);
        case 'requests':
          return await this.openRequests();
        case 'accept':
          return await this.accept(command.name);
        case 'block':
          return await this.block();
        case 'join':
          return await this.join();
        case 'delete':
          return await this.delete(command.confirm);
        case 'group-create':
          return await this.createGroup(command.name, command.members);
        case 'group-add':
          return await this.addMembers(command.members);
        case 'group-remove':
          return await this.removeMember(command.member);
        case 'group-leave':
          return await this.leaveGroup();
        case 'members':
          return this.showMembers();
        case 'send-file':
          return await this.sendFile(command.path);
        case 'save':
          return this.tell(await saveFileCommand(this.backend.api, this.state.messages, command.nth, command.dest, this.places));
      }
    } catch (err) {
      this.error(err);
    }
  }

  private async send(text: string): Promise<void> {
    const open = this.openRequest();
    if (open) return this.set({ notice: IN_A_REQUEST, noticeIsError: true });
    if (this.state.group !== undefined) {
      await this.backend.api.groupSend(this.state.group, text, 0);
      this.set({ notice: [], noticeIsError: false });
      return this.refresh();
    }
    const name = this.state.selected;
    if (name === undefined) return this.set({ notice: NOTHING_OPEN, noticeIsError: true });
    const result = await this.backend.api.send(name, text, 0);
    this.set({ notice: result.status === 'failed' ? [`not sent: ${result.reason ?? 'failed'}`] : [], noticeIsError: result.status === 'failed' });
    await this.refresh();
  }

  /** `/send-file PATH` to the open contact or group (never to a request); the conversation reloads to show the file's line. */
  private async sendFile(path: string): Promise<void> {
    if (this.openRequest()) return this.set({ notice: IN_A_REQUEST, noticeIsError: true });
    const { group, selected } = this.state;
    if (group === undefined && selected === undefined) return this.set({ notice: NOTHING_OPEN, noticeIsError: true });
    const working = (line: string): void => this.set({ notice: [line], noticeIsError: false });
    this.tell(await sendFileCommand(this.backend.api, group !== undefined ? { group } : { contact: selected! }, path, this.places, working));
    await this.refresh();
  }

  private tell(notice: FileNotice): void {
    this.set({ notice: notice.notice, noticeIsError: notice.isError });
  }

  private async add(target: string, name: string | undefined): Promise<void> {
    let added: string;
    if (name !== undefined && /^12D3KooW/.test(target)) added = (await this.backend.api.addContact(name, target, false)).name;
    else if (this.backend.addFromInvite) added = await this.backend.addFromInvite(target, name);
    else return this.set({ notice: ['Give a name and a peer id: /add NAME PEERID'], noticeIsError: true });
    await this.openContact(added, `Added ${displayName(added)}.`);
  }

  /** Opens the conversation with the contact `name` (just added or accepted), saying `done`, and warns when the name looks like another contact's. */
  private async openContact(name: string, done: string): Promise<void> {
    this.open({ ...NOTHING, selected: name }, { notice: [done], noticeIsError: false });
    await this.refresh();
    const other = this.state.contacts.find((c) => c.name === name)?.confusableWith;
    if (other !== undefined) this.set({ notice: [done, `Warning: ${lookalikeWarning(name, other)}.`], noticeIsError: true });
  }

  /** The open message request, if one is open. */
  private openRequest(): RequestLine | undefined {
    const { request, requests } = this.state;
    return request === undefined ? undefined : requests.find((r) => r.peerId === request);
  }

  /** The open request, or undefined after saying that none is open. */
  private needRequest(): RequestLine | undefined {
    const open = this.openRequest();
    if (!open) this.set({ notice: ['No message request open: pick one with Up/Down or /requests.'], noticeIsError: true });
    return open;
  }

  private async openRequests(): Promise<void> {
    await this.refresh();
    const [first] = this.state.requests;
    if (!first) return this.set({ notice: ['No message requests.'], noticeIsError: false });
    const count = this.state.requests.length;
    this.open({ ...NOTHING, request: first.peerId }, { notice: [`${count} message request${count === 1 ? '' : 's'}: Up/Down to move, /accept [NAME], /block or /delete.`], noticeIsError: false });
    await this.refresh();
  }

  private async accept(name: string | undefined): Promise<void> {
    const open = this.needRequest();
    if (!open) return;
    // Accepting joins the groups it invited to (a contact's invitations are joined by themselves).
    const invited = this.invitationsOf(open.peerId).map((i) => `${GROUP_MARK}${displayName(i.name)}`);
    const contact = await this.backend.api.acceptRequest(open.peerId, name ?? null);
    const joined = invited.length > 0 ? `, and you joined ${invited.join(', ')}` : '';
    await this.openContact(contact.name, `Accepted: ${displayName(contact.name)} is a contact now${joined}; compare safety numbers with /verify.`);
  }

  private async block(): Promise<void> {
    const open = this.needRequest();
    if (!open) return;
    await this.declineInvitations(open.peerId);
    await this.backend.api.blockPeer(open.peerId);
    this.open(NOTHING, { notice: [`Blocked ${requestWho(open)}: the request is deleted and whatever it sends is refused.`], noticeIsError: false });
    await this.refresh();
  }

  private async delete(confirm: boolean): Promise<void> {
    const open = this.openRequest();
    if (open) {
      await this.declineInvitations(open.peerId);
      await this.backend.api.deleteRequest(open.peerId);
      this.open(NOTHING, { notice: [`Deleted the request from ${requestWho(open)} (it may write again).`], noticeIsError: false });
      return this.refresh();
    }
    if (this.state.group !== undefined) return this.set({ notice: ["A group's messages are not deleted here."], noticeIsError: true });
    const name = this.state.selected;
    if (name === undefined) return this.set({ notice: ['Nothing open to delete.'], noticeIsError: true });
    const shown = displayName(name);
    if (!confirm) return this.set({ notice: [`Delete your whole conversation with ${shown} on this device?`, `${shown} stays a contact and keeps their copy. Type /delete yes to delete it.`], noticeIsError: false });
    const { deleted } = await this.backend.api.deleteMessages(name, null);
    this.set({ notice: [`Deleted ${deleted} message${deleted === 1 ? '' : 's'} with ${shown} on this device.`], noticeIsError: false });
    await this.refresh();
  }

  private async showInvite(): Promise<void> {
    if (!this.backend.invite) return this.set({ notice: [`Your peer id: ${this.state.self.peerId}`], noticeIsError: false });
    const invite = await this.backend.invite();
    const lines = [];
    for (let at = 0; at < invite.length; at += INVITE_NOTICE_WIDTH) lines.push(invite.slice(at, at + INVITE_NOTICE_WIDTH));
    this.set({ notice: ['Your invite: they type /add and paste it ("sotto invite" shows a QR code too):', ...lines], noticeIsError: false });
  }

  private async verify(confirm: boolean): Promise<void> {
    const name = this.state.selected;
    if (this.state.group !== undefined) return this.set({ notice: ['Safety numbers are per contact: open the conversation with a member to verify them.'], noticeIsError: true });
    if (name === undefined) return this.set({ notice: ['No conversation open.'], noticeIsError: true });
    if (!this.backend.verify) return this.set({ notice: ['Verification is not available here: run "sotto verify NAME".'], noticeIsError: true });
    const result = await this.backend.verify(name, confirm);
    const shown = displayName(name);
    const lines = [`Safety number with ${shown}:`, result.safetyNumber];
    lines.push(result.verified ? `${shown} is verified.` : `Compare it with ${shown}'s screen; if it matches, type /verify yes.`);
    this.set({ notice: lines, noticeIsError: false });
    await this.refresh();
  }

  // Groups.

  /** The waiting invitations from `peerId`. */
  private invitationsOf(peerId: string): GroupInvitationLine[] {
    return this.state.invitations.filter((i) => i.peerId === peerId);
  }

  private async declineInvitations(peerId: string): Promise<void> {
    for (const invitation of this.invitationsOf(peerId)) await this.backend.api.groupDeclineInvitation(invitation.id);
  }

  /** Joins the groups the open request invites to (the sender stays a stranger) and opens the first. */
  private async join(): Promise<void> {
    const open = this.needRequest();
    if (!open) return;
    const invitations = this.invitationsOf(open.peerId);
    if (invitations.length === 0) return this.set({ notice: ['This request invites you to no group.'], noticeIsError: true });
    let joined: string | undefined;
    for (const invitation of invitations) joined ??= (await this.backend.api.groupAcceptInvitation(invitation.id)).name;
    this.open({ ...NOTHING, group: joined }, { notice: [`Joined ${GROUP_MARK}${displayName(joined!)}.`], noticeIsError: false });
    await this.refresh();
  }

  private async createGroup(name: string, members: readonly string[]): Promise<void> {
    const created = await this.backend.api.groupCreate(name, [...members]);
    const who = members.length === 0 ? 'only you for now (/group add MEMBER)' : members.map(displayName).join(', ');
    this.open({ ...NOTHING, group: created.name }, { notice: [`Created the group ${GROUP_MARK}${displayName(created.name)}: ${who}.`], noticeIsError: false });
    await this.refresh();
  }

  /** The open group's name, or undefined after saying that none is open. */
  private needGroup(): string | undefined {
    const { group } = this.state;
    if (group === undefined) this.set({ notice: ['No group open: pick one with Up/Down, or /group create NAME MEMBER...'], noticeIsError: true });
    return group;
  }

  private async addMembers(members: readonly string[]): Promise<void> {
    const group = this.needGroup();
    if (group === undefined) return;
    await this.backend.api.groupAdd(group, [...members]);
    this.set({ notice: [`Added ${members.map(displayName).join(', ')} to ${GROUP_MARK}${displayName(group)}.`], noticeIsError: false });
    await this.refresh();
  }

  private async removeMember(member: string): Promise<void> {
    const group = this.needGroup();
    if (group === undefined) return;
    await this.backend.api.groupRemove(group, member);
    this.set({ notice: [`Removed ${displayName(member)} from ${GROUP_MARK}${displayName(group)}: nothing sent from now on reaches them.`], noticeIsError: false });
    await this.refresh();
  }

  private async leaveGroup(): Promise<void> {
    const group = this.needGroup();
    if (group === undefined) return;
    await this.backend.api.groupLeave(group);
    this.set({ notice: [`You left ${GROUP_MARK}${displayName(group)}; its history stays here.`], noticeIsError: false });
    await this.refresh();
  }

  private showMembers(): void {
    const open = this.state.groups.find((g) => g.name === this.state.group);
    if (!open) return void this.needGroup();
    this.set({ notice: memberLines(open, this.state.self.peerId, this.state.contacts), noticeIsError: false });
  }

  /** Shows an error in the information area (the view wraps it), with the chat's hint for its kind. */
  private error(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof Error ? CHAT_HINTS[err.name] : undefined;
    this.set({ notice: [message, ...(hint === undefined ? [] : [hint])], noticeIsError: true });
  }
}
