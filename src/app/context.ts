/**
 * The crypto context a Sotto process on Node runs with: the fastest correct
 * primitives it has (libsodium + liboqs, else node:crypto / @noble), the OS
 * CSPRNG, and the clock it is given.
 */
import type { CryptoContext } from '../crypto/context.ts';
import { loadNodePrimitives } from '../crypto/primitives/node-best.ts';
import { nodeRandomBytes } from '../crypto/primitives/node.ts';

/** Builds the context; `now` is injected so that callers decide what time is. */
export async function nodeCryptoContext(now: () => number): Promise<CryptoContext> {
  return { primitives: await loadNodePrimitives(), randomBytes: nodeRandomBytes, now };
}
