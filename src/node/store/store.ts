/**
 * Sotto's local store: identity, prekeys, contacts, sessions, messages,
 * outbox and seen envelopes over one key-value backend, with atomic
 * multi-record transactions and group commit.
 *
 * Reads go straight to the backend. Writes are collected in a {@link Tx}
 * and committed with {@link SottoStore.commit}: all operations of one Tx land
 * together or not at all (a ratchet state and the message that advanced it
 * are always in one Tx). Commits are queued and written in order; while one
 * write is on its way to disk, the next Txs gather and go out as one batch,
 * so many messages arriving or leaving together cost one synced write.
 *
 * Key layout (docs/PROTOCOL.md, "Local store"):
 *   meta:schema, meta:identity, meta:prekeys, meta:profile, meta:seq
 *   contact:<name>            peer:<peerId> → name
 *   session:<peerId>
 *   msg:<peerId>:<seq, 16 digits>     msgid:<peerId>:<message id> → seq
 *   outbox:<seq, 16 digits>
 *   seen:<peerId>:<SHA-256 of the envelope, hex>
 *   req:<peerId>   (a message request)     block:<peerId>
 */
import type { CryptoContext } from '../../crypto/context.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import { decodeIdentityKeyPair, encodeIdentityKeyPair } from '../../crypto/identity.ts';
import { decodePrekeyState, encodePrekeyState, type PrekeyState } from '../../crypto/prekeys.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../../crypto/session-codec.ts';
import type { SessionRecord } from '../../crypto/session.ts';
import { SchemaVersionError, StoreClosedError, StoreCorruptError } from '../errors.ts';
import { plainNames, plainValues, type KeyNames, type KvBackend, type KvOperation, type ValueCodec } from './backend.ts';
import { decodeHeldMail, encodeHeldMail, type HeldMail, type MailPosition } from './held-mail.ts';
import {
  decodeBlock,
  decodeContact,
  decodeMessage,
  decodeNumbers,
  decodeOutbox,
  decodeProfile,
  decodeRequest,
  decodeSeen,
  encodeJson,
  type BlockRecord,
  type ContactRecord,
  type MessageRecord,
  type OutboxEntry,
  type RequestRecord,
  type SeenRecord,
} from './records.ts';

/** The storage schema this code reads and writes. */
export const STORE_SCHEMA_VERSION = 1;
/** Width of zero-padded sequence numbers in keys (ordered as strings). */
const SEQ_DIGITS = 16;

const KEY = {
  schema: 'meta:schema',
  identity: 'meta:identity',
  prekeys: 'meta:prekeys',
  profile: 'meta:profile',
  seq: 'meta:seq',
  contact: (name: string) => `contact:${name}`,
  peer: (peerId: string) => `peer:${peerId}`,
  session: (peerId: string) => `session:${peerId}`,
  message: (peerId: string, seq: number) => `msg:${peerId}:${pad(seq)}`,
  messageId: (peerId: string, id: string) => `msgid:${peerId}:${id}`,
  outbox: (seq: number) => `outbox:${pad(seq)}`,
  seen: (peerId: string, hash: string) => `seen:${peerId}:${hash}`,
  request: (peerId: string) => `req:${peerId}`,
  block: (peerId: string) => `block:${peerId}`,
  mail: (mailboxKey: string, id: string) => `mbox:${mailboxKey}:${id}`,
  mailExpiry: (expiresAt: number, mailboxKey: string, id: string) => `mboxexp:${pad(expiresAt)}:${mailboxKey}:${id}`,
  mailOrder: (mailboxKey: string, storedAt: number, id: string) => `mboxord:${mailboxKey}:${pad(storedAt)}:${id}`,
} as const;

/** A key that is never written: deleting it is a write that syncs (SottoStore.sync). */
const SYNC_BARRIER_KEY = 'sync-barrier';

function pad(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}

/** The key range of everything that starts with `prefix`. */
function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1) };
}

/** Writes to apply together. Build one per logical change and hand it to {@link SottoStore.commit}. */
export class Tx {
  /** Writes by logical key; `raw` ones bypass key naming and the value codec. */
  readonly ops: { key: string; value: Uint8Array | null; raw?: boolean }[] = [];

  private put(key: string, value: Uint8Array): this {
    this.ops.push({ key, value });
    return this;
  }

