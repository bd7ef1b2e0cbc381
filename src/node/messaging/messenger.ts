/**
 * The messenger service: contacts, sending, history and receipts, on top of
 * the crypto core, the store and (when a node runs) the network.
 *
 * - A session starts with the first message, from the contact's live bundle.
 * - send() encrypts at once when a session exists and writes the new session
 *   state, the message and its outbox entry in one transaction; the courier
 *   then delivers it and keeps retrying until the recipient acks.
 * - Incoming messages are stored once (dedup by message id) and reach the
 *   application once, through the 'message' event.
 * - Receipts: the recipient's ack marks a message delivered; reading a
 *   conversation (markRead) sends a read receipt, itself an encrypted message.
 * - A known contact presenting another identity key is refused with
 *   ContactIdentityChangedError until the user accepts the new key.
 *
 * Without a network (a `sotto` command while no node runs on the home) the
 * same calls work on the store: messages wait in the outbox for `sotto start`.
 */
import { generateIdentity, type IdentityKeyPair } from '../../crypto/identity.ts';
import { createPrekeyState } from '../../crypto/prekeys.ts';
import { encryptMessage } from '../../crypto/session.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { toBase64 } from '../encoding/base64.ts';
import {
  ADDRESS_ANNOUNCE_INTERVAL_MS,
  ADDRESS_ANNOUNCE_SETTLE_MS,
  BUNDLE_REPUBLISH_INTERVAL_MS,
  MAILBOX_PASS_CHECK_INTERVAL_MS,
  MAILBOX_PASS_RENEW_BEFORE_MS,
  MAILBOX_PASS_TTL_MS,
  MAILBOX_POLL_INTERVAL_MS,
  MAILBOX_RETRY_MS,
  MAILBOX_PROTOCOL,
  MAILBOX_REPLICAS,
  MAX_MAILBOX_FRAME_BYTES,
  MAX_MSG_FRAME_BYTES,
  MAX_PREKEYS_FRAME_BYTES,
  MAX_RECEIPT_IDS,
  MAX_TEXT_BYTES,
  MSG_PROTOCOL,
  ONE_TIME_KEM_PREKEY_TARGET,
  ONE_TIME_PREKEY_TARGET,
  PREKEY_MAINTENANCE_MAX_DELAY_MS,
  PREKEYS_PROTOCOL,
  SEEN_ENVELOPE_TTL_MS,
} from '../constants.ts';
import { Core, type MessengerEvents, type Scheduler } from '../core/core.ts';
import type { UnreadToken } from '../core/unread.ts';
import { Courier } from './courier.ts';
import { checkContactAddresses, sameAddresses } from '../transport/contact-addresses.ts';
import { selectInviteAddresses } from '../contacts/address-list.ts';
import {
  AlreadyInitialisedError,
  ContactIdentityChangedError,
  DuplicatePeerError,
  InvalidMessageError,
  NotInitialisedError,
  RequestNameRequiredError,
  UnknownContactError,
  UnknownMessageError,
  UnknownRequestError,
} from '../errors.ts';
import { issuePass } from '../mailbox/pass.ts';
import { deleteConversation, requestsFromUnaddedContacts } from './requests.ts';
import { Recurring } from './recurring.ts';
import { checkContactName } from '../contacts/names.ts';
import { serveMsgStream } from './inbox.ts';
import { fetchFromMailboxes } from './mail-fetch.ts';
import { publishBundle } from '../bundles/bundle-publisher.ts';
import type { MailboxService } from '../mailbox/service.ts';
import type { Network } from '../transport/network.ts';
import { encodePayload, type Payload } from './payload.ts';
import { conversationFiles, filesDeleted, filesOf } from './file-messages.ts';
import { fileDescriptorProblem, type FileDescriptor } from '../encoding/file-descriptor.ts';
import { storedFile } from '../store/file-record.ts';
import { parsePeerId, peerIdOfIdentity } from '../encoding/peer-id.ts';
import { maintainPrekeys, prekeyMaintenanceDelay } from '../bundles/local-prekeys.ts';
import { PrekeyLimiter } from '../bundles/prekey-limiter.ts';
import { servePrekeys } from '../bundles/prekey-service.ts';
import type { ContactRecord, MessageRecord, MessageStatus, OutboxEntry, OutboxKind, RequestRecord } from '../store/records.ts';
import { Tx, type SottoStore } from '../store/store.ts';

/** How often processed-envelope marks older than SEEN_ENVELOPE_TTL_MS are swept. */
const SEEN_SWEEP_INTERVAL_MS = 60 * 60 * 1000;
/** Seen marks deleted per sweep step (bounds one write). */
const SEEN_SWEEP_BATCH = 1000;
/** Messages read per step when the unread ones are looked for from the newest back: about a screen's worth, so a few unread cost one read. */
const UNREAD_SCAN_PAGE = 100;
/** The second part of the lock key under which one conversation's markRead calls run one at a time (peer ids hold no space). */
const READ_LOCK = 'read';

