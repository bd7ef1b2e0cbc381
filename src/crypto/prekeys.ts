/**
 * A device's own prekeys as a plain value: generation, rotation, handing out
 * bundles (each one-time prekey at most once, with the time it was handed
 * out) and consuming a one-time prekey after a successful first decrypt, and
 * the stored encoding. Every function returns a new state; the caller
 * persists it (together with whatever it belongs to). Expiry and retention
 * are in ./prekey-lifetime.ts.
 */
import { Reader, Writer, type Bytes } from './bytes.ts';
import {
  ED25519_SIGNATURE_BYTES,
  MAX_ONE_TIME_PREKEYS,
  MAX_RETAINED_SIGNED_PREKEYS,
  MLKEM768_PUBLIC_KEY_BYTES,
  MLKEM768_SECRET_KEY_BYTES,
  MLKEM768_SEED_BYTES,
  OLDEST_PREKEY_STORAGE_VERSION,
  PREKEY_STORAGE_VERSION,
  X25519_KEY_BYTES,
} from './constants.ts';
import type { CryptoContext } from './context.ts';
import { DecodeError, VersionTooNewError, VersionTooOldError } from './errors.ts';
import { kemPrekeySignedData, signedPrekeySignedData, type PrekeyBundle } from './bundle.ts';
import type { IdentityKeyPair } from './identity.ts';
import { generateX25519KeyPair, type X25519KeyPair } from './keys.ts';

/** A signed X25519 prekey with its private key. */
export interface SignedPrekeyRecord {
  readonly id: number;
  readonly keyPair: X25519KeyPair;
  readonly signature: Bytes;
  readonly createdAt: number;
}

/** A signed ML-KEM-768 prekey with its secret key. */
export interface KemPrekeyRecord {
  readonly id: number;
  readonly publicKey: Bytes;
  readonly secretKey: Bytes;
  readonly signature: Bytes;
  readonly createdAt: number;
}

/**
 * A one-time X25519 prekey; `issued` once it was handed out in a bundle.
 * `issuedAt` is when (ms since the epoch); it is absent while the key was
 * not handed out, and for a key handed out without a time (storage version
 * 1, or {@link issueBundle} without `now`): expireOneTimePrekeys then gives
 * it the time it first sees it.
 */
export interface OneTimePrekeyRecord {
  readonly id: number;
  readonly keyPair: X25519KeyPair;
  readonly issued: boolean;
  readonly issuedAt?: number | undefined;
}

/** All of a device's prekeys. The last signed and KEM prekeys are current. */
export interface PrekeyState {
  readonly nextId: number;
  readonly signed: readonly SignedPrekeyRecord[];
  readonly kem: readonly KemPrekeyRecord[];
  readonly oneTime: readonly OneTimePrekeyRecord[];
}

/** Options of {@link createPrekeyState}. */
export interface PrekeyInit {
  /** One-time prekeys to create (at most MAX_ONE_TIME_PREKEYS). */
  readonly oneTimePrekeys: number;
}

async function newSignedPrekey(ctx: CryptoContext, identity: IdentityKeyPair, id: number): Promise<SignedPrekeyRecord> {
  const keyPair = await generateX25519KeyPair(ctx);
  const signature = await ctx.primitives.ed25519Sign(identity.signingSeed, signedPrekeySignedData(id, keyPair.publicKey));
  return { id, keyPair, signature, createdAt: ctx.now() };
}

async function newKemPrekey(ctx: CryptoContext, identity: IdentityKeyPair, id: number): Promise<KemPrekeyRecord> {
  const { publicKey, secretKey } = ctx.primitives.kemKeygen(ctx.randomBytes(MLKEM768_SEED_BYTES));
  const signature = await ctx.primitives.ed25519Sign(identity.signingSeed, kemPrekeySignedData(id, publicKey));
  return { id, publicKey, secretKey, signature, createdAt: ctx.now() };
}

async function newOneTimePrekeys(ctx: CryptoContext, firstId: number, count: number): Promise<OneTimePrekeyRecord[]> {
  const out: OneTimePrekeyRecord[] = [];
  for (let i = 0; i < count; i++) out.push({ id: firstId + i, keyPair: await generateX25519KeyPair(ctx), issued: false });
  return out;
}

/** Creates a device's first prekeys: one signed, one KEM, and `oneTimePrekeys` one-time prekeys. */
export async function createPrekeyState(ctx: CryptoContext, identity: IdentityKeyPair, init: PrekeyInit): Promise<PrekeyState> {
  if (!Number.isInteger(init.oneTimePrekeys) || init.oneTimePrekeys < 0 || init.oneTimePrekeys > MAX_ONE_TIME_PREKEYS) {
    throw new RangeError(`createPrekeyState: oneTimePrekeys must be 0..${MAX_ONE_TIME_PREKEYS}`);
  }
  const signed = await newSignedPrekey(ctx, identity, 1);
  const kem = await newKemPrekey(ctx, identity, 2);
  const oneTime = await newOneTimePrekeys(ctx, 3, init.oneTimePrekeys);
  return { nextId: 3 + init.oneTimePrekeys, signed: [signed], kem: [kem], oneTime };
}

