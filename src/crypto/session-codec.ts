/**
 * Storage encoding of a {@link SessionRecord} (docs/PROTOCOL.md, "Stored
 * session record"). Separate from the wire format and versioned on its own.
 * The decoder checks every count against the protocol limits before reading
 * the items, so a corrupt or hostile record cannot make it allocate much.
 */
import { Reader, Writer, type Bytes } from './bytes.ts';
import {
  ED25519_KEY_BYTES,
  LABEL_ASSOCIATED_DATA,
  MAX_ARCHIVED_SESSIONS,
  MAX_PREVIOUS_RECEIVING_CHAINS,
  MAX_SKIPPED_KEYS_PER_CHAIN,
  MLKEM768_SEED_BYTES,
  OLDEST_SESSION_STORAGE_VERSION,
  PQ_MAX_KEPT_EPOCHS,
  SESSION_STORAGE_VERSION,
  SYMMETRIC_KEY_BYTES,
  X25519_KEY_BYTES,
} from './constants.ts';
import { DecodeError } from './errors.ts';
import { readPrekeyHeader, writePrekeyHeader } from './envelope.ts';
import { readIdentityPublic, writeIdentityPublic } from './identity.ts';
import { blobBytes, blobParts, initPqState, type PqEpochKey, type PqState } from './pq-ratchet.ts';
import type { RatchetState, SkippedChain, SkippedKey } from './ratchet.ts';
import type { SessionRecord, SessionState } from './session.ts';
import { readVersion } from './version.ts';

const WHAT = 'stored session record';
const ROLE_INITIATOR = 0;
const ROLE_RESPONDER = 1;
/** AD = label || two (Ed25519 || X25519) identity key pairs. */
const AD_BYTES = LABEL_ASSOCIATED_DATA.length + 2 * (ED25519_KEY_BYTES + X25519_KEY_BYTES);

// Presence bits of the optional ratchet fields.
const HAS_RECEIVING_RATCHET_KEY = 0x01;
const HAS_SENDING_CHAIN = 0x02;
const HAS_RECEIVING_CHAIN = 0x04;
const HAS_SENDING_HEADER_KEY = 0x08;
const HAS_RECEIVING_HEADER_KEY = 0x10;
const KNOWN_PRESENCE = 0x1f;

// Presence bits of the PQ ratchet's optional fields.
const HAS_PQ_OUTGOING = 0x01;
const HAS_PQ_INCOMING = 0x02;
const HAS_PQ_SEED = 0x04;
const KNOWN_PQ_PRESENCE = 0x07;
/** Epoch keys a PQ state holds at most: the kept past epochs and the newest two. */
const MAX_PQ_KEYS = PQ_MAX_KEPT_EPOCHS + 2;
/** The PQ epoch 0 key of a session stored by version 1 (it had none, §11). */
const UPGRADED_EPOCH_KEY = new Uint8Array(SYMMETRIC_KEY_BYTES);

function writePq(w: Writer, pq: PqState): void {
  w.u8(pq.parity).u32(pq.sendEpoch).u8(pq.keys.length);
  for (const k of pq.keys) w.u32(k.epoch).fixed(k.key, SYMMETRIC_KEY_BYTES);
  w.u8((pq.outgoing ? HAS_PQ_OUTGOING : 0) | (pq.incoming ? HAS_PQ_INCOMING : 0) | (pq.ownSeed ? HAS_PQ_SEED : 0));
  if (pq.outgoing) {
    const o = pq.outgoing;
    w.u32(o.blob).fixed(o.bytes, blobBytes(o.blob)).u32(o.sent).u64(o.startedAt).u32(o.elapsed);
  }
  if (pq.incoming) w.u32(pq.incoming.blob).fixed(pq.incoming.bytes, blobBytes(pq.incoming.blob)).u32(pq.incoming.have);
  if (pq.ownSeed) w.fixed(pq.ownSeed, MLKEM768_SEED_BYTES);
}

function readBlobIndex(r: Reader, field: string): number {
  const blob = r.u32(field);
  if (blob < 1) throw new DecodeError(WHAT, `${field} ${blob}`);
  return blob;
}

