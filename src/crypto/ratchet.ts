/**
 * The Double Ratchet with header encryption, per the Signal specification
 * (sections 3 and 4), as pure functions over a plain, serialisable state.
 *
 * `ratchetEncrypt` and `ratchetDecrypt` return a new state and never modify
 * the one they are given; on any failure they throw and the caller still
 * holds the untouched old state. The caller persists the new state only
 * after decryption succeeded (see docs/PROTOCOL.md, "Ratchet state machine").
 *
 * Differences from the specification, all documented in docs/PROTOCOL.md:
 * - One random nonce per message (16 bytes on the wire, 8 zero bytes after
 *   them for XChaCha20-Poly1305), shared by header and body (different
 *   keys): random nonces mean a session rolled back to an old state never
 *   reuses a (key, nonce) pair.
 * - Every message key is derived under the key of a post-quantum epoch the
 *   header names (./pq-ratchet.ts), and the body carries that ratchet's KEM
 *   parts after the padded plaintext.
 * - Skipped keys are grouped by chain (header key) and bounded per chain, in
 *   total, by age, and by the number of DH steps since their chain.
 */
import { concatBytes, equalBytes, Reader, Writer, type Bytes } from './bytes.ts';
import {
  HEADER_PLAINTEXT_BYTES,
  MAX_CHAIN_COUNTER,
  MAX_PLAINTEXT_BYTES,
  MAX_PREVIOUS_RECEIVING_CHAINS,
  MAX_SKIP,
  MAX_SKIPPED_KEYS_PER_CHAIN,
  MAX_SKIPPED_KEYS_TOTAL,
  NONCE_BYTES,
  SKIPPED_KEY_MAX_AGE_MS,
  WIRE_NONCE_BYTES,
  X25519_KEY_BYTES,
} from './constants.ts';
import type { CryptoContext } from './context.ts';
import {
  AuthenticationError,
  ChainExhaustedError,
  DecodeError,
  DuplicateMessageError,
  HeaderDecryptError,
  MessageTooLargeError,
  TooManySkippedMessagesError,
} from './errors.ts';
import { chainStep, messageKeyV2, nextChainKey, rootStep } from './kdf.ts';
import { assertValidX25519PublicKey, dh, generateX25519KeyPair, type X25519KeyPair } from './keys.ts';
import { pad, unpad } from './padding.ts';
import type { AgreedSecrets } from './pqxdh.ts';
import { epochKey, initPqState, pqReceive, pqSend, stampPartBytes, type PqStamp, type PqState } from './pq-ratchet.ts';
import type { Primitives } from './primitives/types.ts';

/** A message key kept for a message that has not arrived yet. */
export interface SkippedKey {
  readonly counter: number;
  /** The message-key seed (HMAC(ck, 0x01)). */
  readonly seed: Bytes;
  /** When it was stored (context clock, ms). */
  readonly storedAt: number;
}

/** Skipped keys of one receiving chain, identified by its header key. */
export interface SkippedChain {
  readonly headerKey: Bytes;
  /** Value of `dhSteps` when this chain became the receiving chain. */
  readonly step: number;
  /** Ascending by counter. */
  readonly keys: readonly SkippedKey[];
}

/** The whole state of one Double Ratchet session (names follow the specification). */
export interface RatchetState {
  /** RK */
  readonly rootKey: Bytes;
  /** DHs */
  readonly sendingRatchetKey: X25519KeyPair;
  /** DHr */
  readonly receivingRatchetKey: Bytes | null;
  /** CKs */
  readonly sendingChainKey: Bytes | null;
  /** CKr */
  readonly receivingChainKey: Bytes | null;
  /** HKs */
  readonly sendingHeaderKey: Bytes | null;
  /** HKr */
  readonly receivingHeaderKey: Bytes | null;
  /** NHKs */
  readonly nextSendingHeaderKey: Bytes;
  /** NHKr */
  readonly nextReceivingHeaderKey: Bytes;
  /** Ns */
  readonly sendCount: number;
  /** Nr */
  readonly receiveCount: number;
  /** PN */
  readonly previousSendCount: number;
  /** DH ratchet steps taken on receipt so far (ages skipped chains). */
  readonly dhSteps: number;
  /** Oldest chain first. */
  readonly skipped: readonly SkippedChain[];
  /** AD of the session (binds both identities). */
  readonly associatedData: Bytes;
  /** The post-quantum ratchet (§7a). */
  readonly pq: PqState;
}

