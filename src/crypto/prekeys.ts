/**
 * A device's own prekeys as a plain value: generation, rotation, handing out
 * bundles (each one-time prekey, X25519 or ML-KEM, at most once, with the
 * time it was handed out) and consuming one-time prekeys after a successful
 * first decrypt, and the stored encoding. Every function returns a new
 * state; the caller persists it (together with whatever it belongs to).
 * Expiry and retention are in ./prekey-lifetime.ts.
 */
import { Reader, Writer, type Bytes } from './bytes.ts';
import {
  ED25519_SIGNATURE_BYTES,
  MAX_ONE_TIME_KEM_PREKEYS,
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
import { DecodeError } from './errors.ts';
import { readVersion } from './version.ts';
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

/**
 * A one-time ML-KEM-768 prekey, signed like the last-resort KEM prekey (the
 * same signed data, so a bundle carries either one in the same fields). Only
 * its 64-byte key generation seed (`d || z`, FIPS 203) is kept; the key pair
 * is regenerated from it ({@link oneTimeKemKeyPair}) when it is handed out or
 * used. `issued` and `issuedAt` as for {@link OneTimePrekeyRecord}.
 */
export interface OneTimeKemPrekeyRecord {
  readonly id: number;
  readonly seed: Bytes;
  readonly signature: Bytes;
  readonly issued: boolean;
  readonly issuedAt?: number | undefined;
}

/**
 * All of a device's prekeys. The last signed and KEM prekeys are current;
 * `kem` holds the signed last-resort KEM prekeys, `oneTimeKem` the one-time
 * ones. Ids come from one counter (`nextId`) and are unique across all kinds.
 */
export interface PrekeyState {
  readonly nextId: number;
  readonly signed: readonly SignedPrekeyRecord[];
  readonly kem: readonly KemPrekeyRecord[];
  readonly oneTime: readonly OneTimePrekeyRecord[];
  readonly oneTimeKem: readonly OneTimeKemPrekeyRecord[];
}

/** Options of {@link createPrekeyState}. */
export interface PrekeyInit {
  /** One-time X25519 prekeys to create (at most MAX_ONE_TIME_PREKEYS). */
  readonly oneTimePrekeys: number;
  /** One-time ML-KEM prekeys to create (at most MAX_ONE_TIME_KEM_PREKEYS); none when absent. */
  readonly oneTimeKemPrekeys?: number | undefined;
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

async function newOneTimeKemPrekeys(ctx: CryptoContext, identity: IdentityKeyPair, firstId: number, count: number): Promise<OneTimeKemPrekeyRecord[]> {
  const out: OneTimeKemPrekeyRecord[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    const seed = ctx.randomBytes(MLKEM768_SEED_BYTES);
    const { publicKey } = ctx.primitives.kemKeygen(seed);
    const signature = await ctx.primitives.ed25519Sign(identity.signingSeed, kemPrekeySignedData(id, publicKey));
    out.push({ id, seed, signature, issued: false });
  }
  return out;
}

/**
 * The ML-KEM-768 key pair of a one-time KEM prekey, regenerated from its
 * seed (`ctx.primitives.kemKeygen`). Throws what kemKeygen throws for a seed
 * of the wrong length.
 */
export function oneTimeKemKeyPair(ctx: CryptoContext, record: OneTimeKemPrekeyRecord): { readonly publicKey: Bytes; readonly secretKey: Bytes } {
  return ctx.primitives.kemKeygen(record.seed);
}

function checkCount(name: string, value: number | undefined, max: number): number {
  const count = value ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > max) throw new RangeError(`createPrekeyState: ${name} must be 0..${max}`);
  return count;
}

/**
 * Creates a device's first prekeys: one signed (id 1), one last-resort KEM
 * (id 2), `oneTimePrekeys` one-time X25519 prekeys (ids 3, 4, …) and then
 * `oneTimeKemPrekeys` one-time ML-KEM prekeys (the ids after those), drawing
 * randomness in that order. Throws RangeError for a count out of range.
 */
export async function createPrekeyState(ctx: CryptoContext, identity: IdentityKeyPair, init: PrekeyInit): Promise<PrekeyState> {
  const oneTimeCount = checkCount('oneTimePrekeys', init.oneTimePrekeys, MAX_ONE_TIME_PREKEYS);
  const kemCount = checkCount('oneTimeKemPrekeys', init.oneTimeKemPrekeys, MAX_ONE_TIME_KEM_PREKEYS);
  const signed = await newSignedPrekey(ctx, identity, 1);
  const kem = await newKemPrekey(ctx, identity, 2);
  const oneTime = await newOneTimePrekeys(ctx, 3, oneTimeCount);
  const oneTimeKem = await newOneTimeKemPrekeys(ctx, identity, 3 + oneTimeCount, kemCount);
  return { nextId: 3 + oneTimeCount + kemCount, signed: [signed], kem: [kem], oneTime, oneTimeKem };
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

/** How many to add to `list` to have `target` not handed out, within `max` in all. */
function shortfall(list: readonly { readonly issued: boolean }[], target: number, max: number): number {
  const available = list.filter((k) => !k.issued).length;
  return Math.max(0, Math.min(target - available, max - list.length));
}

/** Tops the un-issued one-time X25519 prekeys up to `target` (at most MAX_ONE_TIME_PREKEYS in all). */
export async function replenishOneTimePrekeys(ctx: CryptoContext, state: PrekeyState, target: number): Promise<PrekeyState> {
  const count = shortfall(state.oneTime, target, MAX_ONE_TIME_PREKEYS);
  if (count === 0) return state;
  const fresh = await newOneTimePrekeys(ctx, state.nextId, count);
  return { ...state, nextId: state.nextId + count, oneTime: [...state.oneTime, ...fresh] };
}

/**
 * Tops the un-issued one-time ML-KEM prekeys up to `target` (at most
 * MAX_ONE_TIME_KEM_PREKEYS in all), each signed by `identity`. Returns
 * `state` itself when none is needed.
 */
export async function replenishOneTimeKemPrekeys(ctx: CryptoContext, identity: IdentityKeyPair, state: PrekeyState, target: number): Promise<PrekeyState> {
  const count = shortfall(state.oneTimeKem, target, MAX_ONE_TIME_KEM_PREKEYS);
  if (count === 0) return state;
  const fresh = await newOneTimeKemPrekeys(ctx, identity, state.nextId, count);
  return { ...state, nextId: state.nextId + count, oneTimeKem: [...state.oneTimeKem, ...fresh] };
}

/** Un-issued one-time prekeys of each kind. */
export function unissuedOneTimePrekeys(state: PrekeyState): { readonly x25519: number; readonly kem: number } {
  return { x25519: state.oneTime.filter((k) => !k.issued).length, kem: state.oneTimeKem.filter((k) => !k.issued).length };
}

function current<T>(list: readonly T[]): T {
  const last = list[list.length - 1];
  if (last === undefined) throw new RangeError('prekey state has no current prekey');
  return last;
}

/** `list` with `key` marked issued at `now` (no time when `now` is undefined). */
function markIssued<T extends { readonly issued: boolean; readonly issuedAt?: number | undefined }>(list: readonly T[], key: T, now: number | undefined): T[] {
  // A key not yet handed out has no issuedAt to carry over.
  const marked: T = now === undefined ? { ...key, issued: true } : { ...key, issued: true, issuedAt: now };
  return list.map((k) => (k === key ? marked : k));
}

/**
 * Builds a bundle from the current prekeys. With `oneTime` (the default) it
 * includes the first one-time X25519 prekey not yet issued, and carries the
 * first one-time ML-KEM prekey not yet issued as its KEM prekey (its key pair
 * regenerated from the seed); each is marked issued at `now` in the returned
 * state, so it is handed out at most once (without `now` the issue time is
 * left for expireOneTimePrekeys to fill in). The two kinds run out
 * independently: without a one-time ML-KEM prekey the KEM prekey is the
 * current signed last-resort one, as it always is without `oneTime` (the
 * bundle published in the DHT). When nothing was issued the state is
 * returned unchanged (the same object).
 */
export function issueBundle(ctx: CryptoContext, identity: IdentityKeyPair, state: PrekeyState, options: { oneTime?: boolean; now?: number } = {}): { state: PrekeyState; bundle: PrekeyBundle } {
  const spk = current(state.signed);
  const lastResort = current(state.kem);
  const oneTime = options.oneTime !== false;
  const opk = oneTime ? state.oneTime.find((k) => !k.issued) : undefined;
  const okem = oneTime ? state.oneTimeKem.find((k) => !k.issued) : undefined;
  const kemPrekey = okem
    ? { id: okem.id, publicKey: oneTimeKemKeyPair(ctx, okem).publicKey, signature: okem.signature }
    : { id: lastResort.id, publicKey: lastResort.publicKey, signature: lastResort.signature };
  const bundle: PrekeyBundle = {
    identity: identity.public,
    signedPrekey: { id: spk.id, publicKey: spk.keyPair.publicKey, signature: spk.signature },
    kemPrekey,
    oneTimePrekey: opk ? { id: opk.id, publicKey: opk.keyPair.publicKey } : undefined,
  };
  if (!opk && !okem) return { state, bundle };
  return {
    state: {
      ...state,
      oneTime: opk ? markIssued(state.oneTime, opk, options.now) : state.oneTime,
      oneTimeKem: okem ? markIssued(state.oneTimeKem, okem, options.now) : state.oneTimeKem,
    },
    bundle,
  };
}

/** True when `state` holds a one-time prekey of either kind (X25519 or ML-KEM) not yet handed out. */
export function hasUnissuedOneTimePrekey(state: PrekeyState): boolean {
  return state.oneTime.some((k) => !k.issued) || state.oneTimeKem.some((k) => !k.issued);
}

/**
 * Removes the one-time prekey with this id, X25519 or ML-KEM (ids are unique
 * across kinds), after the first message that used it decrypted. A signed or
 * last-resort KEM prekey is never removed here.
 */
export function consumeOneTimePrekey(state: PrekeyState, id: number): PrekeyState {
  return { ...state, oneTime: state.oneTime.filter((k) => k.id !== id), oneTimeKem: state.oneTimeKem.filter((k) => k.id !== id) };
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
  const held = new Set([...reference.oneTime, ...reference.oneTimeKem].map((k) => k.id));
  const kept = (k: { readonly id: number }): boolean => k.id >= reference.nextId || held.has(k.id);
  const oneTime = target.oneTime.filter(kept);
  const oneTimeKem = target.oneTimeKem.filter(kept);
  if (oneTime.length === target.oneTime.length && oneTimeKem.length === target.oneTimeKem.length) return target;
  return { ...target, oneTime, oneTimeKem };
}

/** Issue flag of a stored one-time prekey (storage versions 2 and 3, both kinds). */
const NOT_ISSUED = 0;
const ISSUED_AT = 1;
const ISSUED_AT_UNKNOWN = 2;

/** Storage encoding of a {@link PrekeyState}. */
export function encodePrekeyState(state: PrekeyState): Bytes {
  const w = new Writer(4096 * state.kem.length + state.oneTime.length * 80 + state.oneTimeKem.length * 144);
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
    writeIssued(w, k);
  }
  w.u16(state.oneTimeKem.length);
  for (const k of state.oneTimeKem) {
    w.u32(k.id).fixed(k.seed, MLKEM768_SEED_BYTES).fixed(k.signature, ED25519_SIGNATURE_BYTES);
    writeIssued(w, k);
  }
  return w.finish();
}

function writeIssued(w: Writer, k: { readonly issued: boolean; readonly issuedAt?: number | undefined }): void {
  if (!k.issued) w.u8(NOT_ISSUED);
  else if (k.issuedAt === undefined) w.u8(ISSUED_AT_UNKNOWN);
  else w.u8(ISSUED_AT).u64(k.issuedAt);
}

/** The issue state after a stored flag of storage version 2 or 3. */
function readIssued(r: Reader, what: string): { issued: boolean; issuedAt?: number } {
  const flag = r.u8('issued flag');
  if (flag === NOT_ISSUED) return { issued: false };
  if (flag === ISSUED_AT_UNKNOWN) return { issued: true };
  if (flag === ISSUED_AT) return { issued: true, issuedAt: r.u64('one-time prekey issued at') };
  throw new DecodeError(what, `issued flag ${flag}`);
}

function readOneTimePrekey(r: Reader, what: string, version: number): OneTimePrekeyRecord {
  const id = r.u32('one-time prekey id');
  const keyPair = { privateKey: r.fixed(X25519_KEY_BYTES, 'one-time private'), publicKey: r.fixed(X25519_KEY_BYTES, 'one-time public') };
  if (version === 1) {
    // Version 1: 0 not handed out, 1 handed out (no time recorded).
    const flag = r.u8('issued flag');
    if (flag > 1) throw new DecodeError(what, 'issued flag is not 0 or 1');
    return { id, keyPair, issued: flag === 1 };
  }
  return { id, keyPair, ...readIssued(r, what) };
}

function readOneTimeKemPrekey(r: Reader, what: string): OneTimeKemPrekeyRecord {
  const id = r.u32('one-time KEM prekey id');
  const seed = r.fixed(MLKEM768_SEED_BYTES, 'one-time KEM prekey seed');
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'one-time KEM prekey signature');
  return { id, seed, signature, ...readIssued(r, what) };
}

/**
 * Decodes a stored {@link PrekeyState} of storage version 3, or of version 2
 * (no one-time ML-KEM prekeys) or 1 (no one-time ML-KEM prekeys, and no issue
 * times for the handed-out one-time prekeys). Every count is checked before
 * its items are read. Throws DecodeError, VersionTooOldError or
 * VersionTooNewError.
 */
export function decodePrekeyState(bytes: Bytes): PrekeyState {
  const what = 'stored prekeys';
  const r = new Reader(bytes, what);
  const version = readVersion(r, what, PREKEY_STORAGE_VERSION, OLDEST_PREKEY_STORAGE_VERSION);
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
  const oneTimeKem: OneTimeKemPrekeyRecord[] = [];
  if (version >= 3) {
    const kemOneTimeCount = r.u16('one-time KEM prekey count');
    if (kemOneTimeCount > MAX_ONE_TIME_KEM_PREKEYS) throw new DecodeError(what, `one-time KEM prekey count ${kemOneTimeCount}`);
    for (let i = 0; i < kemOneTimeCount; i++) oneTimeKem.push(readOneTimeKemPrekey(r, what));
  }
  r.end();
  return { nextId, signed, kem, oneTime, oneTimeKem };
}