function readPq(r: Reader): PqState {
  const parity = r.u8('PQ parity');
  if (parity > 1) throw new DecodeError(WHAT, `PQ parity ${parity}`);
  const sendEpoch = r.u32('PQ send epoch');
  const keyCount = r.u8('PQ key count');
  if (keyCount < 1 || keyCount > MAX_PQ_KEYS) throw new DecodeError(WHAT, `PQ key count ${keyCount}`);
  const keys: PqEpochKey[] = [];
  for (let i = 0; i < keyCount; i++) {
    const epoch = r.u32('PQ epoch');
    if (i > 0 && epoch <= keys[i - 1]!.epoch) throw new DecodeError(WHAT, 'PQ epochs not ascending');
    keys.push({ epoch, key: r.fixed(SYMMETRIC_KEY_BYTES, 'PQ epoch key') });
  }
  if (!keys.some((k) => k.epoch === sendEpoch)) throw new DecodeError(WHAT, `no key for the PQ send epoch ${sendEpoch}`);
  const presence = r.u8('PQ presence flags');
  if ((presence & ~KNOWN_PQ_PRESENCE) !== 0) throw new DecodeError(WHAT, `unknown PQ presence flags 0x${presence.toString(16)}`);
  let outgoing: PqState['outgoing'] = null;
  if (presence & HAS_PQ_OUTGOING) {
    const blob = readBlobIndex(r, 'PQ outgoing blob');
    outgoing = { blob, bytes: r.fixed(blobBytes(blob), 'PQ outgoing bytes'), sent: r.u32('PQ parts sent'), startedAt: r.u64('PQ blob time'), elapsed: r.u32('PQ blob messages') };
  }
  let incoming: PqState['incoming'] = null;
  if (presence & HAS_PQ_INCOMING) {
    const blob = readBlobIndex(r, 'PQ incoming blob');
    const bytes = r.fixed(blobBytes(blob), 'PQ incoming bytes');
    const have = r.u32('PQ parts received');
    if (have >= 2 ** blobParts(blob)) throw new DecodeError(WHAT, 'PQ parts beyond the blob');
    incoming = { blob, bytes, have };
  }
  const ownSeed = presence & HAS_PQ_SEED ? r.fixed(MLKEM768_SEED_BYTES, 'PQ seed') : null;
  return { parity: parity === 1 ? 1 : 0, sendEpoch, keys, outgoing, incoming, ownSeed };
}

function writeOptional(w: Writer, value: Bytes | null): void {
  if (value) w.fixed(value, SYMMETRIC_KEY_BYTES);
}

function writeRatchet(w: Writer, s: RatchetState): void {
  w.fixed(s.rootKey, SYMMETRIC_KEY_BYTES).fixed(s.sendingRatchetKey.privateKey, X25519_KEY_BYTES).fixed(s.sendingRatchetKey.publicKey, X25519_KEY_BYTES);
  const presence =
    (s.receivingRatchetKey ? HAS_RECEIVING_RATCHET_KEY : 0) |
    (s.sendingChainKey ? HAS_SENDING_CHAIN : 0) |
    (s.receivingChainKey ? HAS_RECEIVING_CHAIN : 0) |
    (s.sendingHeaderKey ? HAS_SENDING_HEADER_KEY : 0) |
    (s.receivingHeaderKey ? HAS_RECEIVING_HEADER_KEY : 0);
  w.u8(presence);
  writeOptional(w, s.receivingRatchetKey);
  writeOptional(w, s.sendingChainKey);
  writeOptional(w, s.receivingChainKey);
  writeOptional(w, s.sendingHeaderKey);
  writeOptional(w, s.receivingHeaderKey);
  w.fixed(s.nextSendingHeaderKey, SYMMETRIC_KEY_BYTES).fixed(s.nextReceivingHeaderKey, SYMMETRIC_KEY_BYTES);
  w.u32(s.sendCount).u32(s.receiveCount).u32(s.previousSendCount).u32(s.dhSteps);
  w.fixed(s.associatedData, AD_BYTES);
  w.u8(s.skipped.length);
  for (const chain of s.skipped) {
    w.fixed(chain.headerKey, SYMMETRIC_KEY_BYTES).u32(chain.step).u16(chain.keys.length);
    for (const k of chain.keys) w.u32(k.counter).fixed(k.seed, SYMMETRIC_KEY_BYTES).u64(k.storedAt);
  }
  writePq(w, s.pq);
}