/** The reason of a send that did not wait for its delivery (`waitMs` 0). */
export const NOT_WAITING_REASON = 'not waiting for delivery';

/** What `send` reports. */
export interface SendResult {
  readonly id: string;
  readonly status: MessageStatus;
  /** Why the message is still queued (or failed). */
  readonly reason?: string;
}

/** Options of {@link Messenger.open}. */
export interface MessengerOptions {
  readonly ctx: CryptoContext;
  readonly store: SottoStore;
  readonly scheduler: Scheduler;
  /** The network, when a node runs; without it messages wait in the outbox. */
  readonly network?: Network;
  /** This node's mailbox, when it holds mail for others (`sotto start --mailbox`). */
  readonly mailbox?: MailboxService;
}

const encoder = new TextEncoder();

/** The messenger of one Sotto home. */
export class Messenger {
  private readonly couriers = new Map<string, Courier>();
  private readonly unsubscribe: (() => void)[] = [];
  /** The jobs a running messenger repeats: see start(). */
  private readonly recurring: {
    readonly sweep: Recurring;
    readonly passes: Recurring;
    readonly poll: Recurring;
    readonly publish: Recurring;
    readonly prekeys: Recurring;
    readonly announce: Recurring;
  };
  /** Who gets one-time prekeys on /sotto/prekeys. */
  private readonly prekeyLimiter: PrekeyLimiter;
  private fetching: Promise<number> | undefined;
  private stopped = false;
  /** Mailboxes the last fetch could talk to. */
  private mailboxesReached = 0;
  /** When the last fetch ended (ms). */
  private lastFetchAt: number | undefined;

  private constructor(
    private readonly core: Core,
    private readonly mailbox: MailboxService | undefined,
  ) {
    this.prekeyLimiter = new PrekeyLimiter(() => core.ctx.now());
    const every = (job: () => Promise<unknown>, interval: number) => new Recurring(core.scheduler, () => job().then(() => interval), interval);
    this.recurring = {
      sweep: every(() => this.sweepSeen(), SEEN_SWEEP_INTERVAL_MS),
      passes: every(() => this.renewPasses(), MAILBOX_PASS_CHECK_INTERVAL_MS),
      poll: new Recurring(core.scheduler, this.pollJob(), MAILBOX_POLL_INTERVAL_MS),
      publish: new Recurring(core.scheduler, this.publishJob(), BUNDLE_REPUBLISH_INTERVAL_MS),
      prekeys: new Recurring(core.scheduler, () => this.prekeyUpkeep(), PREKEY_MAINTENANCE_MAX_DELAY_MS),
      announce: new Recurring(core.scheduler, () => this.announceAddresses(), ADDRESS_ANNOUNCE_INTERVAL_MS),
    };
  }

  /**
   * Creates this home's identity, prekeys and profile. Throws
   * AlreadyInitialisedError if there is one: an identity is never overwritten;
   * InvalidContactNameError for a profile name that is neither '' nor a
   * valid contact name (it goes into invites; stored in NFC).
   */
  static async initialise(store: SottoStore, ctx: CryptoContext, profile: { name: string }): Promise<{ peerId: string; identity: IdentityKeyPair }> {
    const existing = await store.getIdentity(ctx);
    if (existing) throw new AlreadyInitialisedError(peerIdOfIdentity(existing.public));
    // The profile name goes into invites: '' or a valid contact name, in NFC.
    const name = profile.name === '' ? '' : checkContactName(profile.name);
    const identity = await generateIdentity(ctx);
    const prekeys = await createPrekeyState(ctx, identity, { oneTimePrekeys: ONE_TIME_PREKEY_TARGET, oneTimeKemPrekeys: ONE_TIME_KEM_PREKEY_TARGET });
    await store.commit(new Tx().putIdentity(identity).putPrekeys(prekeys).putProfile({ name }), { sync: true });
    return { peerId: peerIdOfIdentity(identity.public), identity };
  }

  /** Opens the messenger of an initialised store. Throws NotInitialisedError otherwise. */
  static async open(options: MessengerOptions): Promise<Messenger> {
    const { ctx, store } = options;
    const identity = await store.getIdentity(ctx);
    const prekeys = await store.getPrekeys();
    if (!identity || !prekeys) throw new NotInitialisedError();
    const core = new Core(ctx, store, options.scheduler, identity, peerIdOfIdentity(identity.public), prekeys, await store.getSeq(), options.network);
    await core.loadOutbox();
    await core.loadRequests();
    await requestsFromUnaddedContacts(core);
    return new Messenger(core, options.mailbox);
  }

  get peerId(): string {
    return this.core.peerId;
  }

  get identity(): IdentityKeyPair {
    return this.core.identity;
  }

  /** The messenger's clock (injected), in ms since the epoch. */
  now(): number {
    return this.core.ctx.now();
  }

