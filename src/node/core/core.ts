/**
 * The shared state of one messenger: its identity, prekeys, the session
 * records it holds in memory, the store, the network, per-contact locks and
 * the event listeners. The messenger's parts (./inbox.ts, ./courier.ts,
 * ./prekey-service.ts, ./messenger.ts) all work on one Core.
 *
 * Session records live in memory once loaded, and every change to one is
 * written to the store in the same transaction as the message that caused
 * it. All work on one contact's session runs under that contact's lock.
 */
import { toHex } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { MESSAGE_ID_BYTES } from '../constants.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import type { PrekeyState } from '../../crypto/prekeys.ts';
import type { SessionRecord } from '../../crypto/session.ts';
import { KeyedMutex } from './mutex.ts';
import { UnreadCounts, type UnreadToken } from './unread.ts';
import type { Network } from '../transport/network.ts';
import type { ContactRecord, MessageRecord, MessageStatus, OutboxEntry, RequestRecord } from '../store/records.ts';
import type { SottoStore, Tx } from '../store/store.ts';
import type { GroupInvitationRecord, GroupMessageRecord } from '../store/group-records.ts';

/** Timers, injected so that tests control time. */
export interface Scheduler {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What the messenger tells the application. */
export interface MessengerEvents {
  /** A new incoming message, once, after it is stored. */
  message: MessageRecord;
  /** An outgoing message changed state (delivered, read, failed). */
  status: { readonly peerId: string; readonly id: string; readonly status: MessageStatus; readonly reason?: string };
  /**
   * Someone who is not a contact wrote: a new or updated message request
   * (`message` when it carried a text). Never a 'message' event.
   */
  request: { readonly request: RequestRecord; readonly message?: MessageRecord };
  /**
   * An envelope was dropped because the identity inside it does not belong to
   * the peer it came from (or, for mail, the sender it claims): a forgery, never
   * an identity change. Counted in {@link Core.forged}.
   */
  forged: { readonly peerId: string; readonly via: 'direct' | 'mailbox' };
  /**
   * An envelope of another protocol version was dropped (PROTOCOL §9): below
   * ours the sender must upgrade Sotto, above ours this node must. Kept in
   * {@link Core.otherVersions}.
   */
  'other-version': { readonly peerId: string; readonly version: number };
  /** A delivery attempt failed; the messages stay queued. */
  undelivered: { readonly peerId: string; readonly ids: readonly string[]; readonly reason: string };
  /**
   * Progress of a mail fetch that found mail (see MailProgress): emitted when
   * a batch arrives and as each item is handled, then once with `finished`.
   */
  'mail-progress': MailProgress;
  /** A new group message from another member, once, after it is stored. */
  'group-message': GroupMessageRecord;
  /** An outgoing group message changed state (delivered to more members, stored in mailboxes). */
  'group-status': { readonly groupId: string; readonly id: string; readonly status: string; readonly delivered: number; readonly stored: number; readonly members: number };
  /** An invitation to a group arrived and is stored (from a stranger it waits for the user: `stranger`). */
  'group-invitation': { readonly invitation: GroupInvitationRecord; readonly stranger: boolean };
  /** A group's membership or this member's place in it changed (created, joined, an operation made or processed, left): lists and member lists are read again. */
  'group-changed': { readonly groupId: string };
  /** A mail fetch ended; `mailboxes` are the peers that served it as mailboxes (peer memory keeps them). */
  'mail-fetched': { readonly mailboxes: readonly string[] };
}

/**
 * How far a mail fetch got. Mailboxes do not say how much they hold, so
 * `total` counts the distinct items received so far (copies of one item from
 * several mailboxes count once) and `more` says a mailbox has more to send.
 */
export interface MailProgress {
  /** Distinct items handled (stored, or dropped as not ours or a copy). */
  readonly fetched: number;
  /** Distinct items received so far. */
  readonly total: number;
  /** The mailbox being drained announced more items than received so far. */
  readonly more: boolean;
  /** The fetch is over (true once, on the last event). */
  readonly finished: boolean;
}

type Listener<K extends keyof MessengerEvents> = (event: MessengerEvents[K]) => void;

/** The prekeys lock key (not a peer id: peer ids never contain a space). */
export const PREKEYS_LOCK = 'local prekeys';

/** State shared by the parts of one messenger. */
export class Core {
  readonly locks = new KeyedMutex();
  private readonly sessions = new Map<string, SessionRecord | undefined>();
  private readonly outbox = new Map<string, Map<number, OutboxEntry>>();
  /** Contacts by peer id and by name, as stored (filled on first use). */
  private readonly contactsByPeer = new Map<string, ContactRecord | null>();
  private readonly contactsByName = new Map<string, ContactRecord | null>();
  /** Outgoing messages still queued, so acks settle them without a read. */
  private readonly queuedMessages = new Map<string, MessageRecord>();
  /**
   * Per contact, the first 52 bits of every stored message id: lets the inbox
   * deduplicate by id without reading the store for each message (a hit is
   * confirmed by a read). Loaded from the id index on first use.
   */
  private readonly knownIds = new Map<string, Set<number>>();
  private readonly listeners = new Map<keyof MessengerEvents, Set<Listener<never>>>();
  /** Message requests by peer id, all of them (loaded at open; bounded by REQUESTS_MAX_SENDERS). */
  readonly requests = new Map<string, RequestRecord>();
  /** Blocked peers (loaded at open). */
  readonly blocked = new Set<string>();
  /**
   * Requests taken out of {@link requests} to make room, whose records are
   * still being deleted: their envelopes are refused until they are gone.
   */
  readonly evicting = new Set<string>();
  /** Envelopes dropped as forgeries since the messenger opened, by how they came. */
  readonly forged = { direct: 0, mailbox: 0 };
  /** Peers whose last dropped envelope had another protocol version (PROTOCOL §9), with that version; since the messenger opened. */
  readonly otherVersions = new Map<string, number>();
  /** Received messages not read yet, per conversation (./unread.ts). */
  readonly unread = new UnreadCounts();
  /**
   * Called once a deleted message that carried a file (docs/FILES.md) is
   * gone from the store, with the file's id (hex) and the message's id: the
   * file service plugs in here to delete the file's chunks. No-op by default.
   */
  fileMessageDeleted: (fileIdHex: string, messageId: string) => void = () => {};