function readRatchet(r: Reader, version: number, role: 'initiator' | 'responder'): RatchetState {
  const rootKey = r.fixed(SYMMETRIC_KEY_BYTES, 'root key');
  const sendingRatchetKey = { privateKey: r.fixed(X25519_KEY_BYTES, 'ratchet private key'), publicKey: r.fixed(X25519_KEY_BYTES, 'ratchet public key') };
  const presence = r.u8('presence flags');
  if ((presence & ~KNOWN_PRESENCE) !== 0) throw new DecodeError(WHAT, `unknown presence flags 0x${presence.toString(16)}`);
  const optional = (bit: number, field: string): Bytes | null => (presence & bit ? r.fixed(SYMMETRIC_KEY_BYTES, field) : null);
  const receivingRatchetKey = optional(HAS_RECEIVING_RATCHET_KEY, 'receiving ratchet key');
  const sendingChainKey = optional(HAS_SENDING_CHAIN, 'sending chain key');
  const receivingChainKey = optional(HAS_RECEIVING_CHAIN, 'receiving chain key');
  const sendingHeaderKey = optional(HAS_SENDING_HEADER_KEY, 'sending header key');
  const receivingHeaderKey = optional(HAS_RECEIVING_HEADER_KEY, 'receiving header key');
  const nextSendingHeaderKey = r.fixed(SYMMETRIC_KEY_BYTES, 'next sending header key');
  const nextReceivingHeaderKey = r.fixed(SYMMETRIC_KEY_BYTES, 'next receiving header key');
  const sendCount = r.u32('send count');
  const receiveCount = r.u32('receive count');
  const previousSendCount = r.u32('previous send count');
  const dhSteps = r.u32('DH steps');
  const ad = r.fixed(AD_BYTES, 'associated data');
  const chainCount = r.u8('skipped chain count');
  if (chainCount > MAX_PREVIOUS_RECEIVING_CHAINS + 1) throw new DecodeError(WHAT, `skipped chain count ${chainCount}`);
  const skipped: SkippedChain[] = [];
  for (let c = 0; c < chainCount; c++) {
    const headerKey = r.fixed(SYMMETRIC_KEY_BYTES, 'skipped chain header key');
    const step = r.u32('skipped chain step');
    const keyCount = r.u16('skipped key count');
    if (keyCount === 0 || keyCount > MAX_SKIPPED_KEYS_PER_CHAIN) throw new DecodeError(WHAT, `skipped key count ${keyCount}`);
    const keys: SkippedKey[] = [];
    for (let i = 0; i < keyCount; i++) keys.push({ counter: r.u32('skipped counter'), seed: r.fixed(SYMMETRIC_KEY_BYTES, 'skipped key'), storedAt: r.u64('skipped key time') });
    skipped.push({ headerKey, step, keys });
  }
  const pq = version === 1 ? initPqState(role, UPGRADED_EPOCH_KEY) : readPq(r);
  return {
    rootKey,
    sendingRatchetKey,
    receivingRatchetKey,
    sendingChainKey,
    receivingChainKey,
    sendingHeaderKey,
    receivingHeaderKey,
    nextSendingHeaderKey,
    nextReceivingHeaderKey,
    sendCount,
    receiveCount,
    previousSendCount,
    dhSteps,
    skipped,
    associatedData: ad,
    pq,
  };
}

/** Encodes a session record for storage. */
export function encodeSessionRecord(record: SessionRecord): Bytes {
  const w = new Writer(1024);
  w.u8(SESSION_STORAGE_VERSION).u8(record.sessions.length);
  for (const s of record.sessions) {
    w.fixed(s.id, X25519_KEY_BYTES).u8(s.role === 'initiator' ? ROLE_INITIATOR : ROLE_RESPONDER);
    writeIdentityPublic(w, s.remoteIdentity);
    if (s.pendingPrekey) {
      w.u8(1);
      writePrekeyHeader(w, s.pendingPrekey);
    } else {
      w.u8(0);
    }
    writeRatchet(w, s.ratchet);
  }
  return w.finish();
}

/**
 * Decodes a stored session record; throws DecodeError, VersionTooOldError or
 * VersionTooNewError. A version-1 record is upgraded (§11): each session gets
 * a PQ ratchet starting from an all-zero epoch key, and an initiator's
 * session still waiting for its first answer is dropped (its agreement was
 * v1's), so the record may come back with no session at all.
 */
export function decodeSessionRecord(bytes: Bytes): SessionRecord {
  const r = new Reader(bytes, WHAT);
  const version = readVersion(r, WHAT, SESSION_STORAGE_VERSION, OLDEST_SESSION_STORAGE_VERSION);
  const count = r.u8('session count');
  if (count < 1 || count > 1 + MAX_ARCHIVED_SESSIONS) throw new DecodeError(WHAT, `session count ${count}`);
  const sessions: SessionState[] = [];
  for (let i = 0; i < count; i++) {
    const id = r.fixed(X25519_KEY_BYTES, 'session id');
    const roleByte = r.u8('role');
    if (roleByte !== ROLE_INITIATOR && roleByte !== ROLE_RESPONDER) throw new DecodeError(WHAT, `role ${roleByte}`);
    const remoteIdentity = readIdentityPublic(r);
    const hasPending = r.u8('pending prekey flag');
    if (hasPending > 1) throw new DecodeError(WHAT, 'pending prekey flag is not 0 or 1');
    const pendingPrekey = hasPending === 1 ? readPrekeyHeader(r, WHAT) : null;
    if (pendingPrekey && roleByte !== ROLE_INITIATOR) throw new DecodeError(WHAT, 'responder session with a pending prekey header');
    const role = roleByte === ROLE_INITIATOR ? 'initiator' : 'responder';
    const ratchet = readRatchet(r, version, role);
    if (version === 1 && pendingPrekey) continue;
    sessions.push({ id, role, remoteIdentity, pendingPrekey, ratchet });
  }
  r.end();
  return { sessions };
}
