/**
 * Every implementation of Primitives that Sotto ships, loaded once, for the
 * suites that must hold for all of them (Wycheproof, libsignal vectors, key
 * policy, cross-implementation agreement). Optional native and WebAssembly
 * back ends must load on the machines Sotto supports, so a failure to load
 * them fails the tests rather than skipping them.
 */
import { loadLiboqsKem } from '../../src/crypto/primitives/kem-liboqs.ts';
import { withKem } from '../../src/crypto/primitives/node-best.ts';
import { noblePrimitives } from '../../src/crypto/primitives/noble.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { loadSodiumPrimitives } from '../../src/crypto/primitives/sodium.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { webCryptoPrimitives } from '../../src/crypto/primitives/webcrypto.ts';

const sodium = await loadSodiumPrimitives();
if (!sodium) throw new Error('sodium-native did not load');
const liboqs = await loadLiboqsKem();
if (!liboqs) throw new Error('liboqs ML-KEM did not load or failed its known-answer check');

/** libsodium with liboqs's ML-KEM: what a Node process uses (loadNodePrimitives). */
export const sodiumLiboqsPrimitives: Primitives = withKem(sodium, liboqs);

/** All shipped implementations: node:crypto, @noble, WebCrypto, libsodium + liboqs. */
export const ALL_PRIMITIVES: readonly Primitives[] = [nodePrimitives, noblePrimitives, webCryptoPrimitives, sodiumLiboqsPrimitives];