/** A ratchet message on the wire: nonce (16), encrypted header, encrypted padded body followed by PQ parts. */
export interface RatchetMessage {
  readonly nonce: Bytes;
  readonly headerCiphertext: Bytes;
  readonly bodyCiphertext: Bytes;
}

/** A decrypted header. */
export interface RatchetHeader {
  readonly ratchetKey: Bytes;
  readonly previousCount: number;
  readonly counter: number;
  /** The PQ epoch and the parts the body carries (§7a). */
  readonly pq: PqStamp;
}

/** RatchetInitAliceHE: the initiator starts with a DH step against the responder's signed prekey. */
export async function initRatchetAsInitiator(ctx: CryptoContext, secrets: AgreedSecrets, remoteRatchetKey: Bytes): Promise<RatchetState> {
  const sendingRatchetKey = await generateX25519KeyPair(ctx);
  const step = rootStep(ctx.primitives, secrets.rootKey, await dh(ctx, sendingRatchetKey.privateKey, remoteRatchetKey, 'signed prekey'));
  return {
    rootKey: step.rootKey,
    sendingRatchetKey,
    receivingRatchetKey: remoteRatchetKey,
    sendingChainKey: step.chainKey,
    receivingChainKey: null,
    sendingHeaderKey: secrets.initiatorHeaderKey,
    receivingHeaderKey: null,
    nextSendingHeaderKey: step.nextHeaderKey,
    nextReceivingHeaderKey: secrets.responderHeaderKey,
    sendCount: 0,
    receiveCount: 0,
    previousSendCount: 0,
    dhSteps: 0,
    skipped: [],
    associatedData: secrets.associatedData,
    pq: initPqState('initiator', secrets.epochKey),
  };
}

/** RatchetInitBobHE: the responder's first ratchet key is its signed prekey. */
export function initRatchetAsResponder(secrets: AgreedSecrets, signedPrekey: X25519KeyPair): RatchetState {
  return {
    rootKey: secrets.rootKey,
    sendingRatchetKey: signedPrekey,
    receivingRatchetKey: null,
    sendingChainKey: null,
    receivingChainKey: null,
    sendingHeaderKey: null,
    receivingHeaderKey: null,
    nextSendingHeaderKey: secrets.responderHeaderKey,
    nextReceivingHeaderKey: secrets.initiatorHeaderKey,
    sendCount: 0,
    receiveCount: 0,
    previousSendCount: 0,
    dhSteps: 0,
    skipped: [],
    associatedData: secrets.associatedData,
    pq: initPqState('responder', secrets.epochKey),
  };
}

function encodeHeader(header: RatchetHeader): Bytes {
  const w = new Writer(HEADER_PLAINTEXT_BYTES).fixed(header.ratchetKey, X25519_KEY_BYTES).u32(header.previousCount).u32(header.counter);
  return w.u32(header.pq.epoch).u8(header.pq.firstPart).u8(header.pq.partCount).finish();
}

/** The AEAD nonce of a message: its 16 random bytes followed by 8 zero bytes (§7). */
export function aeadNonce(nonce: Bytes): Bytes {
  const out = new Uint8Array(NONCE_BYTES);
  out.set(nonce);
  return out;
}

function openHeader(p: Primitives, headerKey: Bytes | null, message: RatchetMessage, ad: Bytes): RatchetHeader | undefined {
  if (!headerKey) return undefined;
  const plain = p.aeadOpen(headerKey, aeadNonce(message.nonce), message.headerCiphertext, ad);
  if (!plain) return undefined;
  // Authenticated, so produced by the holder of the header key; still parsed strictly.
  const r = new Reader(plain, 'message header');
  const ratchetKey = r.fixed(X25519_KEY_BYTES, 'ratchet key');
  const previousCount = r.u32('previous count');
  const counter = r.u32('counter');
  const pq = { epoch: r.u32('PQ epoch'), firstPart: r.u8('first part'), partCount: r.u8('part count') };
  r.end();
  stampPartBytes(pq);
  return { ratchetKey, previousCount, counter, pq };
}

/**
 * Where the body's associated data is assembled. It is public data, consumed
 * at once by the (synchronous) AEAD call, and assembling it in place avoids
 * two large allocations a message.
 */