  constructor(
    readonly ctx: CryptoContext,
    readonly store: SottoStore,
    readonly scheduler: Scheduler,
    readonly identity: IdentityKeyPair,
    readonly peerId: string,
    public prekeys: PrekeyState,
    private nextSeq: number,
    public network: Network | undefined,
  ) {}

  /** Takes the next local sequence number and records the advance in `tx`. */
  allocateSeq(tx: Tx): number {
    const seq = this.nextSeq++;
    tx.putSeq(this.nextSeq);
    return seq;
  }

  /** The session record with `peerId` (from memory, else the store). Call under the peer's lock. */
  async session(peerId: string): Promise<SessionRecord | undefined> {
    if (!this.sessions.has(peerId)) this.sessions.set(peerId, await this.store.getSession(peerId));
    return this.sessions.get(peerId);
  }

  /** Replaces the in-memory record; the caller writes it in the same Tx as its cause. */
  setSession(peerId: string, record: SessionRecord | undefined): void {
    this.sessions.set(peerId, record);
  }

  /** Loads message requests and blocks into memory (once, when the messenger opens). */
  async loadRequests(): Promise<void> {
    for (const request of await this.store.listRequests()) this.requests.set(request.peerId, request);
    for (const block of await this.store.listBlocks()) this.blocked.add(block.peerId);
  }

  /** Forgets everything cached about a conversation whose records were deleted (its Tx is committed). */
  conversationDeleted(peerId: string): void {
    this.sessions.delete(peerId);
    this.knownIds.delete(peerId);
    this.unread.forget(peerId);
    for (const [id, message] of this.queuedMessages) if (message.peerId === peerId) this.queuedMessages.delete(id);
  }

  /** Loads the outbox into memory (once, when the messenger opens). */
  async loadOutbox(): Promise<void> {
    for (const entry of await this.store.listOutbox()) this.setOutboxEntry(entry);
  }

