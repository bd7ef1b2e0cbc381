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
 * Key layout: keys.ts and docs/PROTOCOL.md, "Local store". Listings read
 * identifiers from values, never from keys: an encrypted home keeps only
 * keyed hashes of them in its keys.
 */
import type { CryptoContext } from '../../crypto/context.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import { decodeIdentityKeyPair, encodeIdentityKeyPair } from '../../crypto/identity.ts';
import { decodePrekeyState, encodePrekeyState, type PrekeyState } from '../../crypto/prekeys.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../../crypto/session-codec.ts';
import type { SessionRecord } from '../../crypto/session.ts';
import { SchemaVersionError, StoreClosedError, StoreCorruptError } from '../errors.ts';
import { plainValues, type KvBackend, type KvOperation, type ValueCodec } from './backend.ts';
import { decodeFile, decodeFileWant, type FileRecord, type FileWantRecord } from './file-records.ts';
import { decodeHeldMail, encodeHeldMail, type HeldMail, type MailPosition } from './held-mail.ts';
import { KEY, padNumber, plainNames, prefixRange, type KeyNames } from './keys.ts';
import { MIGRATION_FROM, migrateFromSchema1 } from './migrate.ts';
import {
  decodeGroup,
  decodeGroupInvitation,
  decodeGroupMessage,
  decodeGroupOutbox,
  decodeGroupSeen,
  decodeHeldKeyPackage,
  decodeKeyPackageSecret,
  encodeGroupRecord,
  type GroupInvitationRecord,
  type GroupMessageRecord,
  type GroupOutboxEntry,
  type GroupRecord,
  type HeldKeyPackage,
  type KeyPackageSecretRecord,
} from './group-records.ts';
import {
  decodeAnnounced,
  decodeBlock,
  decodeContact,
  decodeMailRef,
  decodeMessage,
  decodeMessageIndex,
  decodeNumbers,
  decodeOutbox,
  decodeProfile,
  decodeRememberedPeer,
  decodeRequest,
  decodeSeen,
  encodeJson,
  type AnnouncedAddresses,
  type BlockRecord,
  encodeMailRef,
  encodeMessageIndex,
  encodeSeen,
  type ContactRecord,
  type MessageRecord,
  type OutboxEntry,
  type RememberedPeerRecord,
  type RequestRecord,
  type SeenRecord,
} from './records.ts';

/** The storage schema this code reads and writes (a store of schema 1 is migrated when opened). */
export const STORE_SCHEMA_VERSION = 2;

/** A held item without the names it is stored under (the caller knows them). */
function decodeHeld(key: string, raw: Uint8Array): HeldMail {
  const { storedAt, expiresAt, item, stranger } = decodeHeldMail(key, raw);
  return { storedAt, expiresAt, item, ...(stranger ? { stranger } : {}) };
}