/**
 * Makes a new current signed and KEM prekey (created now). The superseded
 * ones stay, so that first messages already on their way still decrypt,
 * until dropRetiredPrekeys drops them by age; beyond
 * MAX_RETAINED_SIGNED_PREKEYS in all the oldest is dropped at once.
 */
export async function rotateSignedPrekeys(ctx: CryptoContext, identity: IdentityKeyPair, state: PrekeyState): Promise<PrekeyState> {
  const signed = await newSignedPrekey(ctx, identity, state.nextId);
  const kem = await newKemPrekey(ctx, identity, state.nextId + 1);
  return {
    ...state,
    nextId: state.nextId + 2,
    signed: [...state.signed, signed].slice(-MAX_RETAINED_SIGNED_PREKEYS),
    kem: [...state.kem, kem].slice(-MAX_RETAINED_SIGNED_PREKEYS),
  };
}

/** Tops the un-issued one-time prekeys up to `target` (at most MAX_ONE_TIME_PREKEYS in all). */
export async function replenishOneTimePrekeys(ctx: CryptoContext, state: PrekeyState, target: number): Promise<PrekeyState> {
  const available = state.oneTime.filter((k) => !k.issued).length;
  const room = MAX_ONE_TIME_PREKEYS - state.oneTime.length;
  const count = Math.max(0, Math.min(target - available, room));
  if (count === 0) return state;
  const fresh = await newOneTimePrekeys(ctx, state.nextId, count);
  return { ...state, nextId: state.nextId + count, oneTime: [...state.oneTime, ...fresh] };
}

function current<T>(list: readonly T[]): T {
  const last = list[list.length - 1];
  if (last === undefined) throw new RangeError('prekey state has no current prekey');
  return last;
}

/**
 * Builds a bundle from the current prekeys. With `oneTime` (the default) it
 * includes the first one-time prekey not yet issued and marks it issued at
 * `now` in the returned state, so each is handed out at most once (without
 * `now` the issue time is left for expireOneTimePrekeys to fill in).
 * Without `oneTime`, or when none is left, the bundle is a last-resort bundle
 * and the state is returned unchanged (the same object).
 */
export function issueBundle(identity: IdentityKeyPair, state: PrekeyState, options: { oneTime?: boolean; now?: number } = {}): { state: PrekeyState; bundle: PrekeyBundle } {
  const spk = current(state.signed);
  const kem = current(state.kem);
  const opk = options.oneTime === false ? undefined : state.oneTime.find((k) => !k.issued);
  const bundle: PrekeyBundle = {
    identity: identity.public,
    signedPrekey: { id: spk.id, publicKey: spk.keyPair.publicKey, signature: spk.signature },
    kemPrekey: { id: kem.id, publicKey: kem.publicKey, signature: kem.signature },
    oneTimePrekey: opk ? { id: opk.id, publicKey: opk.keyPair.publicKey } : undefined,
  };
  if (!opk) return { state, bundle };
  const marked: OneTimePrekeyRecord = options.now === undefined ? { id: opk.id, keyPair: opk.keyPair, issued: true } : { id: opk.id, keyPair: opk.keyPair, issued: true, issuedAt: options.now };
  return { state: { ...state, oneTime: state.oneTime.map((k) => (k === opk ? marked : k)) }, bundle };
}

/** True when `state` holds a one-time prekey not yet handed out. */
export function hasUnissuedOneTimePrekey(state: PrekeyState): boolean {
  return state.oneTime.some((k) => !k.issued);
}

/** Removes a one-time prekey (after the first message that used it decrypted). */
export function consumeOneTimePrekey(state: PrekeyState, id: number): PrekeyState {
  return { ...state, oneTime: state.oneTime.filter((k) => k.id !== id) };
}

/**
 * `target` without the one-time prekeys that `reference` no longer holds
 * although it knew them (id below its nextId): applies to one copy of the
 * state the consumptions made on another. Two uses: a first message decrypted
 * against an older copy consumed a key, and the current state must lose it
 * too; a change computed from a copy taken before such a consumption must
 * not bring the key back. Returns `target` itself when nothing is removed.
 */
export function withoutConsumedOneTimePrekeys(target: PrekeyState, reference: PrekeyState): PrekeyState {
  const held = new Set(reference.oneTime.map((k) => k.id));
  const oneTime = target.oneTime.filter((k) => k.id >= reference.nextId || held.has(k.id));
  return oneTime.length === target.oneTime.length ? target : { ...target, oneTime };
}

/** Issue flag of a stored one-time prekey (storage version 2). */
const NOT_ISSUED = 0;
const ISSUED_AT = 1;
const ISSUED_AT_UNKNOWN = 2;