let bodyAdScratch = new Uint8Array(0);

/** The body's associated data: session AD || nonce || encrypted header (a view valid until the next call). */
function bodyAd(ad: Bytes, nonce: Bytes, headerCiphertext: Bytes): Bytes {
  const length = ad.length + nonce.length + headerCiphertext.length;
  if (bodyAdScratch.length < length) bodyAdScratch = new Uint8Array(length);
  bodyAdScratch.set(ad, 0);
  bodyAdScratch.set(nonce, ad.length);
  bodyAdScratch.set(headerCiphertext, ad.length + nonce.length);
  return bodyAdScratch.subarray(0, length);
}

/**
 * Opens a body under the message key of `seed` and the epoch the header
 * names, and applies its PQ side to the state. Returns the plaintext and the
 * new PQ state.
 */
function openBody(ctx: CryptoContext, seed: Bytes, message: RatchetMessage, ad: Bytes, header: RatchetHeader, pq: PqState): { plaintext: Bytes; pq: PqState } {
  const p = ctx.primitives;
  const key = messageKeyV2(p, seed, epochKey(pq, header.pq.epoch));
  const plain = p.aeadOpen(key, aeadNonce(message.nonce), message.bodyCiphertext, bodyAd(ad, message.nonce, message.headerCiphertext));
  if (!plain) throw new AuthenticationError('message body');
  const paddedBytes = plain.length - stampPartBytes(header.pq);
  if (paddedBytes <= 0) throw new DecodeError('message body', 'shorter than its PQ parts');
  const plaintext = unpad(plain.subarray(0, paddedBytes));
  return { plaintext, pq: pqReceive(ctx, pq, header.pq, plain.subarray(paddedBytes)) };
}

/**
 * RatchetEncryptHE. Returns the new state and the message. Throws
 * MessageTooLargeError or ChainExhaustedError (state unchanged), and
 * RangeError if the session cannot send yet (a responder before its first
 * received message, which the session layer never allows).
 */
export function ratchetEncrypt(ctx: CryptoContext, state: RatchetState, plaintext: Bytes): { state: RatchetState; message: RatchetMessage } {
  if (plaintext.length > MAX_PLAINTEXT_BYTES) throw new MessageTooLargeError(plaintext.length, MAX_PLAINTEXT_BYTES);
  if (!state.sendingChainKey || !state.sendingHeaderKey) throw new RangeError('ratchetEncrypt: this session has no sending chain yet');
  if (state.sendCount >= MAX_CHAIN_COUNTER) throw new ChainExhaustedError();
  const p = ctx.primitives;
  const step = chainStep(p, state.sendingChainKey);
  const pq = pqSend(ctx, state.pq);
  const header = encodeHeader({ ratchetKey: state.sendingRatchetKey.publicKey, previousCount: state.previousSendCount, counter: state.sendCount, pq: pq.stamp });
  const nonce = ctx.randomBytes(WIRE_NONCE_BYTES);
  if (nonce.length !== WIRE_NONCE_BYTES) throw new RangeError('randomBytes returned the wrong length');
  const headerCiphertext = p.aeadSeal(state.sendingHeaderKey, aeadNonce(nonce), header, state.associatedData);
  const body = pq.parts.length === 0 ? pad(plaintext) : concatBytes(pad(plaintext), pq.parts);
  const bodyCiphertext = p.aeadSeal(messageKeyV2(p, step.messageKeySeed, pq.key), aeadNonce(nonce), body, bodyAd(state.associatedData, nonce, headerCiphertext));
  return {
    state: { ...state, sendingChainKey: step.nextChainKey, sendCount: state.sendCount + 1, pq: pq.pq },
    message: { nonce, headerCiphertext, bodyCiphertext },
  };
}

