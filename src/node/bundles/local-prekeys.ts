/**
 * This node's own prekey state over time: every change runs under
 * PREKEYS_LOCK and is written in the order it is made, and maintenance
 * (docs/PROTOCOL.md §5, "Lifetimes") expires handed-out one-time prekeys,
 * rotates the signed and KEM prekeys, drops retired ones and tops the
 * one-time prekeys up.
 *
 * One change happens outside the lock: the inbox removes the one-time prekey
 * a first message used, at once, from the state as it is then
 * (withoutConsumedOneTimePrekeys). A change made here from an older copy is
 * reconciled with that before it is stored, so a used key never comes back.
 */
import { applyPrekeyLifetimes, nextPrekeyChange, type PrekeyLifetimes } from '../../crypto/prekey-lifetime.ts';
import { replenishOneTimePrekeys, withoutConsumedOneTimePrekeys, type PrekeyState } from '../../crypto/prekeys.ts';
import {
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

/** Tops one-time prekeys up to ONE_TIME_PREKEY_TARGET when fewer than ONE_TIME_PREKEY_LOW_MARK are left to hand out. */
export async function replenishPrekeys(core: Core): Promise<void> {
  await changePrekeys(core, async (state) => {
    const available = state.oneTime.filter((k) => !k.issued).length;
    if (available >= ONE_TIME_PREKEY_LOW_MARK) return { state, result: undefined };
    return { state: await replenishOneTimePrekeys(core.ctx, state, ONE_TIME_PREKEY_TARGET), result: undefined };
  });
}

/**
 * Applies the prekey lifetimes now (expiry, rotation when due, retention)
 * and tops the one-time prekeys up to ONE_TIME_PREKEY_TARGET; writes the
 * state when anything changed. Resolves to whether the signed and KEM
 * prekeys rotated: the published bundle record is then out of date.
 */
export function maintainPrekeys(core: Core): Promise<{ rotated: boolean }> {
  return changePrekeys(core, async (base) => {
    const { state, rotated } = await applyPrekeyLifetimes(core.ctx, core.identity, base, PREKEY_LIFETIMES);
    return { state: await replenishOneTimePrekeys(core.ctx, state, ONE_TIME_PREKEY_TARGET), result: { rotated } };
  });
}

/** Time (ms) until maintenance has something to do, at most PREKEY_MAINTENANCE_MAX_DELAY_MS. */
export function prekeyMaintenanceDelay(core: Core): number {
  const now = core.ctx.now();
  return Math.min(PREKEY_MAINTENANCE_MAX_DELAY_MS, nextPrekeyChange(core.prekeys, now, PREKEY_LIFETIMES) - now);
}
