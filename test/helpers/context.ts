/**
 * Deterministic crypto contexts for tests: a seeded ChaCha20 DRBG, a clock
 * the test moves by hand, and a choice of primitives.
 */
import { rngChacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';

/** A clock a test advances explicitly. */
export interface TestClock {
  now(): number;
  advance(ms: number): void;
  set(ms: number): void;
}

/** A clock starting at 2026-01-01T00:00:00Z. */
export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

/** A deterministic RNG: ChaCha20 keyed with SHA-256(seed label). */
export function seededRandom(label: string): (length: number) => Uint8Array {
  const prg = rngChacha20(sha256(new TextEncoder().encode(label)));
  return (length) => prg.randomBytes(length);
}

/** A deterministic context; each party in a test should use its own label. */
export function testContext(label: string, options: { primitives?: Primitives; clock?: TestClock } = {}): CryptoContext & { clock: TestClock } {
  const clock = options.clock ?? testClock();
  return { primitives: options.primitives ?? nodePrimitives, randomBytes: seededRandom(label), now: () => clock.now(), clock };
}