/** Drops expired keys and chains too many DH steps old, then applies the count caps. */
function boundSkipped(chains: readonly SkippedChain[], dhSteps: number, now: number): SkippedChain[] {
  let out: SkippedChain[] = [];
  for (const chain of chains) {
    if (dhSteps - chain.step > MAX_PREVIOUS_RECEIVING_CHAINS) continue;
    let keys = chain.keys;
    if (keys.some((k) => now - k.storedAt > SKIPPED_KEY_MAX_AGE_MS)) keys = keys.filter((k) => now - k.storedAt <= SKIPPED_KEY_MAX_AGE_MS);
    if (keys.length > MAX_SKIPPED_KEYS_PER_CHAIN) keys = keys.slice(keys.length - MAX_SKIPPED_KEYS_PER_CHAIN);
    if (keys.length > 0) out.push(keys === chain.keys ? chain : { ...chain, keys });
  }
  let total = out.reduce((n, c) => n + c.keys.length, 0);
  while (total > MAX_SKIPPED_KEYS_TOTAL) {
    const oldest = out[0]!;
    const drop = Math.min(oldest.keys.length, total - MAX_SKIPPED_KEYS_TOTAL);
    total -= drop;
    out = drop === oldest.keys.length ? out.slice(1) : [{ ...oldest, keys: oldest.keys.slice(drop) }, ...out.slice(1)];
  }
  return out;
}

/**
 * SkipMessageKeysHE: advances `chainKey` from counter `from` to `until`,
 * storing the message keys of the last MAX_SKIPPED_KEYS_PER_CHAIN of them
 * under `headerKey` (earlier ones would be evicted at once, so only the chain
 * is advanced). The caller has already checked `until - from <= MAX_SKIP`.
 */
function skipKeys(
  p: Primitives,
  chainKey: Bytes,
  from: number,
  until: number,
  headerKey: Bytes,
  step: number,
  chains: readonly SkippedChain[],
  now: number,
): { chainKey: Bytes; chains: readonly SkippedChain[] } {
  if (until <= from) return { chainKey, chains };
  let ck = chainKey;
  const stored: SkippedKey[] = [];
  for (let n = from; n < until; n++) {
    if (until - n > MAX_SKIPPED_KEYS_PER_CHAIN) {
      ck = nextChainKey(p, ck);
    } else {
      const s = chainStep(p, ck);
      stored.push({ counter: n, seed: s.messageKeySeed, storedAt: now });
      ck = s.nextChainKey;
    }
  }
  const last = chains[chains.length - 1];
  const next =
    last && equalBytes(last.headerKey, headerKey)
      ? [...chains.slice(0, -1), { ...last, keys: [...last.keys, ...stored] }]
      : [...chains, { headerKey, step, keys: stored }];
  return { chainKey: ck, chains: next };
}

function takeSkipped(chains: readonly SkippedChain[], headerKey: Bytes, counter: number): { seed: Bytes; chains: SkippedChain[] } | undefined {
  for (let i = 0; i < chains.length; i++) {
    const chain = chains[i]!;
    if (!equalBytes(chain.headerKey, headerKey)) continue;
    const index = chain.keys.findIndex((k) => k.counter === counter);
    if (index < 0) return undefined;
    const keys = [...chain.keys.slice(0, index), ...chain.keys.slice(index + 1)];
    const next = [...chains];
    if (keys.length === 0) next.splice(i, 1);
    else next[i] = { ...chain, keys };
    return { seed: chain.keys[index]!.seed, chains: next };
  }
  return undefined;
}

/**
 * RatchetDecryptHE. Tries the current receiving header key, then the next
 * one (a DH ratchet step), then the header keys of kept previous chains.
 * Returns the new state and the plaintext; on any failure throws and the
 * given state is untouched. Throws HeaderDecryptError, DuplicateMessageError,
 * TooManySkippedMessagesError, InvalidPublicKeyError, AuthenticationError,
 * DecodeError.
 */