  /** Listens to messenger events; returns the function that stops listening. */
  on<K extends keyof MessengerEvents>(event: K, listener: (value: MessengerEvents[K]) => void): () => void {
    return this.core.on(event, listener);
  }

  /** Serves Sotto's protocols on the network and starts delivering the outbox. */
  async start(): Promise<void> {
    const network = this.core.network;
    if (!network) return;
    // Before any bundle leaves: a node that was off past a rotation rotates now.
    await maintainPrekeys(this.core).catch(() => {});
    await network.handle(MSG_PROTOCOL, MAX_MSG_FRAME_BYTES, (stream, peerId) => serveMsgStream(this.core, stream, peerId));
    await network.handle(PREKEYS_PROTOCOL, MAX_PREKEYS_FRAME_BYTES, (stream, peerId) => servePrekeys(this.core, this.prekeyLimiter, stream, peerId));
    const mailbox = this.mailbox;
    if (mailbox) await network.handle(MAILBOX_PROTOCOL, MAX_MAILBOX_FRAME_BYTES, (stream, peerId) => mailbox.serve(stream, peerId));
    this.unsubscribe.push(
      network.onPeerConnected((peerId) => {
        if (this.core.outboxOf(peerId).length > 0) this.courier(peerId).kick(true);
      }),
    );
    // A burst of address changes gives one announcement, once they settle.
    const offAddresses = network.onAddressesChanged?.(() => {
      if (!this.stopped) this.recurring.announce.runSoon(ADDRESS_ANNOUNCE_SETTLE_MS);
    });
    if (offAddresses) this.unsubscribe.push(offAddresses);
    // Before the first dials: addresses from invites let them skip the DHT.
    await Promise.all((await this.core.store.listContacts()).map((c) => this.rememberAddresses(c)));
    // A start tries everything waiting at once: a backoff from before a crash or a stop says nothing about now.
    for (const peerId of this.core.outboxPeers()) this.courier(peerId).kick(true);
    const { sweep, passes, poll, publish, prekeys, announce } = this.recurring;
    sweep.start(0);
    passes.start(0);
    poll.start(0);
    publish.start(0);
    prekeys.start(prekeyMaintenanceDelay(this.core));
    announce.start(ADDRESS_ANNOUNCE_SETTLE_MS);
  }

  /** Stops delivering; waits for rounds in progress. The store stays open. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const job of Object.values(this.recurring)) job.stop();
    this.mailbox?.close();
    await this.fetching?.catch(() => 0);
    await Promise.all([...this.couriers.values()].map((c) => c.stop()));
    this.couriers.clear();
  }

  private courier(peerId: string): Courier {
    let courier = this.couriers.get(peerId);
    if (!courier) this.couriers.set(peerId, (courier = new Courier(this.core, peerId)));
    return courier;
  }

  /** Sends a new mailbox pass to every contact whose pass from us runs out within MAILBOX_PASS_RENEW_BEFORE_MS (or who has none). */
  async renewPasses(): Promise<number> {
    const due = (await this.contacts()).filter((c) => (c.passIssuedUntil ?? 0) - this.core.ctx.now() < MAILBOX_PASS_RENEW_BEFORE_MS);
    for (const contact of due) await this.introduce(contact);
    return due.length;
  }

  /**
   * Sends a contact our profile name and a mailbox pass (./mailbox/pass.ts),
   * so its deposits with our mailboxes count as a contact's, and notes until
   * when the pass holds.
   */
  private async introduce(contact: ContactRecord): Promise<void> {
    const { ctx, identity } = this.core;
    const expiresAt = ctx.now() + MAILBOX_PASS_TTL_MS;
    const name = (await this.profile()).name;
    if (name !== '') await this.enqueue(contact.peerId, 'profile', { type: 'profile', name });
    await this.enqueue(contact.peerId, 'pass', { type: 'pass', expiresAt, signature: await issuePass(ctx, identity, contact.peerId, expiresAt) });
    await this.core.locks.run(contact.peerId, async () => {
      const current = await this.core.contactByPeer(contact.peerId);
      if (current) await this.updateContact(current, { ...current, passIssuedUntil: expiresAt });
    });
  }

  /**
   * Sends every contact this node's listen addresses (an addresses payload,
   * docs/PROTOCOL.md §14) when they differ from the ones last announced, or
   * ADDRESS_ANNOUNCE_INTERVAL_MS after that announcement; resolves to the
   * delay before the next check. A home's first addresses are only noted
   * (its contacts have them from its invite, or find them in the DHT). A
   * contact that still has an announcement waiting in the outbox gets no
   * second one: the next announcement after it carries the addresses of
   * that time.
   */
  async announceAddresses(): Promise<number> {
    const listening = this.core.network?.listenAddresses?.();
    const addresses = listening === undefined ? [] : selectInviteAddresses(listening, this.core.peerId);
    if (addresses.length === 0) return ADDRESS_ANNOUNCE_INTERVAL_MS;
    const last = await this.core.store.getAnnounced();
    const now = this.core.ctx.now();
    if (last && sameAddresses(last.addresses, addresses) && now - last.at < ADDRESS_ANNOUNCE_INTERVAL_MS) return last.at + ADDRESS_ANNOUNCE_INTERVAL_MS - now;
    for (const contact of last ? await this.contacts() : []) {
      if (this.stopped) return ADDRESS_ANNOUNCE_INTERVAL_MS;
      if (this.core.outboxOf(contact.peerId).some((entry) => entry.kind === 'addresses')) continue;
      await this.enqueue(contact.peerId, 'addresses', { type: 'addresses', at: now, addresses });
    }
    await this.core.store.commit(new Tx().putAnnounced({ addresses, at: now }), { sync: false });
    return ADDRESS_ANNOUNCE_INTERVAL_MS;
  }