/** Storage encoding of a {@link PrekeyState}. */
export function encodePrekeyState(state: PrekeyState): Bytes {
  const w = new Writer(4096 * state.kem.length + state.oneTime.length * 80);
  w.u8(PREKEY_STORAGE_VERSION).u32(state.nextId);
  w.u16(state.signed.length);
  for (const k of state.signed) {
    w.u32(k.id).fixed(k.keyPair.privateKey, 32).fixed(k.keyPair.publicKey, 32).fixed(k.signature, ED25519_SIGNATURE_BYTES).u64(k.createdAt);
  }
  w.u16(state.kem.length);
  for (const k of state.kem) {
    w.u32(k.id).fixed(k.publicKey, MLKEM768_PUBLIC_KEY_BYTES).fixed(k.secretKey, MLKEM768_SECRET_KEY_BYTES).fixed(k.signature, ED25519_SIGNATURE_BYTES).u64(k.createdAt);
  }
  w.u16(state.oneTime.length);
  for (const k of state.oneTime) {
    w.u32(k.id).fixed(k.keyPair.privateKey, 32).fixed(k.keyPair.publicKey, 32);
    if (!k.issued) w.u8(NOT_ISSUED);
    else if (k.issuedAt === undefined) w.u8(ISSUED_AT_UNKNOWN);
    else w.u8(ISSUED_AT).u64(k.issuedAt);
  }
  return w.finish();
}

function readOneTimePrekey(r: Reader, what: string, version: number): OneTimePrekeyRecord {
  const id = r.u32('one-time prekey id');
  const keyPair = { privateKey: r.fixed(X25519_KEY_BYTES, 'one-time private'), publicKey: r.fixed(X25519_KEY_BYTES, 'one-time public') };
  const flag = r.u8('issued flag');
  if (version === 1) {
    // Version 1: 0 not handed out, 1 handed out (no time recorded).
    if (flag > 1) throw new DecodeError(what, 'issued flag is not 0 or 1');
    return { id, keyPair, issued: flag === 1 };
  }
  if (flag === NOT_ISSUED) return { id, keyPair, issued: false };
  if (flag === ISSUED_AT_UNKNOWN) return { id, keyPair, issued: true };
  if (flag === ISSUED_AT) return { id, keyPair, issued: true, issuedAt: r.u64('one-time prekey issued at') };
  throw new DecodeError(what, `issued flag ${flag}`);
}

/**
 * Decodes a stored {@link PrekeyState} of storage version 2, or of version 1
 * (whose handed-out one-time prekeys have no issue time). Throws DecodeError,
 * VersionTooOldError or VersionTooNewError.
 */
export function decodePrekeyState(bytes: Bytes): PrekeyState {
  const what = 'stored prekeys';
  const r = new Reader(bytes, what);
  const version = r.u8(`${what} version`);
  if (version < OLDEST_PREKEY_STORAGE_VERSION) throw new VersionTooOldError(what, version, OLDEST_PREKEY_STORAGE_VERSION);
  if (version > PREKEY_STORAGE_VERSION) throw new VersionTooNewError(what, version, PREKEY_STORAGE_VERSION);
  const nextId = r.u32('next id');
  const signedCount = r.u16('signed prekey count');
  if (signedCount < 1 || signedCount > MAX_RETAINED_SIGNED_PREKEYS) throw new DecodeError(what, `signed prekey count ${signedCount}`);
  const signed: SignedPrekeyRecord[] = [];
  for (let i = 0; i < signedCount; i++) {
    signed.push({
      id: r.u32('signed prekey id'),
      keyPair: { privateKey: r.fixed(X25519_KEY_BYTES, 'signed prekey private'), publicKey: r.fixed(X25519_KEY_BYTES, 'signed prekey public') },
      signature: r.fixed(ED25519_SIGNATURE_BYTES, 'signed prekey signature'),
      createdAt: r.u64('signed prekey created'),
    });
  }
  const kemCount = r.u16('KEM prekey count');
  if (kemCount < 1 || kemCount > MAX_RETAINED_SIGNED_PREKEYS) throw new DecodeError(what, `KEM prekey count ${kemCount}`);
  const kem: KemPrekeyRecord[] = [];
  for (let i = 0; i < kemCount; i++) {
    kem.push({
      id: r.u32('KEM prekey id'),
      publicKey: r.fixed(MLKEM768_PUBLIC_KEY_BYTES, 'KEM public key'),
      secretKey: r.fixed(MLKEM768_SECRET_KEY_BYTES, 'KEM secret key'),
      signature: r.fixed(ED25519_SIGNATURE_BYTES, 'KEM prekey signature'),
      createdAt: r.u64('KEM prekey created'),
    });
  }
  const oneTimeCount = r.u16('one-time prekey count');
  if (oneTimeCount > MAX_ONE_TIME_PREKEYS) throw new DecodeError(what, `one-time prekey count ${oneTimeCount}`);
  const oneTime: OneTimePrekeyRecord[] = [];
  for (let i = 0; i < oneTimeCount; i++) oneTime.push(readOneTimePrekey(r, what, version));
  r.end();
  return { nextId, signed, kem, oneTime };
}
