/**
 * How long a device's prekeys live (docs/PROTOCOL.md §5, "Lifetimes"):
 *
 * - a one-time prekey (X25519 or ML-KEM) that was handed out and never used
 *   expires `oneTimeTtlMs` after it was handed out (one not handed out never
 *   expires);
 * - the current signed and KEM prekeys are replaced once `rotationMs` old;
 * - a superseded signed or KEM prekey is dropped `retentionMs` after its
 *   successor was made (the moment it stopped being handed out).
 *
 * Pure functions over a {@link PrekeyState}; the durations are arguments (the
 * node's constants) and the clock is `now`. Each returns the state it was
 * given (the same object) when nothing changes, so the caller writes only
 * when something did.
 */
import type { CryptoContext } from './context.ts';
import type { IdentityKeyPair } from './identity.ts';
import { rotateSignedPrekeys, type PrekeyState } from './prekeys.ts';

/** The lifetimes a device applies to its prekeys, in ms. */
export interface PrekeyLifetimes {
  /** A handed-out, unused one-time prekey is dropped this long after it was handed out. */
  readonly oneTimeTtlMs: number;
  /** The current signed and KEM prekeys are replaced once this old. */
  readonly rotationMs: number;
  /** A superseded signed or KEM prekey is kept this long after its successor was made. */
  readonly retentionMs: number;
}

/** `list` after expiry at `now`, or `list` itself when nothing changed. */
function expired<T extends { readonly issued: boolean; readonly issuedAt?: number | undefined }>(list: readonly T[], now: number, ttlMs: number): readonly T[] {
  let changed = false;
  const kept: T[] = [];
  for (const k of list) {
    if (!k.issued) kept.push(k);
    else if (k.issuedAt === undefined) {
      kept.push({ ...k, issuedAt: now });
      changed = true;
    } else if (now - k.issuedAt < ttlMs) kept.push(k);
    else changed = true;
  }
  return changed ? kept : list;
}

/**
 * Drops handed-out one-time prekeys, X25519 and ML-KEM alike, issued `ttlMs`
 * or more before `now`. A handed-out key without an issue time (stored by
 * version 1, or handed out without a time) gets `now` as its issue time, so
 * it lives one whole TTL from the first time it is seen.
 */
export function expireOneTimePrekeys(state: PrekeyState, now: number, ttlMs: number): PrekeyState {
  const oneTime = expired(state.oneTime, now, ttlMs);
  const oneTimeKem = expired(state.oneTimeKem, now, ttlMs);
  return oneTime === state.oneTime && oneTimeKem === state.oneTimeKem ? state : { ...state, oneTime, oneTimeKem };
}

/** Keeps the current (last) entry and every superseded one whose successor is younger than `retentionMs`. */
function retained<T extends { readonly createdAt: number }>(list: readonly T[], now: number, retentionMs: number): readonly T[] {
  const kept = list.filter((_, i) => i === list.length - 1 || now - list[i + 1]!.createdAt < retentionMs);
  return kept.length === list.length ? list : kept;
}

/** Drops superseded signed and KEM prekeys whose successor was made `retentionMs` or more before `now`. */
export function dropRetiredPrekeys(state: PrekeyState, now: number, retentionMs: number): PrekeyState {
  const signed = retained(state.signed, now, retentionMs);
  const kem = retained(state.kem, now, retentionMs);
  return signed === state.signed && kem === state.kem ? state : { ...state, signed, kem };
}

function due(createdAt: number, now: number, rotationMs: number): boolean {
  // A current prekey from further in the future than one interval means the
  // clock went back; it is replaced too, or it would stay current for that long.
  return Math.abs(now - createdAt) >= rotationMs;
}

/** True when the current signed or KEM prekey is `rotationMs` old (or more). */
export function rotationDue(state: PrekeyState, now: number, rotationMs: number): boolean {
  const signed = state.signed[state.signed.length - 1];
  const kem = state.kem[state.kem.length - 1];
  return (signed !== undefined && due(signed.createdAt, now, rotationMs)) || (kem !== undefined && due(kem.createdAt, now, rotationMs));
}

/**
 * Applies every lifetime at `ctx.now()`: expires one-time prekeys, rotates
 * the signed and KEM prekeys when due, and drops retired ones. `rotated`
 * says whether the current prekeys changed (the published bundle is then
 * out of date).
 */
export async function applyPrekeyLifetimes(
  ctx: CryptoContext,
  identity: IdentityKeyPair,
  state: PrekeyState,
  lifetimes: PrekeyLifetimes,
): Promise<{ state: PrekeyState; rotated: boolean }> {
  const now = ctx.now();
  let next = expireOneTimePrekeys(state, now, lifetimes.oneTimeTtlMs);
  const rotated = rotationDue(next, now, lifetimes.rotationMs);
  if (rotated) next = await rotateSignedPrekeys(ctx, identity, next);
  return { state: dropRetiredPrekeys(next, now, lifetimes.retentionMs), rotated };
}

/**
 * The earliest time at which {@link applyPrekeyLifetimes} would change
 * something: a rotation, an expiry or a retirement falling due (`now` when
 * a handed-out key still lacks its issue time). Never earlier than `now`.
 */
export function nextPrekeyChange(state: PrekeyState, now: number, lifetimes: PrekeyLifetimes): number {
  const times: number[] = [];
  for (const list of [state.signed, state.kem]) {
    const current = list[list.length - 1];
    if (current) times.push(current.createdAt + lifetimes.rotationMs);
    for (let i = 0; i + 1 < list.length; i++) times.push(list[i + 1]!.createdAt + lifetimes.retentionMs);
  }
  for (const k of [...state.oneTime, ...state.oneTimeKem]) if (k.issued) times.push(k.issuedAt === undefined ? now : k.issuedAt + lifetimes.oneTimeTtlMs);
  return Math.max(now, Math.min(...times));
}