  /**
   * The mail poll: a fetch now and then every MAILBOX_POLL_INTERVAL_MS.
   * Right after start the DHT may not know any mailbox yet: while a fetch
   * reaches fewer than k mailboxes, the next comes sooner (MAILBOX_RETRY_MS,
   * doubling).
   */
  private pollJob(): () => Promise<number> {
    let retry = MAILBOX_RETRY_MS;
    return async () => {
      await this.fetchMail().catch(() => 0);
      const short = this.mailboxesReached < MAILBOX_REPLICAS && retry < MAILBOX_POLL_INTERVAL_MS;
      const next = short ? retry : MAILBOX_POLL_INTERVAL_MS;
      retry = short ? retry * 2 : MAILBOX_RETRY_MS;
      return next;
    };
  }

  /** Publication of the bundle record: now and every BUNDLE_REPUBLISH_INTERVAL_MS (sooner while no peer stored it). */
  private publishJob(): () => Promise<number> {
    let retry = MAILBOX_RETRY_MS;
    return async () => {
      const stored = await publishBundle(this.core).catch(() => 0);
      const short = stored === 0 && retry < BUNDLE_REPUBLISH_INTERVAL_MS;
      const next = short ? retry : BUNDLE_REPUBLISH_INTERVAL_MS;
      retry = short ? Math.min(retry * 2, MAILBOX_POLL_INTERVAL_MS) : MAILBOX_RETRY_MS;
      return next;
    };
  }

  /**
   * Prekey upkeep (../bundles/local-prekeys.ts: expiry, rotation, retention,
   * top-up) whenever something falls due, and at least every
   * PREKEY_MAINTENANCE_MAX_DELAY_MS. A rotation republishes the bundle record at once.
   */
  private async prekeyUpkeep(): Promise<number> {
    const { rotated } = await maintainPrekeys(this.core);
    if (rotated && !this.stopped) this.recurring.publish.runSoon();
    return prekeyMaintenanceDelay(this.core);
  }

  /**
   * Fetches this node's mail from its mailboxes (the k closest to its
   * mailbox key; ./mail-fetch.ts): each item is unsealed, decrypted and
   * stored durably before the mailbox is told to delete it, and copies held
   * by the other mailboxes are deleted without being downloaded; every new
   * message is confirmed to its sender with a 'delivered' receipt. Resolves
   * to the number of items downloaded. One fetch runs at a time.
   */
  fetchMail(): Promise<number> {
    this.fetching ??= this.fetchMailNow().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetchMailNow(): Promise<number> {
    const { received, mailboxesReached, mailboxes, delivered } = await fetchFromMailboxes(this.core);
    this.mailboxesReached = mailboxesReached;
    this.lastFetchAt = this.core.ctx.now();
    this.core.emit('mail-fetched', { mailboxes });
    for (const [sender, ids] of delivered) {
      for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) await this.enqueue(sender, 'receipt', { type: 'receipt', kind: 'delivered', ids: ids.slice(i, i + MAX_RECEIPT_IDS) });
    }
    return received;
  }

  /** What the last mail fetch reached, and when it ended (undefined before the first). */
  lastMailFetch(): { readonly mailboxesReached: number; readonly at: number } | undefined {
    return this.lastFetchAt === undefined ? undefined : { mailboxesReached: this.mailboxesReached, at: this.lastFetchAt };
  }

  /** Deletes processed-envelope marks older than their TTL. */
  async sweepSeen(): Promise<number> {
    let removed = 0;
    for (;;) {
      const stale = await this.core.store.listSeenBefore(this.core.ctx.now() - SEEN_ENVELOPE_TTL_MS, SEEN_SWEEP_BATCH);
      if (stale.length === 0) return removed;
      const tx = new Tx();
      for (const key of stale) tx.deleteRaw(key);
      await this.core.store.commit(tx, { sync: false });
      removed += stale.length;
    }
  }

  /** This home's profile name. */
  async profile(): Promise<{ name: string }> {
    return (await this.core.store.getProfile()) ?? { name: '' };
  }

