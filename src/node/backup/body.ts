/**
 * The plaintext body of a backup archive (docs/PROTOCOL.md, "Backup
 * archive"): everything a home needs to be restored elsewhere, as a list of
 * records named like the local store's logical keys (§16) and encoded like
 * its values (§11 binary records, §16 JSON).
 *
 *   body   = u64 createdAt (ms) || u32 count || count × record
 *   record = u32 keyLength || key (UTF-8) || u32 valueLength || value
 *
 * Kinds: meta:identity, meta:prekeys, meta:seq (each exactly once),
 * meta:profile (at most once), contact:<name>, session:<peerId>,
 * msg:<peerId>:<seq, 16 digits>, outbox:<seq, 16 digits>,
 * seen:<peerId>:<SHA-256 hex> (value {"at","messageId"}: schema 1's form,
 * the hash being in the name). Indexes (peer:, msgid:), the schema and the
 * keyring are not carried: the importing store rebuilds or writes its own.
 * The archive format is versioned apart from the store: a change of the
 * store's layout does not change what an archive of version 1 means.
 *
 * The decoder checks every length before it copies, every key's shape,
 * every value with the store's own decoders, and the records' consistency
 * (unique keys and peers, sequence numbers below meta:seq) before it returns
 * anything, so an import either has a complete, sound snapshot or writes
 * nothing.
 */
import { Reader, Writer, type Bytes } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { decodeIdentityKeyPair, encodeIdentityKeyPair, type IdentityKeyPair } from '../../crypto/identity.ts';
import { decodePrekeyState, encodePrekeyState, type PrekeyState } from '../../crypto/prekeys.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../../crypto/session-codec.ts';
import type { SessionRecord } from '../../crypto/session.ts';
import { StoreCorruptError } from '../errors.ts';
import { checkStoredContactName } from '../contacts/names.ts';
import { isPeerId } from '../encoding/peer-id.ts';
import {
  decodeContact,
  decodeMessage,
  decodeNumbers,
  decodeOutbox,
  decodeProfile,
  decodeSeenRecord,
  encodeJson,
  type ContactRecord,
  type MessageRecord,
  type OutboxEntry,
  type SeenRecord,
} from '../store/records.ts';
import { MAX_BACKUP_BYTES, MAX_BACKUP_KEY_BYTES, MAX_BACKUP_RECORDS, MAX_BACKUP_VALUE_BYTES, MIN_BACKUP_RECORD_BYTES } from './constants.ts';
import { BackupCorruptError, BackupTooLargeError } from './errors.ts';

/** Everything an archive restores, as typed records. */
export interface BackupSnapshot {
  /** When the archive was made, ms. */
  readonly createdAt: number;
  readonly identity: IdentityKeyPair;
  readonly prekeys: PrekeyState;
  readonly profile: { readonly name: string } | undefined;
  /** The store's next free sequence number. */
  readonly seq: number;
  readonly contacts: readonly ContactRecord[];
  readonly sessions: readonly { readonly peerId: string; readonly record: SessionRecord }[];
  /** Every contact's conversation. */
  readonly messages: readonly MessageRecord[];
  readonly outbox: readonly OutboxEntry[];
  /** Envelopes already processed (so a re-delivered copy is acked, not decrypted twice). */
  readonly seen: readonly { readonly peerId: string; readonly hash: string; readonly record: SeenRecord }[];
}

/** Width of zero-padded sequence numbers in keys, as in the store (§16). */
const SEQ_DIGITS = 16;
const SEQ = /^\d{16}$/;
/** A seen marker's name: the SHA-256 of the envelope, lower-case hex. */
const ENVELOPE_HASH = /^[0-9a-f]{64}$/;
const WHAT = 'backup body';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const pad = (seq: number): string => String(seq).padStart(SEQ_DIGITS, '0');

/** The records of a snapshot, as (key, value) pairs in a fixed order. */
function records(s: BackupSnapshot): [string, Bytes][] {
  const out: [string, Bytes][] = [
    ['meta:identity', encodeIdentityKeyPair(s.identity)],
    ['meta:prekeys', encodePrekeyState(s.prekeys)],
    ['meta:seq', encodeJson({ next: s.seq })],
  ];
  if (s.profile) out.push(['meta:profile', encodeJson({ name: s.profile.name })]);
  for (const c of s.contacts) out.push([`contact:${c.name}`, encodeJson(c)]);
  for (const { peerId, record } of s.sessions) out.push([`session:${peerId}`, encodeSessionRecord(record)]);
  for (const m of s.messages) out.push([`msg:${m.peerId}:${pad(m.seq)}`, encodeJson(m)]);
  for (const e of s.outbox) out.push([`outbox:${pad(e.seq)}`, encodeJson(e)]);
  for (const { peerId, hash, record } of s.seen) out.push([`seen:${peerId}:${hash}`, encodeJson(record)]);
  return out;
}