/** A key that is never written: deleting it is a write that syncs (SottoStore.sync). */
const SYNC_BARRIER_KEY = 'sync-barrier';

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
    return this.put(KEY.message(message.peerId, message.seq), encodeJson(message)).put(KEY.messageId(message.peerId, message.id), encodeMessageIndex(message));
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
  /** A peer to dial again at the next start (peer memory). */
  putRememberedPeer(peer: RememberedPeerRecord): this {
    return this.put(KEY.rememberedPeer(peer.peerId), encodeJson(peer));
  }
  deleteRememberedPeer(peerId: string): this {
    return this.del(KEY.rememberedPeer(peerId));
  }
  /** The addresses last announced to contacts. */
  putAnnounced(announced: AnnouncedAddresses): this {
    return this.put(KEY.announced, encodeJson(announced));
  }
  putOutbox(entry: OutboxEntry): this {
    return this.put(KEY.outbox(entry.seq), encodeJson(entry));
  }
  deleteOutbox(seq: number): this {
    return this.del(KEY.outbox(seq));
  }
  putSeen(peerId: string, hash: string, record: SeenRecord): this {
    return this.put(KEY.seen(peerId, hash), encodeSeen(hash, record));
  }
  deleteSeen(peerId: string, hash: string): this {
    return this.del(KEY.seen(peerId, hash));
  }
  /** Mail held for another peer (this node as a mailbox). */
  putMail(mailboxKey: string, id: string, held: HeldMail): this {
    return this.put(KEY.mail(mailboxKey, id), encodeHeldMail({ ...held, mailboxKey, id }))
      .put(KEY.mailExpiry(held.expiresAt, mailboxKey, id), encodeMailRef({ mailboxKey, id }))
      .putMailOrder(mailboxKey, id, held.storedAt);
  }
  /** The deposit-order entry of a held item (putMail writes it; also used to repair a store written without it). */
  putMailOrder(mailboxKey: string, id: string, storedAt: number): this {
    return this.put(KEY.mailOrder(mailboxKey, storedAt, id), encodeMailRef({ mailboxKey, id }));
  }
  /** Deletes a held item and its index entries (`held`: its times, as stored). */
  deleteMail(mailboxKey: string, id: string, held: Pick<HeldMail, 'storedAt' | 'expiresAt'>): this {
    return this.del(KEY.mail(mailboxKey, id)).del(KEY.mailExpiry(held.expiresAt, mailboxKey, id)).del(KEY.mailOrder(mailboxKey, held.storedAt, id));
  }
  // Groups (./group-records.ts).
  putGroup(group: GroupRecord): this {
    return this.put(KEY.group(group.id), encodeGroupRecord(group));
  }
  /** A group's MLS state (../groups/group-state.ts encodeGroupState): written per operation, not per message. */
  putGroupState(groupId: string, state: Uint8Array): this {
    return this.put(KEY.groupState(groupId), state);
  }
  putGroupMessage(message: GroupMessageRecord): this {
    return this.put(KEY.groupMessage(message.groupId, message.seq), encodeGroupRecord(message)).put(KEY.groupMessageId(message.groupId, message.id), encodeMessageIndex(message));
  }
  putGroupOutbox(entry: GroupOutboxEntry): this {
    return this.put(KEY.groupOutbox(entry.seq), encodeGroupRecord(entry));
  }
  deleteGroupOutbox(seq: number): this {
    return this.del(KEY.groupOutbox(seq));
  }
  /** Marks a group mailbox item processed (or unusable), so that a later fetch skips it. */
  putGroupSeen(groupId: string, itemId: string, at: number): this {
    return this.put(KEY.groupSeen(groupId, itemId), encodeGroupRecord({ groupId, id: itemId, at }));
  }
  putGroupInvitation(invitation: GroupInvitationRecord): this {
    return this.put(KEY.groupInvitation(invitation.id), encodeGroupRecord(invitation));
  }
  deleteGroupInvitation(id: string): this {
    return this.del(KEY.groupInvitation(id));
  }
  putHeldKeyPackage(held: HeldKeyPackage): this {
    return this.put(KEY.heldKeyPackage(held.peerId), encodeGroupRecord(held));
  }
  deleteHeldKeyPackage(peerId: string): this {
    return this.del(KEY.heldKeyPackage(peerId));
  }
  putKeyPackageSecret(secret: KeyPackageSecretRecord): this {
    return this.put(KEY.keyPackageSecret(secret.ref), encodeGroupRecord(secret));
  }
  deleteKeyPackageSecret(ref: string): this {
    return this.del(KEY.keyPackageSecret(ref));
  }
  // Files (./file-records.ts).
  putFile(file: FileRecord): this {
    return this.put(KEY.file(file.id), encodeJson(file));
  }
  /** Deletes a file's record, manifest and bitmap (not its chunks: deleteFileChunk). */
  deleteFile(fileId: string): this {
    return this.del(KEY.file(fileId)).del(KEY.fileManifest(fileId)).del(KEY.fileBitmap(fileId)).del(KEY.fileWritten(fileId));
  }
  putFileManifest(fileId: string, manifest: Uint8Array): this {
    return this.put(KEY.fileManifest(fileId), manifest);
  }
  /** Which chunks are written: bit `i mod 8` of byte `floor(i/8)` for chunk i. */
  putFileBitmap(fileId: string, bitmap: Uint8Array): this {
    return this.put(KEY.fileBitmap(fileId), bitmap);
  }
  /** Chunks written since the last flush (not yet in the fbits: bitmap): a kill -9 loses none of them; after a power loss they are checked by hash. */
  putFileWritten(fileId: string, bitmap: Uint8Array): this {
    return this.put(KEY.fileWritten(fileId), bitmap);
  }
  deleteFileWritten(fileId: string): this {
    return this.del(KEY.fileWritten(fileId));
  }
  /** A sealed chunk kept in the store itself (a page's files). */
  putFileChunk(fileId: string, index: number, sealed: Uint8Array): this {
    return this.put(KEY.fileChunk(fileId, index), sealed);
  }
  /** A received file message for the file service to take (./file-records.ts FileWantRecord). */
  putFileWant(want: FileWantRecord): this {
    return this.put(KEY.fileWant(want.messageId), encodeJson(want));
  }
  deleteFileWant(messageId: string): this {
    return this.del(KEY.fileWant(messageId));
  }
  deleteFileChunk(fileId: string, index: number): this {
    return this.del(KEY.fileChunk(fileId, index));
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
   * Checks the schema version, writing it into an empty store, and migrates
   * a store of schema 1 (or finishes a migration cut short) to the current
   * one (docs/PROTOCOL.md §16). Throws SchemaVersionError for a store
   * written by an unknown version, and the backend's write errors (the
   * migration then resumes at the next open).
   */
  async open(): Promise<this> {
    const schema = await this.schemaState();
    if (schema === 'empty') await this.commit(new Tx().putSchema(), { sync: true });
    else if (schema === 'migrate') await migrateFromSchema1({ backend: this.backend, values: this.values, names: this.names, schema: STORE_SCHEMA_VERSION });
    return this;
  }

  /**
   * What open() would do, without writing: 'empty' (a new store),
   * 'current', or 'migrate' (schema 1, or a migration under way). Throws
   * SchemaVersionError for a store of an unknown version, StoreCorruptError.
   */
  async schemaState(): Promise<'empty' | 'current' | 'migrate'> {
    const version = await this.get(KEY.schema, (key, raw) => decodeNumbers(key, raw, ['version'])['version']!);
    if (version === undefined) return 'empty';
    if (version === MIGRATION_FROM) return 'migrate';
    if (version !== STORE_SCHEMA_VERSION) throw new SchemaVersionError(version, STORE_SCHEMA_VERSION);
    return (await this.get(KEY.migration, (key, raw) => decodeNumbers(key, raw, ['from']))) === undefined ? 'current' : 'migrate';
  }

  /** The record under a logical key, decoded by `decode` (given the physical key, so errors name no one in an encrypted home). */
  private async get<T>(logical: string, decode: (key: string, raw: Uint8Array) => T): Promise<T | undefined> {
    const key = this.names.physical(logical);
    const stored = await this.backend.get(key);
    return stored === undefined ? undefined : decode(key, await this.values.decode(key, stored));
  }

  /** Several records in one backend read, in the order of `keys` (undefined where there is none). */
  private async getMany<T>(logical: readonly string[], decode: (key: string, raw: Uint8Array) => T): Promise<(T | undefined)[]> {
    const keys = logical.map((k) => this.names.physical(k));
    const stored = await this.backend.getMany(keys);
    return Promise.all(stored.map(async (v, i) => (v === undefined ? undefined : decode(keys[i]!, await this.values.decode(keys[i]!, v)))));
  }

  /** Decoded entries under a logical prefix, in key order; `after`: only keys after this logical key. */
  private async *range<T>(prefix: string, decode: (key: string, raw: Uint8Array) => T, options: { limit?: number; after?: string } = {}): AsyncGenerator<[string, T]> {
    const range = prefixRange(this.names.physical(prefix));
    const gte = options.after === undefined ? range.gte : `${this.names.physical(options.after)}\u0000`;
    for await (const [key, stored] of this.backend.entries({ gte, lt: range.lt, ...(options.limit === undefined ? {} : { limit: options.limit }) })) {
      yield [key, decode(key, await this.values.decode(key, stored))];
    }
  }

  async getIdentity(ctx: CryptoContext): Promise<IdentityKeyPair | undefined> {
    return this.get(KEY.identity, (_key, raw) => decodeIdentityKeyPair(ctx, raw));
  }

  async getPrekeys(): Promise<PrekeyState | undefined> {
    return this.get(KEY.prekeys, (_key, raw) => decodePrekeyState(raw));
  }

  async getProfile(): Promise<{ name: string } | undefined> {
    return this.get(KEY.profile, decodeProfile);
  }

  /** The next free sequence number (persist the advanced value with Tx.putSeq). */
  async getSeq(): Promise<number> {
    return (await this.get(KEY.seq, (key, raw) => decodeNumbers(key, raw, ['next'])['next']!)) ?? 1;
  }

  async getContact(name: string): Promise<ContactRecord | undefined> {
    return this.get(KEY.contact(name), decodeContact);
  }

  async getContactByPeer(peerId: string): Promise<ContactRecord | undefined> {
    const name = await this.get(KEY.peer(peerId), (_key, raw) => new TextDecoder().decode(raw));
    return name === undefined ? undefined : this.getContact(name);
  }

  async listContacts(): Promise<ContactRecord[]> {
    const out: ContactRecord[] = [];
    for await (const [, contact] of this.range('contact:', decodeContact)) out.push(contact);
    return out;
  }

  /** Every message request, in key order. */
  async listRequests(): Promise<RequestRecord[]> {
    const out: RequestRecord[] = [];
    for await (const [, request] of this.range('req:', decodeRequest)) out.push(request);
    return out;
  }

  /** Every blocked peer. */
  async listBlocks(): Promise<BlockRecord[]> {
    const out: BlockRecord[] = [];
    for await (const [, block] of this.range('block:', decodeBlock)) out.push(block);
    return out;
  }

  /** Every remembered peer (peer memory), in key order. */
  async listRememberedPeers(): Promise<RememberedPeerRecord[]> {
    const out: RememberedPeerRecord[] = [];
    for await (const [, peer] of this.range('netpeer:', decodeRememberedPeer)) out.push(peer);
    return out;
  }

  /** The addresses last announced to contacts, if any were. */
  async getAnnounced(): Promise<AnnouncedAddresses | undefined> {
    return this.get(KEY.announced, decodeAnnounced);
  }

  /**
   * Physical keys of everything stored about a conversation with `peerId`:
   * its messages, their id index and the seen marks of its envelopes
   * (delete them with Tx.deleteRaw). Not the session, the contact or a request.
   */
  async conversationKeys(peerId: string): Promise<string[]> {
    const out: string[] = [];
    for (const prefix of [`msg:${peerId}:`, `msgid:${peerId}:`, `seen:${peerId}:`]) {
      const range = prefixRange(this.names.physical(prefix));
      for await (const [key] of this.backend.entries(range)) out.push(key);
    }
    return out;
  }

  /** The session record with a contact; undefined when none, or when upgrading a version-1 record left no session (§11). */
  async getSession(peerId: string): Promise<SessionRecord | undefined> {
    const record = await this.get(KEY.session(peerId), (key, raw) => {
      try {
        return decodeSessionRecord(raw);
      } catch (err) {
        throw new StoreCorruptError(key, err instanceof Error ? err.message : 'undecodable');
      }
    });
    return record && record.sessions.length > 0 ? record : undefined;
  }

  /**
   * A conversation, oldest first; with `page`, only the newest `limit`
   * messages whose sequence number is below `before` (either may be left
   * out): enough to page back through a long conversation.
   */
  async listMessages(peerId: string, page: { before?: number; limit?: number } = {}): Promise<MessageRecord[]> {
    return this.page(`msg:${peerId}:`, (seq) => KEY.message(peerId, seq), decodeMessage, page);
  }

  /**
   * Records under `prefix` (keyed by seq through `keyOf`), oldest first: all
   * of them, or the newest `limit` below seq `before`, read backwards from
   * there and turned oldest first.
   */
  private async page<T>(prefix: string, keyOf: (seq: number) => string, decode: (key: string, raw: Uint8Array) => T, page: { before?: number; limit?: number }): Promise<T[]> {
    if (page.before === undefined && page.limit === undefined) return this.collect(prefix, decode);
    const range = prefixRange(this.names.physical(prefix));
    const lt = page.before === undefined ? range.lt : this.names.physical(keyOf(page.before));
    const out: T[] = [];
    for await (const [key, stored] of this.backend.entries({ gte: range.gte, lt, reverse: true, ...(page.limit === undefined ? {} : { limit: page.limit }) })) {
      out.push(decode(key, await this.values.decode(key, stored)));
    }
    return out.reverse();
  }

  async getMessage(peerId: string, id: string): Promise<MessageRecord | undefined> {
    const index = await this.get(KEY.messageId(peerId, id), decodeMessageIndex);
    return index === undefined ? undefined : this.get(KEY.message(peerId, index.seq), decodeMessage);
  }

  /** Ids of every message stored for a contact (from the id index's values). */
  async listMessageIds(peerId: string): Promise<string[]> {
    const out: string[] = [];
    for await (const [, index] of this.range(`msgid:${peerId}:`, decodeMessageIndex)) out.push(index.id);
    return out;
  }

  async getMail(mailboxKey: string, id: string): Promise<HeldMail | undefined> {
    return this.get(KEY.mail(mailboxKey, id), decodeHeld);
  }

  /** Several held items under one mailbox key in one read, in the order of `ids` (undefined for one not held). */
  async getMailMany(mailboxKey: string, ids: readonly string[]): Promise<(HeldMail | undefined)[]> {
    return this.getMany(
      ids.map((id) => KEY.mail(mailboxKey, id)),
      decodeHeld,
    );
  }

  /**
   * Mail held under one mailbox key, up to `limit` items, in deposit order
   * (storedAt, then the item id as stored: hashed in an encrypted home): a
   * sender's long backlog comes back in the order it was sent, which the
   * recipient's ratchet needs (it keeps a bounded number of skipped keys).
   * With `after`, only items that come after that one in deposit order.
   */
  async listMail(mailboxKey: string, limit: number, after?: MailPosition): Promise<{ id: string; held: HeldMail }[]> {
    const ids: string[] = [];
    const position = after ? { after: KEY.mailOrder(mailboxKey, after.storedAt, after.id) } : {};
    for await (const [, ref] of this.range(`mboxord:${mailboxKey}:`, decodeMailRef, { limit, ...position })) ids.push(ref.id);
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
    for await (const [, ref] of this.range('mboxord:', decodeMailRef)) ids.add(`${ref.mailboxKey}:${ref.id}`);
    return ids;
  }

  /** Every held item's key, id, size and expiry (to rebuild a mailbox's counters at start). */
  async *scanMail(): AsyncGenerator<{ mailboxKey: string; id: string; bytes: number; storedAt: number; expiresAt: number; stranger: boolean }> {
    for await (const [, held] of this.range('mbox:', decodeHeldMail)) {
      yield { mailboxKey: held.mailboxKey, id: held.id, bytes: held.item.length, storedAt: held.storedAt, expiresAt: held.expiresAt, stranger: held.stranger === true };
    }
  }

  /** Held items that expired before `now`, oldest first. */
  async listExpiredMail(now: number, limit: number): Promise<{ mailboxKey: string; id: string; expiresAt: number }[]> {
    const out: { mailboxKey: string; id: string; expiresAt: number }[] = [];
    // The expiry time is in clear in the key (its first component), so the range ends at `now`.
    const end = this.names.physical(`mboxexp:${padNumber(now)}`);
    for await (const [key, stored] of this.backend.entries({ ...prefixRange('mboxexp:'), lt: end, limit })) {
      const ref = decodeMailRef(key, await this.values.decode(key, stored));
      out.push({ ...ref, expiresAt: Number(key.slice('mboxexp:'.length, key.indexOf(':', 'mboxexp:'.length))) });
    }
    return out;
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    for await (const [, entry] of this.range('outbox:', decodeOutbox)) out.push(entry);
    return out;
  }

  async getSeen(peerId: string, hash: string): Promise<SeenRecord | undefined> {
    return (await this.get(KEY.seen(peerId, hash), decodeSeen))?.record;
  }

  /** A contact's seen-envelope markers, by envelope hash (for `sotto export`). */
  async listSeen(peerId: string): Promise<{ hash: string; record: SeenRecord }[]> {
    const out: { hash: string; record: SeenRecord }[] = [];
    for await (const [, seen] of this.range(`seen:${peerId}:`, decodeSeen)) out.push(seen);
    return out;
  }

  /** Keys (physical: delete them with Tx.deleteRaw) of seen markers older than `before` (ms). */
  async listSeenBefore(before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for await (const [key, seen] of this.range('seen:', decodeSeen)) {
      if (seen.record.at < before) {
        out.push(key);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  // Groups.

  /** Every group this member is or was in. */
  async listGroups(): Promise<GroupRecord[]> {
    return this.collect('group:', decodeGroup);
  }
  async getGroupState(groupId: string): Promise<Uint8Array | undefined> {
    return this.get(KEY.groupState(groupId), (_key, raw) => raw);
  }
  /**
   * A group's messages, oldest first; with `page`, the newest `limit` whose
   * seq is below `before` (as listMessages).
   */
  async listGroupMessages(groupId: string, page: { before?: number; limit?: number } = {}): Promise<GroupMessageRecord[]> {
    return this.page(`gmsg:${groupId}:`, (seq) => KEY.groupMessage(groupId, seq), decodeGroupMessage, page);
  }
  async getGroupMessage(groupId: string, id: string): Promise<GroupMessageRecord | undefined> {
    const index = await this.get(KEY.groupMessageId(groupId, id), decodeMessageIndex);
    return index === undefined ? undefined : this.get(KEY.groupMessage(groupId, index.seq), decodeGroupMessage);
  }
  async listGroupOutbox(): Promise<GroupOutboxEntry[]> {
    return this.collect('goutbox:', decodeGroupOutbox);
  }
  /** True when the group mailbox item `itemId` was processed. */
  async hasGroupSeen(groupId: string, itemId: string): Promise<boolean> {
    return (await this.get(KEY.groupSeen(groupId, itemId), decodeGroupSeen)) !== undefined;
  }
  async listGroupInvitations(): Promise<GroupInvitationRecord[]> {
    return this.collect('ginv:', decodeGroupInvitation);
  }
  async getHeldKeyPackage(peerId: string): Promise<HeldKeyPackage | undefined> {
    return this.get(KEY.heldKeyPackage(peerId), decodeHeldKeyPackage);
  }
  async listKeyPackageSecrets(): Promise<KeyPackageSecretRecord[]> {
    return this.collect('gkpsec:', decodeKeyPackageSecret);
  }

  // Files.

  async getFile(fileId: string): Promise<FileRecord | undefined> {
    return this.get(KEY.file(fileId), decodeFile);
  }
  /** Every file held, sent or received. */
  async listFiles(): Promise<FileRecord[]> {
    return this.collect('file:', decodeFile);
  }
  /** Received file messages the file service has not taken yet. */
  async listFileWants(): Promise<FileWantRecord[]> {
    return this.collect('fwant:', decodeFileWant);
  }
  async getFileManifest(fileId: string): Promise<Uint8Array | undefined> {
    return this.get(KEY.fileManifest(fileId), (_key, raw) => raw);
  }
  async getFileBitmap(fileId: string): Promise<Uint8Array | undefined> {
    return this.get(KEY.fileBitmap(fileId), (_key, raw) => raw);
  }
  async getFileWritten(fileId: string): Promise<Uint8Array | undefined> {
    return this.get(KEY.fileWritten(fileId), (_key, raw) => raw);
  }
  async getFileChunk(fileId: string, index: number): Promise<Uint8Array | undefined> {
    return this.get(KEY.fileChunk(fileId, index), (_key, raw) => raw);
  }

  /** Every record under a logical prefix, decoded, in key order. */
  private async collect<T>(prefix: string, decode: (key: string, raw: Uint8Array) => T): Promise<T[]> {
    const out: T[] = [];
    for await (const [, value] of this.range(prefix, decode)) out.push(value);
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