  /**
   * Adds a contact, or confirms one. A name already bound to another peer id
   * is an identity change: refused unless `acceptNewKey`; the new key starts
   * unverified. A peer that wrote before it was added gets its name (its
   * messages follow). `addresses` (from an invite) are kept with the contact
   * and given to the network; RangeError when they are not multiaddrs.
   * The name is stored in NFC (checkContactName: InvalidContactNameError).
   */
  async addContact(nameText: string, peerIdText: string, options: { acceptNewKey?: boolean; addresses?: readonly string[] } = {}): Promise<ContactRecord> {
    const name = checkContactName(nameText);
    const peerId = parsePeerId(peerIdText).toString();
    const addresses = options.addresses === undefined ? undefined : checkContactAddresses(options.addresses);
    // Under the peer's lock and through the contact cache, as the inbox does when a
    // first message from an unknown sender arrives: a message that comes in while
    // the contact is being added cannot give the same peer a second record.
    const { contact, created } = await this.core.locks.run(peerId, () => this.putAddedContact(name, peerId, addresses, options.acceptNewKey === true));
    await this.rememberAddresses(contact);
    if (created) await this.introduce(contact);
    return contact;
  }

  /** addContact under the peer's lock; `created` when the peer was not a contact before. A request from the peer becomes the contact. */
  private async putAddedContact(name: string, peerId: string, addresses: readonly string[] | undefined, acceptNewKey: boolean): Promise<{ contact: ContactRecord; created: boolean }> {
    const byName = await this.core.contactByName(name);
    const byPeer = await this.core.contactByPeer(peerId);
    const tx = new Tx();
    if (byName && byName.peerId === peerId) {
      if (byName.added && (addresses === undefined || sameAddresses(addresses, byName.addresses))) return { contact: byName, created: false };
      if (byName.added) {
        // The invite's addresses replace announced ones, and are not dated.
        const { addressesAt: _announcedAt, ...invited } = byName;
        return { contact: await this.updateContact(byName, { ...invited, addresses: addresses! }), created: false };
      }
    } else if (byName && !acceptNewKey) {
      throw new ContactIdentityChangedError(name, byName.peerId, peerId);
    } else if (byName) {
      tx.deleteContact(byName);
    }
    if (byPeer && byPeer.name !== name) {
      if (byPeer.added) throw new DuplicatePeerError(peerId, byPeer.name);
      tx.deleteContact(byPeer);
    }
    const now = this.core.ctx.now();
    const keyChanged = byName !== undefined && byName.peerId !== peerId && byName.added;
    const request = this.core.requests.get(peerId);
    const contact: ContactRecord = {
      name,
      peerId,
      addedAt: now,
      verified: false,
      added: true,
      ...(keyChanged ? { keyChangedAt: now } : {}),
      ...(addresses ? { addresses } : {}),
      ...(request?.pass ? { pass: request.pass } : {}),
    };
    if (request) tx.deleteRequest(peerId);
    // A key package the peer sent while it was a stranger: the admin can add the new contact to a group at once.
    if (request?.keyPackage && request.keyPackage.notAfter > now) tx.putHeldKeyPackage({ peerId, ...request.keyPackage });
    await this.core.store.commit(tx.putContact(contact), { sync: true });
    this.core.requests.delete(peerId);
    this.core.contactsChanged([byName, byPeer].filter((c): c is ContactRecord => c !== undefined), [contact]);
    return { contact, created: !byPeer?.added };
  }

  /**
   * Marks a contact verified (its safety number was compared on both
   * devices) or not verified. With `peerId`, only while the contact still
   * has that identity (the one whose number was compared); otherwise
   * ContactIdentityChangedError. Verifying clears the key-change mark.
   * Throws UnknownContactError.
   */
  async setVerified(name: string, verified: boolean, peerId?: string): Promise<ContactRecord> {
    const contact = await this.contact(name);
    if (peerId !== undefined && contact.peerId !== peerId) throw new ContactIdentityChangedError(name, peerId, contact.peerId);
    const updated: ContactRecord = { ...contact, verified };
    if (verified) delete (updated as { keyChangedAt?: number }).keyChangedAt;
    return this.updateContact(contact, updated);
  }

  /** Replaces a contact's record (same name and peer id). */
  private async updateContact(old: ContactRecord, updated: ContactRecord): Promise<ContactRecord> {
    await this.core.store.commit(new Tx().putContact(updated), { sync: true });
    this.core.contactsChanged([old], [updated]);
    return updated;
  }

  /** Gives the network a contact's invite addresses (a failure only costs a DHT lookup later). */
  private async rememberAddresses(contact: ContactRecord): Promise<void> {
    if (!contact.addresses?.length) return;
    await this.core.network?.rememberAddresses?.(contact.peerId, contact.addresses).catch(() => {});
  }

  /** All contacts (people who wrote first are requests, not contacts). */
  async contacts(): Promise<ContactRecord[]> {
    return this.core.store.listContacts();
  }

  /** Every message request, oldest first. */
  requests(): RequestRecord[] {
    return [...this.core.requests.values()].sort((a, b) => a.firstAt - b.firstAt);
  }