  private del(key: string): this {
    this.ops.push({ key, value: null });
    return this;
  }

  /** Writes `value` under exactly `key`, unencrypted (the keyring that unlocks everything else). */
  putRaw(key: string, value: Uint8Array): this {
    this.ops.push({ key, value, raw: true });
    return this;
  }

  /** Deletes exactly `key` (a physical key returned by a listing). */
  deleteRaw(key: string): this {
    this.ops.push({ key, value: null, raw: true });
    return this;
  }

  putSchema(): this {
    return this.put(KEY.schema, encodeJson({ version: STORE_SCHEMA_VERSION }));
  }
  putIdentity(identity: IdentityKeyPair): this {
    return this.put(KEY.identity, encodeIdentityKeyPair(identity));
  }
  putPrekeys(state: PrekeyState): this {
    return this.put(KEY.prekeys, encodePrekeyState(state));
  }
  putProfile(profile: { name: string }): this {
    return this.put(KEY.profile, encodeJson(profile));
  }
  putSeq(next: number): this {
    return this.put(KEY.seq, encodeJson({ next }));
  }
  putContact(contact: ContactRecord): this {
    return this.put(KEY.contact(contact.name), encodeJson(contact)).put(KEY.peer(contact.peerId), new TextEncoder().encode(contact.name));
  }
  deleteContact(contact: ContactRecord): this {
    return this.del(KEY.contact(contact.name)).del(KEY.peer(contact.peerId));
  }
  putSession(peerId: string, record: SessionRecord): this {
    return this.put(KEY.session(peerId), encodeSessionRecord(record));
  }
  deleteSession(peerId: string): this {
    return this.del(KEY.session(peerId));
  }
  putMessage(message: MessageRecord): this {
    return this.put(KEY.message(message.peerId, message.seq), encodeJson(message)).put(KEY.messageId(message.peerId, message.id), encodeJson({ seq: message.seq }));
  }
  /** Deletes one message and its id index entry. */
  deleteMessage(message: Pick<MessageRecord, 'peerId' | 'id' | 'seq'>): this {
    return this.del(KEY.message(message.peerId, message.seq)).del(KEY.messageId(message.peerId, message.id));
  }
  putRequest(request: RequestRecord): this {
    return this.put(KEY.request(request.peerId), encodeJson(request));
  }
  deleteRequest(peerId: string): this {
    return this.del(KEY.request(peerId));
  }
  putBlock(block: BlockRecord): this {
    return this.put(KEY.block(block.peerId), encodeJson(block));
  }
  putOutbox(entry: OutboxEntry): this {
    return this.put(KEY.outbox(entry.seq), encodeJson(entry));
  }
  deleteOutbox(seq: number): this {
    return this.del(KEY.outbox(seq));
  }
  putSeen(peerId: string, hash: string, record: SeenRecord): this {
    return this.put(KEY.seen(peerId, hash), encodeJson(record));
  }
  deleteSeen(peerId: string, hash: string): this {
    return this.del(KEY.seen(peerId, hash));
  }
  /** Mail held for another peer (this node as a mailbox). */
  putMail(mailboxKey: string, id: string, held: HeldMail): this {
    return this.put(KEY.mail(mailboxKey, id), encodeHeldMail(held))
      .put(KEY.mailExpiry(held.expiresAt, mailboxKey, id), new Uint8Array(0))
      .putMailOrder(mailboxKey, id, held.storedAt);
  }
  /** The deposit-order entry of a held item (putMail writes it; also used to repair a store written without it). */
  putMailOrder(mailboxKey: string, id: string, storedAt: number): this {
    return this.put(KEY.mailOrder(mailboxKey, storedAt, id), new Uint8Array(0));
  }
  /** Deletes a held item and its index entries (`held`: its times, as stored). */
  deleteMail(mailboxKey: string, id: string, held: Pick<HeldMail, 'storedAt' | 'expiresAt'>): this {
    return this.del(KEY.mail(mailboxKey, id)).del(KEY.mailExpiry(held.expiresAt, mailboxKey, id)).del(KEY.mailOrder(mailboxKey, held.storedAt, id));
  }
  /** Deletes the expiry entry of an item that is gone already. */
  deleteMailExpiry(mailboxKey: string, id: string, expiresAt: number): this {
    return this.del(KEY.mailExpiry(expiresAt, mailboxKey, id));
  }
}

