/**
 * The chat's state and actions, apart from how they are drawn: the contact
 * list (online, unread, verified, key changes), the open conversation, and
 * what typing a line does. It reads everything through a SottoApi, so the
 * same chat runs on a node in this process or attached to a node running in
 * the background; the backend says when something may have changed.
 */
import type { ContactLine, HistoryLine, SottoApi } from '../api.ts';
import { CHAT_HELP, parseChatInput } from './commands.ts';
import { displayName, lookalikeWarning } from '../display-name.ts';

/** Characters of an invite per line of the information area: it fits 80 columns whole, where one line would be cut. */
export const INVITE_NOTICE_WIDTH = 76;

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
  /** The name of the open conversation. */
  readonly selected: string | undefined;
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
    this.state = { self, contacts: [], selected: undefined, messages: [], notice: ['Type /help for commands.'], noticeIsError: false, progress: '', quit: false };
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
    const contacts = await this.backend.api.listContacts();
    contacts.sort((a, b) => Number(b.added) - Number(a.added) || a.name.localeCompare(b.name));
    let selected = this.state.selected;
    if (selected === undefined || !contacts.some((c) => c.name === selected)) selected = contacts[0]?.name;
    // Reading the open conversation marks it read (and sends read receipts).
    const messages = selected === undefined ? [] : await this.backend.api.history(selected);
    const open = contacts.map((c) => (c.name === selected ? { ...c, unread: 0 } : c));
    this.set({ contacts: open, selected, messages });
  }

  /** Opens the next (+1) or previous (-1) conversation. */
  move(delta: number): void {
    const { contacts, selected } = this.state;
    if (contacts.length === 0) return;
    const index = contacts.findIndex((c) => c.name === selected);
    const next = contacts[(index + delta + contacts.length) % contacts.length]!;
    if (next.name === selected) return;
    this.set({ selected: next.name, messages: [] });
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
      }
    } catch (err) {
      this.error(err);
    }
  }

  private async send(text: string): Promise<void> {
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
    this.set({ selected: added, notice: [`Added ${displayName(added)}.`], noticeIsError: false });
    await this.refresh();
    const other = this.state.contacts.find((c) => c.name === added)?.confusableWith;
    if (other !== undefined) this.set({ notice: [`Added ${displayName(added)}.`, `Warning: ${lookalikeWarning(added, other)}.`], noticeIsError: true });
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

  private error(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.set({ notice: [message], noticeIsError: true });
  }
}