  /** The request of `peerId`. Throws UnknownRequestError (also for a contact or a malformed peer id). */
  request(peerIdText: string): RequestRecord {
    const request = this.core.requests.get(peerIdText);
    if (!request) throw new UnknownRequestError(peerIdText);
    return request;
  }

  /** The texts of a request, oldest first; reading them sends nothing (no receipt tells the stranger). Throws UnknownRequestError. */
  async requestMessages(peerId: string): Promise<MessageRecord[]> {
    this.request(peerId);
    return this.core.store.listMessages(peerId);
  }

  /**
   * Accepts a request: the peer becomes a contact named `name` (default: the
   * name it claims, when that is a valid name not taken), with its messages
   * as the start of the conversation. Throws UnknownRequestError,
   * RequestNameRequiredError, and addContact's errors.
   */
  async acceptRequest(peerId: string, name?: string): Promise<ContactRecord> {
    const request = this.request(peerId);
    const chosen = name ?? request.claimedName;
    if (chosen === null) throw new RequestNameRequiredError(peerId, 'it did not say who it is');
    if (name === undefined && (await this.core.contactByName(chosen))) throw new RequestNameRequiredError(peerId, `a contact is already named "${chosen}"`);
    return this.addContact(chosen, peerId);
  }

  /**
   * Blocks a peer that is not a contact: its request (messages, session) is
   * deleted and whatever it sends from now on is refused at once, nothing
   * stored. Throws InvalidPeerIdError, UnknownRequestError for a contact.
   */
  async block(peerIdText: string): Promise<void> {
    const peerId = parsePeerId(peerIdText);
    await this.core.locks.run(peerId, async () => {
      if (await this.core.contactByPeer(peerId)) throw new UnknownRequestError(peerId);
      await deleteConversation(this.core, peerId, (tx) => tx.putBlock({ peerId, at: this.core.ctx.now() }));
      this.core.blocked.add(peerId);
    });
  }

  /** Deletes a request whole (messages, session); the peer may write again as a new request. Throws UnknownRequestError. */
  async deleteRequest(peerId: string): Promise<void> {
    this.request(peerId);
    await this.core.locks.run(peerId, async () => {
      if (this.core.requests.has(peerId)) await deleteConversation(this.core, peerId);
    });
  }

  /**
   * Deletes, on this device only, a contact's whole conversation (the
   * contact and its session stay), or with `messageId` one message of it.
   * The files of deleted messages go to the hook set with
   * {@link onFileMessageDeleted}. Resolves to how many messages went.
   * Throws UnknownContactError, UnknownMessageError.
   */
  async deleteMessages(name: string, messageId?: string): Promise<number> {
    const contact = await this.contact(name);
    return this.core.locks.run(contact.peerId, async () => {
      if (messageId === undefined) {
        const count = (await this.core.store.listMessageIds(contact.peerId)).length;
        const files = await conversationFiles(this.core, contact.peerId);
        const tx = new Tx();
        for (const key of await this.core.store.conversationKeys(contact.peerId)) tx.deleteRaw(key);
        await this.core.store.commit(tx, { sync: true });
        this.core.conversationDeleted(contact.peerId);
        filesDeleted(this.core, files);
        return count;
      }
      const message = await this.core.store.getMessage(contact.peerId, messageId);
      if (!message) throw new UnknownMessageError(name, messageId);
      await this.core.store.commit(new Tx().deleteMessage(message), { sync: true });
      this.core.conversationDeleted(contact.peerId);
      filesDeleted(this.core, filesOf([message]));
      return 1;
    });
  }

  /** The contact named `name` (from the contact cache). Throws UnknownContactError. */
  async contact(name: string): Promise<ContactRecord> {
    const contact = await this.core.contactByName(name);
    if (!contact) throw new UnknownContactError(name);
    return contact;
  }

  /**
   * Queues `payload` for `peerId`, encrypted now if a session exists; resolves
   * to the entry once durable. The contact's lock covers encryption and
   * queuing the write; the synced write is awaited outside it, so messages
   * sent together share one batch. `also` adds writes that must land with
   * the entry (in the same transaction).
   */
  private async enqueue(peerId: string, kind: OutboxKind, payload: Payload, message?: (seq: number) => MessageRecord, also?: (tx: Tx) => void): Promise<OutboxEntry> {
    const core = this.core;
    const bytes = encodePayload(payload);
    const { entry, record, durable } = await core.locks.run(peerId, async () => {
      const tx = new Tx();
      const session = await core.session(peerId);
      const now = core.ctx.now();
      const encrypted = session ? encryptMessage(core.ctx, session, bytes) : undefined;
      const seq = core.allocateSeq(tx);
      const entry: OutboxEntry = {
        seq,
        peerId,
        kind,
        messageId: payload.type === 'text' || payload.type === 'file' ? payload.id : null,
        payload: encrypted ? null : toBase64(bytes),
        envelope: encrypted ? toBase64(encrypted.envelope) : null,
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        lastError: core.network ? null : 'no node is running on this home',
        custody: [],
      };
      if (encrypted) tx.putSession(peerId, encrypted.record);
      const record = message?.(seq);
      if (record) tx.putMessage(record);
      tx.putOutbox(entry);
      also?.(tx);
      // Later messages encrypt against this state at once; writes land in order.
      if (encrypted) core.setSession(peerId, encrypted.record);
      return { entry, record, durable: core.store.commit(tx, { sync: true }) };
    });
    await durable;
    if (record) core.trackQueued(record);
    core.setOutboxEntry(entry);
    if (core.network) this.courier(peerId).kick();
    return entry;
  }

