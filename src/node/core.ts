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
import { toHex } from '../crypto/bytes.ts';
import type { CryptoContext } from '../crypto/context.ts';
import { MESSAGE_ID_BYTES } from './constants.ts';
import type { IdentityKeyPair } from '../crypto/identity.ts';
import type { PrekeyState } from '../crypto/prekeys.ts';
import type { SessionRecord } from '../crypto/session.ts';
import { KeyedMutex } from './mutex.ts';
import type { Network } from './network.ts';
import type { MessageRecord, MessageStatus, OutboxEntry } from './store/records.ts';
import type { SottoStore, Tx } from './store/store.ts';

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
  /** A peer tried to use an identity other than the one we know for it. */
  'identity-warning': { readonly peerId: string; readonly reason: string };
  /** A delivery attempt failed; the messages stay queued. */
  undelivered: { readonly peerId: string; readonly ids: readonly string[]; readonly reason: string };
}

type Listener<K extends keyof MessengerEvents> = (event: MessengerEvents[K]) => void;

/** The prekeys lock key (not a peer id: peer ids never contain a space). */
export const PREKEYS_LOCK = 'local prekeys';

/** State shared by the parts of one messenger. */
export class Core {
  readonly locks = new KeyedMutex();
  private readonly sessions = new Map<string, SessionRecord | undefined>();
  private readonly outbox = new Map<string, Map<number, OutboxEntry>>();
  private readonly listeners = new Map<keyof MessengerEvents, Set<Listener<never>>>();

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