  /** A contact's outbox entries, oldest first. */
  outboxOf(peerId: string): OutboxEntry[] {
    return [...(this.outbox.get(peerId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  /** Peers with entries in the outbox. */
  outboxPeers(): string[] {
    return [...this.outbox.keys()];
  }

  /** Records an entry in memory (after its Tx is committed). */
  setOutboxEntry(entry: OutboxEntry): void {
    let map = this.outbox.get(entry.peerId);
    if (!map) this.outbox.set(entry.peerId, (map = new Map()));
    map.set(entry.seq, entry);
  }

  /** Forgets an entry in memory (after its deletion is committed). */
  removeOutboxEntry(entry: OutboxEntry): void {
    const map = this.outbox.get(entry.peerId);
    map?.delete(entry.seq);
    if (map?.size === 0) this.outbox.delete(entry.peerId);
  }

  /** A contact by peer id (cached). */
  async contactByPeer(peerId: string): Promise<ContactRecord | undefined> {
    if (!this.contactsByPeer.has(peerId)) this.contactsByPeer.set(peerId, (await this.store.getContactByPeer(peerId)) ?? null);
    return this.contactsByPeer.get(peerId) ?? undefined;
  }

  /** A contact by name (cached). */
  async contactByName(name: string): Promise<ContactRecord | undefined> {
    if (!this.contactsByName.has(name)) this.contactsByName.set(name, (await this.store.getContact(name)) ?? null);
    return this.contactsByName.get(name) ?? undefined;
  }

  /** Records contact changes in the cache (after their Tx is committed). */
  contactsChanged(removed: readonly ContactRecord[], added: readonly ContactRecord[]): void {
    for (const c of removed) {
      this.contactsByPeer.set(c.peerId, null);
      this.contactsByName.set(c.name, null);
    }
    for (const c of added) {
      this.contactsByPeer.set(c.peerId, c);
      this.contactsByName.set(c.name, c);
    }
  }

  /** Remembers an outgoing message while it is queued. */
  trackQueued(message: MessageRecord): void {
    this.queuedMessages.set(message.id, message);
  }

  /** Replaces the remembered copy of a queued message that changed state (a receipt overtook its ack). */
  updateQueued(message: MessageRecord): void {
    if (this.queuedMessages.has(message.id)) this.queuedMessages.set(message.id, message);
  }

  /** A queued outgoing message (from memory, else the store); forgets it when `release`. */
  async queuedMessage(peerId: string, id: string, release: boolean): Promise<MessageRecord | undefined> {
    const message = this.queuedMessages.get(id) ?? (await this.store.getMessage(peerId, id));
    if (release) this.queuedMessages.delete(id);
    return message;
  }

  private static idPrefix(id: string): number {
    return parseInt(id.slice(0, 13), 16);
  }

  /** True when a message with this id from this contact is stored (or being stored). */
  async hasMessage(peerId: string, id: string): Promise<boolean> {
    if (this.pendingIds.has(`${peerId} ${id}`)) return true;
    let known = this.knownIds.get(peerId);
    if (!known) {
      const loaded = new Set((await this.store.listMessageIds(peerId)).map(Core.idPrefix));
      known = this.knownIds.get(peerId) ?? loaded;
      this.knownIds.set(peerId, known);
    }
    if (!known.has(Core.idPrefix(id))) return false;
    return (await this.store.getMessage(peerId, id)) !== undefined;
  }

  /** Notes a received message as stored; call under the peer's lock when its Tx is queued (before it is durable). */
  noteMessage(peerId: string, id: string): void {
    this.knownIds.get(peerId)?.add(Core.idPrefix(id));
    this.pendingIds.set(`${peerId} ${id}`, this.unread.token(peerId));
  }

  /** The received message's Tx is durable: the store answers for it from now on, and it counts as unread. */
  messageDurable(peerId: string, id: string): void {
    const key = `${peerId} ${id}`;
    if (!this.pendingIds.has(key)) return;
    this.unread.landed(peerId, this.pendingIds.get(key), 1);
    this.pendingIds.delete(key);
  }

  /** Received messages whose Tx is queued, with the unread token each took. */
  private readonly pendingIds = new Map<string, UnreadToken>();

  /** A fresh random message id (128 bits, hex). */
  newMessageId(): string {
    return toHex(this.ctx.randomBytes(MESSAGE_ID_BYTES));
  }

  on<K extends keyof MessengerEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof MessengerEvents>(event: K, value: MessengerEvents[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<K>)(value);
      } catch {
        // A listener's failure is the listener's business.
      }
    }
  }
}