interface PendingCommit {
  readonly tx: Tx;
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Typed access to the local store. */
export class SottoStore {
  private readonly queue: PendingCommit[] = [];
  private writing: Promise<void> | undefined;
  private failure: unknown;
  /** Set by close(): later commits are refused. */
  private closed = false;

  constructor(
    private readonly backend: KvBackend,
    private readonly values: ValueCodec = plainValues,
    private readonly names: KeyNames = plainNames,
  ) {}

  /**
   * Checks the schema version, writing it into an empty store. Throws
   * SchemaVersionError for a store written by an unknown version.
   */
  async open(): Promise<this> {
    const raw = await this.read(KEY.schema);
    if (!raw) {
      await this.commit(new Tx().putSchema(), { sync: true });
      return this;
    }
    const { version } = decodeNumbers(KEY.schema, raw, ['version']);
    if (version !== STORE_SCHEMA_VERSION) throw new SchemaVersionError(version!, STORE_SCHEMA_VERSION);
    return this;
  }

  private async read(key: string): Promise<Uint8Array | undefined> {
    const physical = this.names.physical(key);
    const stored = await this.backend.get(physical);
    return stored === undefined ? undefined : this.values.decode(physical, stored);
  }

  /** Several values in one backend read, in the order of `keys`. */
  private async readMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    const physical = keys.map((k) => this.names.physical(k));
    const stored = await this.backend.getMany(physical);
    return Promise.all(stored.map((v, i) => (v === undefined ? undefined : this.values.decode(physical[i]!, v))));
  }

  /** Physical keys under a logical prefix, values unread (index entries whose value is empty). */
  private async *keysUnder(prefix: string, options: { limit?: number; gte?: string } = {}): AsyncGenerator<string> {
    const range = { ...prefixRange(this.names.physical(prefix)), ...options, ...(options.gte === undefined ? {} : { gte: this.names.physical(options.gte) }) };
    for await (const [key] of this.backend.entries(range)) yield key;
  }

  /** Entries under a logical prefix; yields physical keys. */
  private async *range(prefix: string, options: { limit?: number; reverse?: boolean } = {}): AsyncGenerator<[string, Uint8Array]> {
    for await (const [key, stored] of this.backend.entries({ ...prefixRange(this.names.physical(prefix)), ...options })) yield [key, await this.values.decode(key, stored)];
  }

  async getIdentity(ctx: CryptoContext): Promise<IdentityKeyPair | undefined> {
    const raw = await this.read(KEY.identity);
    return raw ? decodeIdentityKeyPair(ctx, raw) : undefined;
  }

  async getPrekeys(): Promise<PrekeyState | undefined> {
    const raw = await this.read(KEY.prekeys);
    return raw ? decodePrekeyState(raw) : undefined;
  }

  async getProfile(): Promise<{ name: string } | undefined> {
    const raw = await this.read(KEY.profile);
    return raw ? decodeProfile(KEY.profile, raw) : undefined;
  }

  /** The next free sequence number (persist the advanced value with Tx.putSeq). */
  async getSeq(): Promise<number> {
    const raw = await this.read(KEY.seq);
    return raw ? decodeNumbers(KEY.seq, raw, ['next'])['next']! : 1;
  }

  async getContact(name: string): Promise<ContactRecord | undefined> {
    const raw = await this.read(KEY.contact(name));
    return raw ? decodeContact(KEY.contact(name), raw) : undefined;
  }

  async getContactByPeer(peerId: string): Promise<ContactRecord | undefined> {
    const raw = await this.read(KEY.peer(peerId));
    return raw ? this.getContact(new TextDecoder().decode(raw)) : undefined;
  }

  async listContacts(): Promise<ContactRecord[]> {
    const out: ContactRecord[] = [];
    for await (const [key, raw] of this.range('contact:')) out.push(decodeContact(key, raw));
    return out;
  }

  /** Every message request, in key order. */
  async listRequests(): Promise<RequestRecord[]> {
    const out: RequestRecord[] = [];
    for await (const [key, raw] of this.range('req:')) out.push(decodeRequest(key, raw));
    return out;
  }

