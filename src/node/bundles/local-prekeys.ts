/**
 * This node's own prekey state over time: every change runs under
 * PREKEYS_LOCK and is written in the order it is made, and maintenance
 * (docs/PROTOCOL.md §5, "Lifetimes") expires handed-out one-time prekeys,
 * rotates the signed and KEM prekeys, drops retired ones and tops the
 * one-time prekeys of both kinds (X25519 and ML-KEM) up.
 *
 * One change happens outside the lock: the inbox removes the one-time
 * prekeys a first message used, at once, from the state as it is then
 * (withoutConsumedOneTimePrekeys). A change made here from an older copy is
 * reconciled with that before it is stored, so a used key never comes back.
 */
import { applyPrekeyLifetimes, nextPrekeyChange, type PrekeyLifetimes } from '../../crypto/prekey-lifetime.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import { replenishOneTimeKemPrekeys, replenishOneTimePrekeys, unissuedOneTimePrekeys, withoutConsumedOneTimePrekeys, type PrekeyState } from '../../crypto/prekeys.ts';
import {
  ONE_TIME_KEM_PREKEY_LOW_MARK,
  ONE_TIME_KEM_PREKEY_TARGET,
  ONE_TIME_PREKEY_LOW_MARK,
  ONE_TIME_PREKEY_TARGET,
  ONE_TIME_PREKEY_TTL_MS,
  PREKEY_MAINTENANCE_MAX_DELAY_MS,
  SIGNED_PREKEY_RETENTION_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from '../constants.ts';
import { PREKEYS_LOCK, type Core } from '../core/core.ts';
import { Tx } from '../store/store.ts';

/** Sotto's prekey lifetimes (src/node/constants.ts). */
export const PREKEY_LIFETIMES: PrekeyLifetimes = {
  oneTimeTtlMs: ONE_TIME_PREKEY_TTL_MS,
  rotationMs: SIGNED_PREKEY_ROTATION_MS,
  retentionMs: SIGNED_PREKEY_RETENTION_MS,
};

/**
 * Runs `change` on the current prekey state under PREKEYS_LOCK. When it
 * returns another state, that becomes the node's state at once (so later
 * changes build on it) and is written with a synced commit, after every
 * earlier commit; resolves once it is on disk. Returns what `change`
 * returned. A state returned unchanged (the same object) writes nothing.
 */
export function changePrekeys<T>(core: Core, change: (state: PrekeyState) => Promise<{ state: PrekeyState; result: T }> | { state: PrekeyState; result: T }): Promise<T> {
  return core.locks.run(PREKEYS_LOCK, async () => {
    const base = core.prekeys;
    const { state, result } = await change(base);
    if (state !== base) {
      // The inbox may have used a one-time prekey while `change` ran.
      core.prekeys = withoutConsumedOneTimePrekeys(state, core.prekeys);
      await core.store.commit(new Tx().putPrekeys(core.prekeys), { sync: true });
    }
    return result;
  });
}

/**
 * `state` with both kinds of one-time prekeys topped up to their targets
 * (ONE_TIME_PREKEY_TARGET, ONE_TIME_KEM_PREKEY_TARGET); with `onlyBelowLowMark`
 * a kind is topped up only when fewer than its low mark are left to hand out.
 * Returns `state` itself when nothing was added.
 */
export async function toppedUpPrekeys(ctx: CryptoContext, identity: IdentityKeyPair, state: PrekeyState, onlyBelowLowMark: boolean): Promise<PrekeyState> {
  const left = unissuedOneTimePrekeys(state);
  let next = state;
  if (!onlyBelowLowMark || left.x25519 < ONE_TIME_PREKEY_LOW_MARK) next = await replenishOneTimePrekeys(ctx, next, ONE_TIME_PREKEY_TARGET);
  if (!onlyBelowLowMark || left.kem < ONE_TIME_KEM_PREKEY_LOW_MARK) next = await replenishOneTimeKemPrekeys(ctx, identity, next, ONE_TIME_KEM_PREKEY_TARGET);
  return next;
}

/**
 * Tops the one-time prekeys of each kind up to its target when fewer than
 * its low mark (ONE_TIME_PREKEY_LOW_MARK, ONE_TIME_KEM_PREKEY_LOW_MARK) are
 * left to hand out.
 */
export async function replenishPrekeys(core: Core): Promise<void> {
  await changePrekeys(core, async (state) => ({ state: await toppedUpPrekeys(core.ctx, core.identity, state, true), result: undefined }));
}

/**
 * Applies the prekey lifetimes now (expiry, rotation when due, retention)
 * and tops the one-time prekeys of both kinds up to their targets; writes the
 * state when anything changed. Resolves to whether the signed and KEM
 * prekeys rotated: the published bundle record is then out of date.
 */
export function maintainPrekeys(core: Core): Promise<{ rotated: boolean }> {
  return changePrekeys(core, async (base) => {
    const { state, rotated } = await applyPrekeyLifetimes(core.ctx, core.identity, base, PREKEY_LIFETIMES);
    return { state: await toppedUpPrekeys(core.ctx, core.identity, state, false), result: { rotated } };
  });
}

/** Time (ms) until maintenance has something to do, at most PREKEY_MAINTENANCE_MAX_DELAY_MS. */
export function prekeyMaintenanceDelay(core: Core): number {
  const now = core.ctx.now();
  return Math.min(PREKEY_MAINTENANCE_MAX_DELAY_MS, nextPrekeyChange(core.prekeys, now, PREKEY_LIFETIMES) - now);
}