export async function ratchetDecrypt(ctx: CryptoContext, state: RatchetState, message: RatchetMessage): Promise<{ state: RatchetState; plaintext: Bytes }> {
  const p = ctx.primitives;
  const now = ctx.now();
  const ad = state.associatedData;
  const skipped = boundSkipped(state.skipped, state.dhSteps, now);

  // 1. The current receiving chain.
  const current = openHeader(p, state.receivingHeaderKey, message, ad);
  if (current) {
    const hk = state.receivingHeaderKey!;
    if (!state.receivingRatchetKey || !equalBytes(current.ratchetKey, state.receivingRatchetKey) || !state.receivingChainKey) {
      throw new DecodeError('message header', 'ratchet key does not match its chain');
    }
    if (current.counter < state.receiveCount) {
      const taken = takeSkipped(skipped, hk, current.counter);
      if (!taken) throw new DuplicateMessageError(current.counter);
      const opened = openBody(ctx, taken.seed, message, ad, current, state.pq);
      return { state: { ...state, skipped: taken.chains, pq: opened.pq }, plaintext: opened.plaintext };
    }
    const gap = current.counter - state.receiveCount;
    if (gap > MAX_SKIP) throw new TooManySkippedMessagesError(gap, MAX_SKIP);
    const skippedNow = skipKeys(p, state.receivingChainKey, state.receiveCount, current.counter, hk, state.dhSteps, skipped, now);
    const step = chainStep(p, skippedNow.chainKey);
    const opened = openBody(ctx, step.messageKeySeed, message, ad, current, state.pq);
    return {
      state: {
        ...state,
        receivingChainKey: step.nextChainKey,
        receiveCount: current.counter + 1,
        skipped: boundSkipped(skippedNow.chains, state.dhSteps, now),
        pq: opened.pq,
      },
      plaintext: opened.plaintext,
    };
  }

  // 2. The next receiving header key: the sender has ratcheted.
  const next = openHeader(p, state.nextReceivingHeaderKey, message, ad);
  if (next) {
    assertValidX25519PublicKey(next.ratchetKey, 'ratchet key');
    const previousGap = next.previousCount - state.receiveCount;
    if (state.receivingChainKey && previousGap > MAX_SKIP) throw new TooManySkippedMessagesError(previousGap, MAX_SKIP);
    if (next.counter > MAX_SKIP) throw new TooManySkippedMessagesError(next.counter, MAX_SKIP);
    let chains: readonly SkippedChain[] = skipped;
    if (state.receivingChainKey && state.receivingHeaderKey) {
      chains = skipKeys(p, state.receivingChainKey, state.receiveCount, next.previousCount, state.receivingHeaderKey, state.dhSteps, chains, now).chains;
    }
    const received = rootStep(p, state.rootKey, await dh(ctx, state.sendingRatchetKey.privateKey, next.ratchetKey, 'ratchet key'));
    const sendingRatchetKey = await generateX25519KeyPair(ctx);
    const sending = rootStep(p, received.rootKey, await dh(ctx, sendingRatchetKey.privateKey, next.ratchetKey, 'ratchet key'));
    const dhSteps = state.dhSteps + 1;
    const skippedNew = skipKeys(p, received.chainKey, 0, next.counter, state.nextReceivingHeaderKey, dhSteps, chains, now);
    const step = chainStep(p, skippedNew.chainKey);
    const opened = openBody(ctx, step.messageKeySeed, message, ad, next, state.pq);
    return {
      state: {
        rootKey: sending.rootKey,
        sendingRatchetKey,
        receivingRatchetKey: next.ratchetKey,
        sendingChainKey: sending.chainKey,
        receivingChainKey: step.nextChainKey,
        sendingHeaderKey: state.nextSendingHeaderKey,
        receivingHeaderKey: state.nextReceivingHeaderKey,
        nextSendingHeaderKey: sending.nextHeaderKey,
        nextReceivingHeaderKey: received.nextHeaderKey,
        sendCount: 0,
        receiveCount: next.counter + 1,
        previousSendCount: state.sendCount,
        dhSteps,
        skipped: boundSkipped(skippedNew.chains, dhSteps, now),
        associatedData: ad,
        pq: opened.pq,
      },
      plaintext: opened.plaintext,
    };
  }

  // 3. A kept previous chain (a late message from before a DH step).
  for (let i = skipped.length - 1; i >= 0; i--) {
    const chain = skipped[i]!;
    if (state.receivingHeaderKey && equalBytes(chain.headerKey, state.receivingHeaderKey)) continue;
    const old = openHeader(p, chain.headerKey, message, ad);
    if (!old) continue;
    const taken = takeSkipped(skipped, chain.headerKey, old.counter);
    if (!taken) throw new DuplicateMessageError(old.counter);
    const opened = openBody(ctx, taken.seed, message, ad, old, state.pq);
    return { state: { ...state, skipped: taken.chains, pq: opened.pq }, plaintext: opened.plaintext };
  }
  throw new HeaderDecryptError();
}

/** Number of skipped message keys a state holds. */
export function skippedKeyCount(state: RatchetState): number {
  return state.skipped.reduce((n, c) => n + c.keys.length, 0);
}
