/**
 * The post-quantum ratchet of protocol v2 (docs/PROTOCOL.md §7a): ML-KEM-768
 * exchanges that run inside the Double Ratchet's messages and feed a chain
 * of epoch keys, which every message key is derived under.
 *
 * The two sides take turns. Blob b (b = 1, 2, …) is sent by the initiator
 * when b is odd, by the responder when it is even. Blob 1 is the initiator's
 * ML-KEM encapsulation key; every later blob is a ciphertext to the key in
 * the blob before it, followed by a fresh key of the sender's. Completing
 * blob b gives epoch key b = HKDF(KEM secret, epoch key b−1); epoch 0 comes
 * from the session agreement. A blob travels in parts after the padded body
 * of its sender's messages, cycling until the other side has it all (blob 1
 * goes whole in every message until then); the sender learns that when a
 * message names epoch b.
 *
 * A message names the newest epoch its sender knows the receiver holds: the
 * receiver of blob b uses b as soon as it completed it; the sender of blob b,
 * which knew the key from the start, only once it saw b named.
 *
 * Pure functions over a serialisable state; randomness and time come from
 * the injected context.
 */
import { concatBytes, type Bytes } from './bytes.ts';
import {
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_ENCAPS_RANDOM_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  MLKEM768_SEED_BYTES,
  PQ_EPOCH_MARGIN_MESSAGES,
  PQ_EPOCH_MAX_AGE_MS,
  PQ_EPOCH_MAX_MESSAGES,
  PQ_MAX_KEPT_EPOCHS,
  PQ_PART_BYTES,
} from './constants.ts';
import type { CryptoContext } from './context.ts';
import { DecodeError, DuplicateMessageError, InvalidPublicKeyError } from './errors.ts';
import { nextEpochKey } from './kdf.ts';

/** The key of one PQ epoch. */
export interface PqEpochKey {
  readonly epoch: number;
  readonly key: Bytes;
}

/** Our blob on its way to the other side. */
export interface PqOutgoing {
  readonly blob: number;
  readonly bytes: Bytes;
  /** Parts sent so far (the next is `(sent + ⌊sent / parts⌋) mod parts`). */
  readonly sent: number;
  /** When the blob was made (context clock, ms). */
  readonly startedAt: number;
  /** Messages sent and received on the session since the blob was made. */
  readonly elapsed: number;
}

/** The other side's blob, being collected. */
export interface PqIncoming {
  readonly blob: number;
  readonly bytes: Bytes;
  /** Bit i set: part i arrived. */
  readonly have: number;
}

/** The post-quantum ratchet's state in one session. */
export interface PqState {
  /** 1 for the initiator (sends the odd blobs), 0 for the responder. */
  readonly parity: 0 | 1;
  /** The epoch our messages name. */
  readonly sendEpoch: number;
  /** Known epoch keys, ascending by epoch. */
  readonly keys: readonly PqEpochKey[];
  readonly outgoing: PqOutgoing | null;
  readonly incoming: PqIncoming | null;
  /** ML-KEM seed (d || z) of the key our last blob carried: it opens the next ciphertext. */
  readonly ownSeed: Bytes | null;
}

/** What one message says about the PQ ratchet (in its encrypted header). */
export interface PqStamp {
  /** The epoch whose key the message key is derived under. */
  readonly epoch: number;
  /** First part carried (0 when none). */
  readonly firstPart: number;
  /** Parts carried after the padded body (0..parts of the blob). */
  readonly partCount: number;
}

/** Bytes of blob `b`: an encapsulation key for blob 1, ciphertext || key after it. */
export function blobBytes(blob: number): number {
  return blob === 1 ? MLKEM768_PUBLIC_KEY_BYTES : MLKEM768_CIPHERTEXT_BYTES + MLKEM768_PUBLIC_KEY_BYTES;
}

/** Parts of blob `b` (the last may be shorter than PQ_PART_BYTES). */
export function blobParts(blob: number): number {
  return Math.ceil(blobBytes(blob) / PQ_PART_BYTES);
}

function partSpan(blob: number, index: number): { start: number; end: number } {
  const start = index * PQ_PART_BYTES;
  return { start, end: Math.min(start + PQ_PART_BYTES, blobBytes(blob)) };
}

/** The blob whose parts a message naming `epoch` carries: the sender's own, epoch + 1. */
function carriedBlob(stamp: PqStamp): number {
  return stamp.epoch + 1;
}

/**
 * Bytes of KEM material after the padded body of a message with this stamp.
 * Throws DecodeError for a part range the blob does not have.
 */
