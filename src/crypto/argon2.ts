/**
 * Argon2id (RFC 9106) for passphrases. The primitives' own implementation
 * when they have one that takes the parameters (libsodium: one lane, a
 * 16-byte salt; native, ~15× faster here, and its memory is freed as soon as
 * it returns), else @noble/hashes, which yields to other work every
 * ARGON2_ASYNC_TICK_MS. Both give the same bytes (tested).
 */
import { argon2idAsync } from '@noble/hashes/argon2.js';
import type { Bytes } from './bytes.ts';
import type { Argon2Params, Primitives } from './primitives/types.ts';

/** Let other work run while the portable Argon2id computes (ms between yields). */
const ARGON2_ASYNC_TICK_MS = 10;

export async function argon2id(primitives: Primitives, password: Bytes, salt: Bytes, params: Argon2Params): Promise<Bytes> {
  const native = await primitives.argon2id?.(password, salt, params);
  if (native) return native;
  return argon2idAsync(password, salt, { t: params.t, m: params.m, p: params.p, dkLen: params.dkLen, asyncTick: ARGON2_ASYNC_TICK_MS });
}