  /**
   * Sends a text to a contact. Resolves once it is durably queued, or, with
   * `waitMs`, once it is delivered, failed, or the wait is over (then
   * 'queued' with the reason). Throws UnknownContactError, InvalidMessageError.
   */
  async send(name: string, text: string, options: { waitMs?: number } = {}): Promise<SendResult> {
    const contact = await this.contact(name);
    const length = encoder.encode(text).length;
    if (length === 0) throw new InvalidMessageError('it is empty');
    if (length > MAX_TEXT_BYTES) throw new InvalidMessageError(`it is ${length} bytes; the limit is ${MAX_TEXT_BYTES}`);
    const id = this.core.newMessageId();
    const sentAt = this.core.ctx.now();
    const outcome = this.waitFor(contact.peerId, id, options.waitMs ?? 0);
    await this.enqueue(contact.peerId, 'text', { type: 'text', id, sentAt, text }, (seq) => ({ id, peerId: contact.peerId, direction: 'out', text, timestamp: sentAt, status: 'queued', seq }));
    if (!this.core.network) {
      outcome.cancel();
      return { id, status: 'queued', reason: 'no node is running on this home; it will be sent when one starts' };
    }
    return outcome.result;
  }

  /**
   * Sends a file message to a contact: `file` describes a file sealed
   * already (describeInlineFile, ../encoding/inline-file.ts, for one of at most
   * FILE_INLINE_MAX_BYTES, whose sealed chunk travels in the message; the
   * file service for a larger one, fetched over /sotto/file). Same path,
   * statuses and `waitMs` as {@link send}; the stored message's `text` is
   * the file's name. Throws UnknownContactError, InvalidMessageError (a
   * descriptor that breaks a rule of docs/PROTOCOL.md §25, with the reason).
   */
  async sendFile(name: string, file: FileDescriptor, options: { waitMs?: number } = {}): Promise<SendResult> {
    const contact = await this.contact(name);
    const problem = fileDescriptorProblem(file);
    if (problem) throw new InvalidMessageError(problem);
    const id = this.core.newMessageId();
    const sentAt = this.core.ctx.now();
    const payload: Payload = { type: 'file', id, sentAt, file };
    const outcome = this.waitFor(contact.peerId, id, options.waitMs ?? 0);
    await this.enqueue(contact.peerId, 'file', payload, (seq) => ({ id, peerId: contact.peerId, direction: 'out', text: file.name, timestamp: sentAt, status: 'queued', seq, file: storedFile(file) }));
    if (!this.core.network) {
      outcome.cancel();
      return { id, status: 'queued', reason: 'no node is running on this home; it will be sent when one starts' };
    }
    return outcome.result;
  }

  /**
   * Sets the hook called once a deleted message (one, a conversation, a
   * request's) that carried a file is gone from the store, with the file's
   * id (hex) and the message's id: the file service deletes the file's
   * chunks there. Replaces the one set before (default: none).
   */
  onFileMessageDeleted(hook: (fileIdHex: string, messageId: string) => void): void {
    this.core.fileMessageDeleted = hook;
  }

  /** Resolves with the first delivery outcome of message `id`, or 'queued' after `waitMs`. */
  private waitFor(peerId: string, id: string, waitMs: number): { result: Promise<SendResult>; cancel: () => void } {
    let cancel = (): void => {};
    const result = new Promise<SendResult>((resolve) => {
      if (waitMs <= 0) {
        resolve({ id, status: 'queued', reason: NOT_WAITING_REASON });
        return;
      }
      let lastReason = 'the contact has not acknowledged it yet';
      const done = (r: SendResult): void => {
        offStatus();
        offUndelivered();
        this.core.scheduler.clearTimeout(timer);
        resolve(r);
      };
      const offStatus = this.core.on('status', (e) => {
        if (e.peerId === peerId && e.id === id) done({ id, status: e.status, ...(e.reason ? { reason: e.reason } : {}) });
      });
      const offUndelivered = this.core.on('undelivered', (e) => {
        if (e.peerId !== peerId || !e.ids.includes(id)) return;
        lastReason = e.reason;
        done({ id, status: 'queued', reason: e.reason });
      });
      const timer = this.core.scheduler.setTimeout(() => done({ id, status: 'queued', reason: lastReason }), waitMs);
      cancel = () => done({ id, status: 'queued', reason: lastReason });
    });
    return { result, cancel };
  }