export function stampPartBytes(stamp: PqStamp): number {
  if (stamp.partCount === 0) {
    if (stamp.firstPart !== 0) throw new DecodeError('message header', 'a first part without parts');
    return 0;
  }
  const blob = carriedBlob(stamp);
  const parts = blobParts(blob);
  if (stamp.partCount > parts || stamp.firstPart >= parts) throw new DecodeError('message header', `parts ${stamp.firstPart}+${stamp.partCount} of a blob of ${parts}`);
  let total = 0;
  for (let i = 0; i < stamp.partCount; i++) {
    const span = partSpan(blob, (stamp.firstPart + i) % parts);
    total += span.end - span.start;
  }
  return total;
}

/** The PQ state of a new session; `epochKey` is epoch 0's key (from the agreement, §6). */
export function initPqState(role: 'initiator' | 'responder', epochKey: Bytes): PqState {
  return { parity: role === 'initiator' ? 1 : 0, sendEpoch: 0, keys: [{ epoch: 0, key: epochKey }], outgoing: null, incoming: null, ownSeed: null };
}

function newestEpoch(pq: PqState): number {
  return pq.keys[pq.keys.length - 1]!.epoch;
}

/** The key of `epoch`. Throws DuplicateMessageError when it was deleted, DecodeError when it never existed. */
export function epochKey(pq: PqState, epoch: number): Bytes {
  const found = pq.keys.find((k) => k.epoch === epoch);
  if (found) return found.key;
  if (epoch > newestEpoch(pq)) throw new DecodeError('message header', `PQ epoch ${epoch} is ahead of ${newestEpoch(pq)}`);
  throw new DuplicateMessageError(epoch);
}

function keyOf(pq: PqState, epoch: number): Bytes {
  return pq.keys.find((k) => k.epoch === epoch)!.key;
}

function withKey(keys: readonly PqEpochKey[], key: PqEpochKey): PqEpochKey[] {
  const all = [...keys, key];
  const oldest = key.epoch - PQ_MAX_KEPT_EPOCHS - 1;
  return all.filter((k) => k.epoch >= oldest);
}

/**
 * Number of parts the next message carries (§7a, "How fast"). The first pass
 * over the blob is spread over the sender's share of the messages left in
 * the budget (half of them, as if the two sides took turns); what is left of
 * it goes at once when the blob is a day old, and blob 1 always goes whole.
 * After the first pass, one part a message repairs what was lost.
 */
function partsToSend(out: PqOutgoing, now: number): number {
  const parts = blobParts(out.blob);
  if (out.blob === 1) return parts;
  const unsent = parts - out.sent;
  if (unsent <= 0) return 1;
  if (now - out.startedAt >= PQ_EPOCH_MAX_AGE_MS) return unsent;
  const ownLeft = Math.max(1, Math.floor((PQ_EPOCH_MAX_MESSAGES - PQ_EPOCH_MARGIN_MESSAGES - out.elapsed) / 2));
  return Math.ceil(unsent / ownLeft);
}

/** Draws a new ML-KEM key pair's seed and returns it with its encapsulation key. */
function newKemKey(ctx: CryptoContext): { seed: Bytes; publicKey: Bytes } {
  const seed = ctx.randomBytes(MLKEM768_SEED_BYTES);
  return { seed, publicKey: ctx.primitives.kemKeygen(seed).publicKey };
}

/** `pq` sending its new blob `blob` (whose epoch key, known to us at once, is `key`) with the key of `seed` in it. */
function startBlob(pq: PqState, blob: number, bytes: Bytes, seed: Bytes, now: number, key: PqEpochKey): PqState {
  return {
    ...pq,
    keys: withKey(pq.keys, key),
    outgoing: { blob, bytes, sent: 0, startedAt: now, elapsed: 0 },
    incoming: null,
    ownSeed: seed,
  };
}

/**
 * The PQ side of sending one message: the stamp, the key to derive the
 * message key under, the parts to append after the padded body, and the new
 * state. The initiator's first message makes blob 1 (drawing a 64-byte seed).
 */