/**
 * Encodes a snapshot as an archive body. Throws BackupTooLargeError when the
 * body exceeds MAX_BACKUP_BYTES, RangeError when one record exceeds the
 * per-record limits (both before anything is written anywhere).
 */
export function encodeBackupBody(snapshot: BackupSnapshot): Bytes {
  const list = records(snapshot);
  if (list.length > MAX_BACKUP_RECORDS) throw new RangeError(`encodeBackupBody: ${list.length} records exceed ${MAX_BACKUP_RECORDS}`);
  let size = 8 + 4;
  const encoded = list.map(([key, value]) => {
    const k = encoder.encode(key);
    if (k.length > MAX_BACKUP_KEY_BYTES) throw new RangeError(`encodeBackupBody: a ${kindOf(key)} key of ${k.length} bytes exceeds ${MAX_BACKUP_KEY_BYTES}`);
    if (value.length > MAX_BACKUP_VALUE_BYTES) throw new RangeError(`encodeBackupBody: a ${kindOf(key)} value of ${value.length} bytes exceeds ${MAX_BACKUP_VALUE_BYTES}`);
    size += MIN_BACKUP_RECORD_BYTES + k.length + value.length;
    return [k, value] as const;
  });
  if (size > MAX_BACKUP_BYTES) throw new BackupTooLargeError(size, MAX_BACKUP_BYTES);
  const w = new Writer(size).u64(snapshot.createdAt).u32(encoded.length);
  for (const [k, v] of encoded) w.varBytes(k).varBytes(v);
  return w.finish();
}

/** The kind of a key (its first component): the only part of a key an error may name. */
function kindOf(key: string): string {
  const colon = key.indexOf(':');
  return colon < 0 ? key : key.slice(0, colon);
}

/** Runs a record decoder, turning its errors into BackupCorruptError naming only the kind. */
async function decodeAs<T>(kind: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof BackupCorruptError) throw err;
    const reason = err instanceof DecodeError || err instanceof StoreCorruptError ? err.reason : err instanceof Error ? err.name : 'undecodable';
    throw new BackupCorruptError(`${kind} record: ${reason}`);
  }
}

function peerIdIn(kind: string, peerId: string): string {
  if (!isPeerId(peerId)) throw new BackupCorruptError(`${kind} record: not a peer id`);
  return peerId;
}

/** Builds the snapshot from decoded records, checking what the store relies on. */
class SnapshotBuilder {
  identity: IdentityKeyPair | undefined;
  prekeys: PrekeyState | undefined;
  profile: { name: string } | undefined;
  seq: number | undefined;
  readonly contacts: ContactRecord[] = [];
  readonly sessions: { peerId: string; record: SessionRecord }[] = [];
  readonly messages: MessageRecord[] = [];
  readonly outbox: OutboxEntry[] = [];
  readonly seen: { peerId: string; hash: string; record: SeenRecord }[] = [];

  constructor(private readonly ctx: CryptoContext) {}

  async add(key: string, value: Bytes): Promise<void> {
    const kind = kindOf(key);
    const rest = key.slice(kind.length + 1);
    switch (kind) {
      case 'meta':
        return this.addMeta(rest, value);
      case 'contact': {
        const contact = await decodeAs(kind, () => decodeContact(key, value));
        await decodeAs(kind, () => checkStoredContactName(contact.name));
        if (contact.name !== rest) throw new BackupCorruptError('contact record: its name differs from its key');
        peerIdIn(kind, contact.peerId);
        this.contacts.push(contact);
        return;
      }
      case 'session': {
        const record = await decodeAs(kind, () => decodeSessionRecord(value));
        // A version-1 record whose only session was still unanswered upgrades to none (§11).
        if (record.sessions.length > 0) this.sessions.push({ peerId: peerIdIn(kind, rest), record });
        return;
      }
      case 'msg': {
        const [peerId = '', seq = ''] = splitLast(rest);
        const message = await decodeAs(kind, () => decodeMessage(key, value));
        if (!SEQ.test(seq) || message.seq !== Number(seq) || message.peerId !== peerIdIn(kind, peerId)) throw new BackupCorruptError('msg record: its key differs from its value');
        this.messages.push(message);
        return;
      }
      case 'outbox': {
        const entry = await decodeAs(kind, () => decodeOutbox(key, value));
        if (!SEQ.test(rest) || entry.seq !== Number(rest)) throw new BackupCorruptError('outbox record: its key differs from its value');
        peerIdIn(kind, entry.peerId);
        this.outbox.push(entry);
        return;
      }
      case 'seen': {
        const [peerId = '', hash = ''] = splitLast(rest);
        if (!ENVELOPE_HASH.test(hash)) throw new BackupCorruptError('seen record: not an envelope hash');
        this.seen.push({ peerId: peerIdIn(kind, peerId), hash, record: await decodeAs(kind, () => decodeSeenRecord(key, value)) });
        return;
      }
      default:
        throw new BackupCorruptError('unknown record kind');
    }
  }

