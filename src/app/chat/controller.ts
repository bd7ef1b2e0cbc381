/**
 * The chat's state and actions, apart from how they are drawn: the contact
 * list (online, unread, verified, key changes), the message requests (people
 * who are not contacts: opened only when the user picks one, never at
 * start), the open conversation or request, and what typing a line does. It reads everything through a SottoApi, so the
 * same chat runs on a node in this process or attached to a node running in
 * the background; the backend says when something may have changed.
 */
import type { ContactLine, HistoryLine, RequestLine, SottoApi } from '../api.ts';
import { CHAT_HELP, parseChatInput } from './commands.ts';
import { requestWho, wrap } from './format.ts';
import { terminalLine } from '../terminal-text.ts';
import { displayName, lookalikeWarning } from '../display-name.ts';

/** Characters of an invite per line of the information area: it fits 80 columns whole, where one line would be cut. */
export const INVITE_NOTICE_WIDTH = 76;
/** Characters of an error per line of the information area (80 columns, less the margin ink keeps). */
const NOTICE_WIDTH = 78;

/** What to do about an error the chat's own commands can cause, by the error's name. */
const CHAT_HINTS: Readonly<Record<string, string>> = {
  RequestNameRequiredError: 'Give them a name of your own: /accept NAME',
};

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
  /** Message requests, oldest first: never contacts, never opened by themselves. */
  readonly requests: readonly RequestLine[];
  /** The name of the open conversation (undefined while a request is open). */
  readonly selected: string | undefined;
  /** The peer id of the open message request, if one is open. */
  readonly request: string | undefined;
  /** The open conversation's messages, or the open request's. */
  readonly messages: readonly HistoryLine[];
  /** Lines in the information area: help, an invite, a safety number, an error. */
  readonly notice: readonly string[];
  /** True when the notice is an error. */
  readonly noticeIsError: boolean;
  /** What the node is busy with (connecting, fetching mail), '' when nothing slow is going on. */
  readonly progress: string;
  /** True once the user asked to leave. */
  readonly quit: boolean;
}

/** The chat controller: state, refresh, and the user's actions. */
export class ChatController {
  private state: ChatState;
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<void> | undefined;
  private again = false;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly backend: ChatBackend,
    self: { name: string; peerId: string },
  ) {
    this.state = { self, contacts: [], requests: [], selected: undefined, request: undefined, messages: [], notice: ['Type /help for commands.'], noticeIsError: false, progress: '', quit: false };
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
    // Requests are read once per refresh (the node keeps at most 100): they never choose what opens.
    const [contacts, requests] = await Promise.all([this.backend.api.listContacts(), this.backend.api.listRequests()]);
    contacts.sort((a, b) => Number(b.added) - Number(a.added) || a.name.localeCompare(b.name));
    let request = this.state.request;
    if (request !== undefined && !requests.some((r) => r.peerId === request)) request = undefined;
    let selected = this.state.selected;
    if (request !== undefined) selected = undefined;
    else if (selected === undefined || !contacts.some((c) => c.name === selected)) selected = contacts[0]?.name;
    // Reading the open conversation marks it read (and sends read receipts); reading a request sends nothing.
    const messages = request !== undefined ? await this.backend.api.requestHistory(request) : selected === undefined ? [] : await this.backend.api.history(selected);
    const open = contacts.map((c) => (c.name === selected ? { ...c, unread: 0 } : c));
    this.set({ contacts: open, requests, selected, request, messages });
  }

  /** Opens the next (+1) or previous (-1) entry of the list: the contacts, then the requests. */
  move(delta: number): void {
    const { contacts, requests, selected, request } = this.state;
    const entries = [...contacts.map((c) => ({ selected: c.name, request: undefined })), ...requests.map((r) => ({ selected: undefined, request: r.peerId }))];
    if (entries.length === 0) return;
    const index = entries.findIndex((e) => (request !== undefined ? e.request === request : e.selected === selected));
    const next = entries[(index + delta + entries.length) % entries.length]!;
    if (next.selected === selected && next.request === request) return;
    this.set({ ...next, messages: [] });
    void this.refresh();
  }

  /** Acts on one typed line. */
  async submit(line: string): Promise<void> {
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
          return this.set({ quit: true });
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
        case 'delete':
          return await this.delete(command.confirm);
      }
    } catch (err) {
      this.error(err);
    }
  }

  private async send(text: string): Promise<void> {
    const open = this.openRequest();
    if (open) return this.set({ notice: ['This is a message request, not a conversation: nothing is sent.', 'Accept the request first: /accept NAME (or /block, /delete).'], noticeIsError: true });
    const name = this.state.selected;
    if (name === undefined) return this.set({ notice: ['No conversation open: add a contact first (/add INVITE).'], noticeIsError: true });
    const result = await this.backend.api.send(name, text, 0);
    this.set({ notice: result.status === 'failed' ? [`not sent: ${result.reason ?? 'failed'}`] : [], noticeIsError: result.status === 'failed' });
    await this.refresh();
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
    this.set({ selected: name, request: undefined, messages: [], notice: [done], noticeIsError: false });
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
    this.set({ selected: undefined, request: first.peerId, messages: [], notice: [`${count} message request${count === 1 ? '' : 's'}: Up/Down to move, /accept [NAME], /block or /delete.`], noticeIsError: false });
    await this.refresh();
  }

  private async accept(name: string | undefined): Promise<void> {
    const open = this.needRequest();
    if (!open) return;
    const contact = await this.backend.api.acceptRequest(open.peerId, name ?? null);
    await this.openContact(contact.name, `Accepted: ${displayName(contact.name)} is a contact now; compare safety numbers with /verify.`);
  }

  private async block(): Promise<void> {
    const open = this.needRequest();
    if (!open) return;
    await this.backend.api.blockPeer(open.peerId);
    this.set({ request: undefined, messages: [], notice: [`Blocked ${requestWho(open)}: the request is deleted and whatever it sends is refused.`], noticeIsError: false });
    await this.refresh();
  }

  private async delete(confirm: boolean): Promise<void> {
    const open = this.openRequest();
    if (open) {
      await this.backend.api.deleteRequest(open.peerId);
      this.set({ request: undefined, messages: [], notice: [`Deleted the request from ${requestWho(open)} (it may write again).`], noticeIsError: false });
      return this.refresh();
    }
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
    this.set({ notice: ['Your invite (they type /add and it, as one line; "sotto invite" prints it on one line, with a QR code):', ...lines], noticeIsError: false });
  }

  private async verify(confirm: boolean): Promise<void> {
    const name = this.state.selected;
    if (name === undefined) return this.set({ notice: ['No conversation open.'], noticeIsError: true });
    if (!this.backend.verify) return this.set({ notice: ['Verification is not available here: run "sotto verify NAME".'], noticeIsError: true });
    const result = await this.backend.verify(name, confirm);
    const shown = displayName(name);
    const lines = [`Safety number with ${shown}:`, result.safetyNumber];
    lines.push(result.verified ? `${shown} is verified.` : `Compare it with ${shown}'s screen; if it matches, type /verify yes.`);
    this.set({ notice: lines, noticeIsError: false });
    await this.refresh();
  }

  /** Shows an error in the information area, wrapped to fit it (an error may quote a long peer id), with the chat's hint for its kind. */
  private error(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof Error ? CHAT_HINTS[err.name] : undefined;
    this.set({ notice: [...wrap(terminalLine(message), NOTICE_WIDTH), ...(hint === undefined ? [] : [hint])], noticeIsError: true });
  }
}