export function pqSend(ctx: CryptoContext, pq: PqState): { stamp: PqStamp; key: Bytes; parts: Bytes; pq: PqState } {
  let state = pq;
  if (state.parity === 1 && newestEpoch(state) === 0 && !state.outgoing) {
    const own = newKemKey(ctx);
    state = startBlob(state, 1, own.publicKey, own.seed, ctx.now(), { epoch: 1, key: nextEpochKey(ctx.primitives, keyOf(state, 0), new Uint8Array(0)) });
  }
  const key = keyOf(state, state.sendEpoch);
  const out = state.outgoing;
  if (!out) return { stamp: { epoch: state.sendEpoch, firstPart: 0, partCount: 0 }, key, parts: new Uint8Array(0), pq: state };
  const total = blobParts(out.blob);
  const count = partsToSend(out, ctx.now());
  // Each later pass starts one part further on, so that a loss with a period dividing the
  // number of parts cannot hit the same parts every pass.
  const firstPart = (out.sent + Math.floor(out.sent / total)) % total;
  const pieces: Bytes[] = [];
  for (let i = 0; i < count; i++) {
    const span = partSpan(out.blob, (firstPart + i) % total);
    pieces.push(out.bytes.subarray(span.start, span.end));
  }
  return {
    stamp: { epoch: state.sendEpoch, firstPart, partCount: count },
    key,
    parts: concatBytes(...pieces),
    pq: { ...state, outgoing: { ...out, sent: out.sent + count, elapsed: out.elapsed + 1 } },
  };
}

/** Completes the other side's blob: the new epoch key, then our next blob (a ciphertext to its key and a key of ours). */
function completeBlob(ctx: CryptoContext, pq: PqState, blob: number, bytes: Bytes): PqState {
  const p = ctx.primitives;
  let secret: Bytes = new Uint8Array(0);
  let peerKey = bytes;
  if (blob > 1) {
    if (!pq.ownSeed) throw new DecodeError('PQ ratchet', `blob ${blob} answers a key this session never sent`);
    secret = p.kemDecapsulate(bytes.subarray(0, MLKEM768_CIPHERTEXT_BYTES), p.kemKeygen(pq.ownSeed).secretKey);
    peerKey = bytes.subarray(MLKEM768_CIPHERTEXT_BYTES);
  }
  const completed: PqEpochKey = { epoch: blob, key: nextEpochKey(p, keyOf(pq, blob - 1), secret) };
  const afterBlob: PqState = { ...pq, keys: withKey(pq.keys, completed), sendEpoch: blob, incoming: null };
  let kem: { cipherText: Bytes; sharedSecret: Bytes };
  try {
    kem = p.kemEncapsulate(peerKey, ctx.randomBytes(MLKEM768_ENCAPS_RANDOM_BYTES));
  } catch {
    throw new InvalidPublicKeyError('PQ ratchet key', 'invalid-kem-key');
  }
  const own = newKemKey(ctx);
  const next: PqEpochKey = { epoch: blob + 1, key: nextEpochKey(p, completed.key, kem.sharedSecret) };
  return startBlob(afterBlob, blob + 1, concatBytes(kem.cipherText, own.publicKey), own.seed, ctx.now(), next);
}

/**
 * The PQ side of a message received and authenticated: the epoch it names
 * acknowledges our blob, its parts fill the other side's blob, and a
 * completed blob yields the next epoch (drawing 32 bytes for the
 * encapsulation, then a 64-byte seed). `parts` are the bytes after the
 * padded body. Throws DecodeError, InvalidPublicKeyError.
 */
export function pqReceive(ctx: CryptoContext, pq: PqState, stamp: PqStamp, parts: Bytes): PqState {
  let state = pq;
  // 1. The epoch named: the other side holds it.
  if (state.outgoing && stamp.epoch >= state.outgoing.blob) state = { ...state, outgoing: null };
  if (stamp.epoch > state.sendEpoch) state = { ...state, sendEpoch: stamp.epoch };
  if (state.outgoing) state = { ...state, outgoing: { ...state.outgoing, elapsed: state.outgoing.elapsed + 1 } };
  // 2. Parts of the other side's blob, taken only when it is the one we wait for.
  const blob = carriedBlob(stamp);
  if (stamp.partCount === 0 || state.outgoing || stamp.epoch !== newestEpoch(state) || blob % 2 === state.parity) return state;
  const size = blobBytes(blob);
  const incoming = state.incoming?.blob === blob ? state.incoming : { blob, bytes: new Uint8Array(size), have: 0 };
  const bytes = incoming.bytes.slice();
  let have = incoming.have;
  const total = blobParts(blob);
  let offset = 0;
  for (let i = 0; i < stamp.partCount; i++) {
    const index = (stamp.firstPart + i) % total;
    const span = partSpan(blob, index);
    bytes.set(parts.subarray(offset, offset + span.end - span.start), span.start);
    offset += span.end - span.start;
    have |= 1 << index;
  }
  if (have !== 2 ** total - 1) return { ...state, incoming: { blob, bytes, have } };
  return completeBlob(ctx, state, blob, bytes);
}