  private async addMeta(name: string, value: Bytes): Promise<void> {
    const key = `meta:${name}`;
    if (name === 'identity') this.identity = await decodeAs(key, () => decodeIdentityKeyPair(this.ctx, value));
    else if (name === 'prekeys') this.prekeys = await decodeAs(key, () => decodePrekeyState(value));
    else if (name === 'profile') this.profile = await decodeAs(key, () => decodeProfile(key, value));
    else if (name === 'seq') this.seq = (await decodeAs(key, () => decodeNumbers(key, value, ['next'])))['next'];
    else throw new BackupCorruptError('unknown meta record');
  }

  finish(createdAt: number): BackupSnapshot {
    const { identity, prekeys, seq } = this;
    if (!identity) throw new BackupCorruptError('no identity');
    if (!prekeys) throw new BackupCorruptError('no prekeys');
    if (seq === undefined) throw new BackupCorruptError('no sequence counter');
    if (new Set(this.contacts.map((c) => c.peerId)).size !== this.contacts.length) throw new BackupCorruptError('two contacts share a peer id');
    const ids = new Set(this.messages.map((m) => `${m.peerId}:${m.id}`));
    if (ids.size !== this.messages.length) throw new BackupCorruptError('two messages share an id');
    // A restored store hands out sequence numbers from meta:seq on; one already used would overwrite a record.
    if ([...this.messages, ...this.outbox].some((r) => r.seq >= seq)) throw new BackupCorruptError('a sequence number is not below the counter');
    return { createdAt, identity, prekeys, profile: this.profile, seq, contacts: this.contacts, sessions: this.sessions, messages: this.messages, outbox: this.outbox, seen: this.seen };
  }
}

/** "a:b:c" → ["a:b", "c"]: peer ids contain no colon, the last component is a number or hash. */
function splitLast(rest: string): [string, string] {
  const colon = rest.lastIndexOf(':');
  return colon < 0 ? [rest, ''] : [rest.slice(0, colon), rest.slice(colon + 1)];
}

/**
 * Decodes and checks an archive body (already authenticated). Throws
 * BackupCorruptError, naming at most a record's kind, never its key or
 * contents.
 */
export async function decodeBackupBody(ctx: CryptoContext, body: Bytes): Promise<BackupSnapshot> {
  let r: Reader;
  let createdAt: number;
  let count: number;
  try {
    r = new Reader(body, WHAT);
    createdAt = r.u64('created at');
    count = r.u32('record count');
  } catch (err) {
    throw new BackupCorruptError(err instanceof DecodeError ? err.reason : 'undecodable');
  }
  if (count > MAX_BACKUP_RECORDS || count * MIN_BACKUP_RECORD_BYTES > r.remaining) throw new BackupCorruptError(`record count ${count} out of range`);
  const builder = new SnapshotBuilder(ctx);
  const keys = new Set<string>();
  for (let i = 0; i < count; i++) {
    let key: string;
    let value: Bytes;
    try {
      key = decoder.decode(r.varBytes('key', MAX_BACKUP_KEY_BYTES, 1));
      value = r.varBytes('value', MAX_BACKUP_VALUE_BYTES);
    } catch (err) {
      throw new BackupCorruptError(err instanceof DecodeError ? err.reason : 'a key is not UTF-8');
    }
    if (keys.has(key)) throw new BackupCorruptError('a record appears twice');
    keys.add(key);
    await builder.add(key, value);
  }
  if (r.remaining !== 0) throw new BackupCorruptError(`${r.remaining} trailing bytes`);
  return builder.finish(createdAt);
}