  /** Every blocked peer. */
  async listBlocks(): Promise<BlockRecord[]> {
    const out: BlockRecord[] = [];
    for await (const [key, raw] of this.range('block:')) out.push(decodeBlock(key, raw));
    return out;
  }

  /**
   * Physical keys of everything stored about a conversation with `peerId`:
   * its messages, their id index and the seen marks of its envelopes
   * (delete them with Tx.deleteRaw). Not the session, the contact or a request.
   */
  async conversationKeys(peerId: string): Promise<string[]> {
    const out: string[] = [];
    for (const prefix of [`msg:${peerId}:`, `msgid:${peerId}:`, `seen:${peerId}:`]) for await (const key of this.keysUnder(prefix)) out.push(key);
    return out;
  }

  async getSession(peerId: string): Promise<SessionRecord | undefined> {
    const raw = await this.read(KEY.session(peerId));
    if (!raw) return undefined;
    try {
      return decodeSessionRecord(raw);
    } catch (err) {
      throw new StoreCorruptError(KEY.session(peerId), err instanceof Error ? err.message : 'undecodable');
    }
  }

  /** A conversation, oldest first. */
  async listMessages(peerId: string): Promise<MessageRecord[]> {
    const out: MessageRecord[] = [];
    for await (const [key, raw] of this.range(`msg:${peerId}:`)) out.push(decodeMessage(key, raw));
    return out;
  }

  async getMessage(peerId: string, id: string): Promise<MessageRecord | undefined> {
    const index = await this.read(KEY.messageId(peerId, id));
    if (!index) return undefined;
    const { seq } = decodeNumbers(KEY.messageId(peerId, id), index, ['seq']);
    const raw = await this.read(KEY.message(peerId, seq!));
    return raw ? decodeMessage(KEY.message(peerId, seq!), raw) : undefined;
  }

  /** Ids of every message stored for a contact (from the id index). */
  async listMessageIds(peerId: string): Promise<string[]> {
    const prefix = this.names.physical(`msgid:${peerId}:`);
    const out: string[] = [];
    for await (const [key] of this.backend.entries(prefixRange(prefix))) out.push(key.slice(prefix.length));
    return out;
  }

  async getMail(mailboxKey: string, id: string): Promise<HeldMail | undefined> {
    const raw = await this.read(KEY.mail(mailboxKey, id));
    return raw ? decodeHeldMail(KEY.mail(mailboxKey, id), raw) : undefined;
  }

  /** Several held items under one mailbox key in one read, in the order of `ids` (undefined for one not held). */
  async getMailMany(mailboxKey: string, ids: readonly string[]): Promise<(HeldMail | undefined)[]> {
    const keys = ids.map((id) => KEY.mail(mailboxKey, id));
    const raw = await this.readMany(keys);
    return raw.map((r, i) => (r ? decodeHeldMail(keys[i]!, r) : undefined));
  }

  /**
   * Mail held under one mailbox key, up to `limit` items, in deposit order
   * (storedAt, then id): a sender's long backlog comes back in the order it
   * was sent, which the recipient's ratchet needs (it keeps a bounded number
   * of skipped keys). With `after`, only items that come after that one in
   * deposit order.
   */
  async listMail(mailboxKey: string, limit: number, after?: MailPosition): Promise<{ id: string; held: HeldMail }[]> {
    const prefix = `mboxord:${mailboxKey}:`;
    // The smallest key greater than the position's own index entry.
    const start = after ? { gte: `${KEY.mailOrder(mailboxKey, after.storedAt, after.id)}\u0000` } : {};
    const ids: string[] = [];
    for await (const key of this.keysUnder(prefix, { limit, ...start })) ids.push(key.slice(key.lastIndexOf(':') + 1));
    const held = await this.getMailMany(mailboxKey, ids);
    const out: { id: string; held: HeldMail }[] = [];
    ids.forEach((id, i) => {
      if (held[i]) out.push({ id, held: held[i] });
    });
    return out;
  }

