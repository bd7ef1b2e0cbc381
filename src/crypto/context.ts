/**
 * What every stateful crypto operation is given instead of reaching for
 * globals: the primitives, a source of randomness and a clock. Tests pass a
 * seeded RNG and a fixed clock, so every scenario is deterministic.
 */
import type { Bytes } from './bytes.ts';
import type { Primitives } from './primitives/types.ts';

/** Injected dependencies of Sotto's crypto functions. */
export interface CryptoContext {
  readonly primitives: Primitives;
  /** Cryptographically secure random bytes (tests: a seeded DRBG). */
  readonly randomBytes: (length: number) => Bytes;
  /** Milliseconds since the Unix epoch (tests: a fixed or stepped clock). */
  readonly now: () => number;
}