  /**
   * A conversation, oldest first; with `page`, the newest `limit` messages
   * whose `seq` is below `before` (to page back through a long one). Throws
   * UnknownContactError, RangeError for a limit that is not a positive integer.
   */
  async history(name: string, page: { before?: number; limit?: number } = {}): Promise<MessageRecord[]> {
    if (page.limit !== undefined && !(Number.isSafeInteger(page.limit) && page.limit > 0)) throw new RangeError('history: limit must be a positive integer');
    if (page.before !== undefined && !Number.isSafeInteger(page.before)) throw new RangeError('history: before must be a sequence number');
    const contact = await this.contact(name);
    return this.core.store.listMessages(contact.peerId, page);
  }

  /**
   * How many messages from `peerId` were received and not read yet: read
   * from the store once per conversation (from its newest message back to
   * the newest one read), then kept up to date in memory (../core/unread.ts).
   */
  async unreadCount(peerId: string): Promise<number> {
    const core = this.core;
    return core.unread.known(peerId) ?? core.locks.run(peerId, async () => core.unread.known(peerId) ?? (await this.readUnread(peerId)).length);
  }

  /**
   * The received messages of `peerId` not read yet, oldest first, read from
   * the store after every write queued before (call under the peer's lock,
   * so the reading is exact), and their count kept. They are the newest
   * incoming ones: markRead marks every unread message at once, so all of
   * them are newer than any message read; the conversation is read from its
   * newest message back to the newest read one, not whole.
   */
  private async readUnread(peerId: string): Promise<MessageRecord[]> {
    const core = this.core;
    await core.store.commit(new Tx(), { sync: false });
    const found: MessageRecord[] = [];
    let before: number | undefined;
    scan: for (;;) {
      const page = await core.store.listMessages(peerId, { limit: UNREAD_SCAN_PAGE, ...(before === undefined ? {} : { before }) });
      for (let i = page.length - 1; i >= 0; i--) {
        const m = page[i]!;
        if (m.direction !== 'in') continue;
        if (m.status !== 'received') break scan;
        found.push(m);
      }
      if (page.length < UNREAD_SCAN_PAGE) break;
      before = page[0]!.seq;
    }
    core.unread.set(peerId, found.length);
    return found.reverse();
  }

  /**
   * Marks a conversation's received messages read and sends the contact a
   * read receipt for them. The messages' new state and the receipt that
   * reports it are written in one transaction: a crash leaves either both
   * (the receipt goes out after a restart) or neither (they are read again
   * and reported then). Reads nothing when nothing is unread; calls for one
   * conversation run one at a time. Resolves to how many were marked.
   */
  async markRead(name: string): Promise<number> {
    const contact = await this.contact(name);
    const peerId = contact.peerId;
    const core = this.core;
    if (core.unread.known(peerId) === 0) return 0;
    return core.locks.run(`${peerId} ${READ_LOCK}`, async () => {
      const unread = await core.locks.run(peerId, () => this.readUnread(peerId));
      for (let i = 0; i < unread.length; i += MAX_RECEIPT_IDS) {
        const chunk = unread.slice(i, i + MAX_RECEIPT_IDS);
        let token: UnreadToken;
        await this.enqueue(peerId, 'receipt', { type: 'receipt', kind: 'read', ids: chunk.map((m) => m.id) }, undefined, (tx) => {
          for (const m of chunk) tx.putMessage({ ...m, status: 'read' });
          token = core.unread.token(peerId);
        });
        core.unread.landed(peerId, token, -chunk.length);
      }
      return unread.length;
    });
  }

  /** Envelopes dropped as forgeries since this messenger opened, by how they came. */
  forgedCounts(): { readonly direct: number; readonly mailbox: number } {
    return { ...this.core.forged };
  }

  /** Peers whose envelopes had another protocol version since the messenger opened, with that version (PROTOCOL §9). */
  otherVersions(): { readonly peerId: string; readonly version: number }[] {
    return [...this.core.otherVersions].map(([peerId, version]) => ({ peerId, version }));
  }

  /**
   * The state this messenger's parts share, for the rooms built on it
   * (../groups: group delivery uses its identity, store, network, locks
   * and events). Not for applications.
   */
  shared(): Core {
    return this.core;
  }

  /**
   * Queues a payload for `peerId` in the 1:1 channel (the groups room sends
   * invitations and key packages this way); resolves once it is durable.
   * `also` adds writes that land in the same transaction.
   */
  async queuePayload(peerId: string, kind: OutboxKind, payload: Payload, also?: (tx: Tx) => void): Promise<void> {
    await this.enqueue(peerId, kind, payload, undefined, also);
  }

  /** Number of entries waiting in the outbox. */
  outboxSize(): number {
    return this.core.outboxPeers().reduce((n, p) => n + this.core.outboxOf(p).length, 0);
  }
}