  /** Keys ("<mailbox key>:<id>") of the held items that have a deposit-order entry. */
  async mailOrderIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    for await (const key of this.keysUnder('mboxord:')) {
      const [, mailboxKey, , id] = key.split(':') as [string, string, string, string];
      ids.add(`${mailboxKey}:${id}`);
    }
    return ids;
  }

  /** Every held item's key, id, size and expiry (to rebuild a mailbox's counters at start). */
  async *scanMail(): AsyncGenerator<{ mailboxKey: string; id: string; bytes: number; storedAt: number; expiresAt: number; stranger: boolean }> {
    for await (const [key, raw] of this.range('mbox:')) {
      const [, mailboxKey, id] = key.split(':') as [string, string, string];
      const held = decodeHeldMail(key, raw);
      yield { mailboxKey, id, bytes: held.item.length, storedAt: held.storedAt, expiresAt: held.expiresAt, stranger: held.stranger === true };
    }
  }

  /** Held items that expired before `now`, oldest first. */
  async listExpiredMail(now: number, limit: number): Promise<{ mailboxKey: string; id: string; expiresAt: number }[]> {
    const out: { mailboxKey: string; id: string; expiresAt: number }[] = [];
    for await (const [key] of this.backend.entries({ gte: 'mboxexp:', lt: `mboxexp:${pad(now)}`, limit })) {
      const [, expiresAt, mailboxKey, id] = key.split(':') as [string, string, string, string];
      out.push({ mailboxKey, id, expiresAt: Number(expiresAt) });
    }
    return out;
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    for await (const [key, raw] of this.range('outbox:')) out.push(decodeOutbox(key, raw));
    return out;
  }

  async getSeen(peerId: string, hash: string): Promise<SeenRecord | undefined> {
    const raw = await this.read(KEY.seen(peerId, hash));
    return raw ? decodeSeen(KEY.seen(peerId, hash), raw) : undefined;
  }

  /** A contact's seen-envelope markers, by envelope hash (for `sotto export`). */
  async listSeen(peerId: string): Promise<{ hash: string; record: SeenRecord }[]> {
    const prefix = this.names.physical(`seen:${peerId}:`);
    const out: { hash: string; record: SeenRecord }[] = [];
    for await (const [key, raw] of this.range(`seen:${peerId}:`)) out.push({ hash: key.slice(prefix.length), record: decodeSeen(key, raw) });
    return out;
  }

  /** Keys (physical: delete them with Tx.deleteRaw) of seen markers older than `before` (ms). */
  async listSeenBefore(before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for await (const [key, raw] of this.range('seen:')) {
      if (decodeSeen(key, raw).at < before) {
        out.push(key);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  /** A value stored raw (not through the value codec), e.g. the keyring. */
  async getRaw(key: string): Promise<Uint8Array | undefined> {
    return this.backend.get(key);
  }

  /**
   * Writes `tx` atomically, after every earlier commit. Txs that queue up
   * while a write is in progress are written together in the next batch
   * (synced if any of them asked for it). Resolves once `tx` is written.
   * After a failed write every later commit fails too: the caller's view of
   * the store can no longer be trusted, and the process should restart.
   */
  commit(tx: Tx, options: { sync: boolean }): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ tx, sync: options.sync, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0, this.queue.length);
      try {
        // Within one atomic batch only the last write of a key matters (a session
        // record or the sequence counter is rewritten by every Tx of a busy group).
        const last = new Map<string, { value: Uint8Array | null; raw: boolean }>();
        for (const { tx } of group) {
          for (const op of tx.ops) {
            const key = op.raw ? op.key : this.names.physical(op.key);
            last.delete(key);
            last.set(key, { value: op.value, raw: op.raw ?? false });
          }
        }
        const ops: KvOperation[] = [];
        for (const [key, { value, raw }] of last) ops.push(value ? { type: 'put', key, value: raw ? value : await this.values.encode(key, value) } : { type: 'del', key });
        await this.backend.batch(ops, { sync: group.some((c) => c.sync) });
        for (const c of group) c.resolve();
      } catch (err) {
        this.failure = err;
        for (const c of [...group, ...this.queue.splice(0, this.queue.length)]) c.reject(err);
      }
    }
    this.writing = undefined;
  }

  /**
   * Makes every earlier commit durable: a synced write after them (the
   * deletion of a key that never exists: LevelDB writes and syncs its log,
   * which holds the earlier writes too, and nothing is left behind).
   */
  sync(): Promise<void> {
    return this.commit(new Tx().deleteRaw(SYNC_BARRIER_KEY), { sync: true });
  }

  /** Refuses further commits (StoreClosedError), waits for the queued ones, then closes the backend. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    await this.backend.close();
  }
}
