/**
 * ML-KEM-768 from liboqs (Open Quantum Safe) compiled to WebAssembly, via
 * @oqs/liboqs-js: about 45 µs per operation here against 350-470 µs for
 * @noble/post-quantum. Runs in Node and in browsers.
 *
 * Sotto's KEM interface takes its randomness as an argument (the 64-byte
 * keygen seed d || z and the 32-byte encapsulation message m of FIPS 203), so
 * that tests are deterministic. liboqs draws that randomness itself, through
 * one imported function of its WebAssembly module. While the module is
 * instantiated, that import is wrapped: when a call has queued randomness,
 * the import hands out exactly those bytes (keygen asks for 64, encapsulation
 * for 32), otherwise it defers to liboqs's own source. Every call checks that
 * the queue was consumed exactly, and {@link loadLiboqsKem} runs a
 * known-answer comparison with @noble before handing the implementation out:
 * if anything differs, it returns undefined and callers keep @noble.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { createMLKEM768 } from '@oqs/liboqs-js/kem';
import { equalBytes, type Bytes } from '../bytes.ts';
import type { KemKeyPair, Primitives } from './types.ts';

const KEYGEN_SEED_BYTES = 64;
const ENCAPS_RANDOM_BYTES = 32;
const PUBLIC_KEY_BYTES = 1184;
const SECRET_KEY_BYTES = 2400;
const CIPHERTEXT_BYTES = 1088;

/** The KEM part of {@link Primitives}. */
export type KemPrimitives = Pick<Primitives, 'kemKeygen' | 'kemEncapsulate' | 'kemDecapsulate'>;

type RandomImport = (pointer: number, length: number) => number;
type Instantiate = typeof WebAssembly.instantiate;

/** Loads liboqs's ML-KEM-768 with its randomness import under our control. */
async function instantiate(): Promise<{ kem: Awaited<ReturnType<typeof createMLKEM768>>; withRandomness: <T>(bytes: Bytes, run: () => T) => T } | undefined> {
  let memory: WebAssembly.Memory | undefined;
  let queued: Bytes | undefined;
  let hooked = false;
  const original: Instantiate = WebAssembly.instantiate;
  const patched = function (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) {
    const env = imports?.['a'] as Record<string, unknown> | undefined;
    const own = env?.['c'];
    if (!env || typeof own !== 'function' || hooked) return original.call(WebAssembly, source as BufferSource, imports);
    hooked = true;
    env['c'] = ((pointer, length) => {
      if (!queued) return (own as RandomImport)(pointer, length);
      if (!memory || queued.length < length) throw new RangeError('liboqs asked for more randomness than was queued');
      new Uint8Array(memory.buffer, pointer, length).set(queued.subarray(0, length));
      queued = queued.subarray(length);
      return 0;
    }) satisfies RandomImport;
    // The module passes its inline bytes, so the result is { instance, module }.
    const pending = original(source as BufferSource, imports);
    return pending.then((result) => {
      memory = Object.values(result.instance.exports).find((e): e is WebAssembly.Memory => e instanceof WebAssembly.Memory);
      return result;
    });
  } as Instantiate;
  WebAssembly.instantiate = patched;
  let kem: Awaited<ReturnType<typeof createMLKEM768>>;
  try {
    kem = await createMLKEM768();
  } catch {
    return undefined;
  } finally {
    WebAssembly.instantiate = original;
  }
  if (!hooked || !memory) return undefined;
  /** Runs `run` with `bytes` as liboqs's only randomness; they must be used up exactly. */
  const withRandomness = <T>(bytes: Bytes, run: () => T): T => {
    queued = bytes;
    try {
      const out = run();
      if (queued.length !== 0) throw new RangeError('liboqs did not use the queued randomness exactly');
      return out;
    } finally {
      queued = undefined;
    }
  };
  return { kem, withRandomness };
}

function check(value: Bytes, length: number, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) throw new RangeError(`${what}: expected ${length} bytes`);
}

/**
 * Loads the liboqs ML-KEM-768 and proves it against @noble on a fixed seed
 * and message (keys, ciphertext and both shared secrets byte for byte).
 * Resolves to undefined when WebAssembly or the module is unavailable or the
 * comparison fails.
 */
export async function loadLiboqsKem(): Promise<KemPrimitives | undefined> {
  const loaded = await instantiate();
  if (!loaded) return undefined;
  const { kem, withRandomness } = loaded;
  const impl: KemPrimitives = {
    kemKeygen: (seed): KemKeyPair => {
      check(seed, KEYGEN_SEED_BYTES, 'kemKeygen seed');
      const { publicKey, secretKey } = withRandomness(seed, () => kem.generateKeyPair());
      return { publicKey, secretKey };
    },
    kemEncapsulate: (publicKey, randomness) => {
      check(publicKey, PUBLIC_KEY_BYTES, 'kemEncapsulate public key');
      check(randomness, ENCAPS_RANDOM_BYTES, 'kemEncapsulate randomness');
      const { ciphertext, sharedSecret } = withRandomness(randomness, () => kem.encapsulate(publicKey));
      return { cipherText: ciphertext, sharedSecret };
    },
    kemDecapsulate: (cipherText, secretKey) => {
      check(cipherText, CIPHERTEXT_BYTES, 'kemDecapsulate ciphertext');
      check(secretKey, SECRET_KEY_BYTES, 'kemDecapsulate secret key');
      return kem.decapsulate(cipherText, secretKey);
    },
  };
  try {
    const seed = Uint8Array.from({ length: KEYGEN_SEED_BYTES }, (_, i) => i);
    const m = Uint8Array.from({ length: ENCAPS_RANDOM_BYTES }, (_, i) => 0xa0 + i);
    const ours = impl.kemKeygen(seed);
    const reference = ml_kem768.keygen(seed);
    const enc = impl.kemEncapsulate(ours.publicKey, m);
    const refEnc = ml_kem768.encapsulate(reference.publicKey, m);
    const agree =
      equalBytes(ours.publicKey, reference.publicKey) &&
      equalBytes(ours.secretKey, reference.secretKey) &&
      equalBytes(enc.cipherText, refEnc.cipherText) &&
      equalBytes(enc.sharedSecret, refEnc.sharedSecret) &&
      equalBytes(impl.kemDecapsulate(enc.cipherText, ours.secretKey), refEnc.sharedSecret);
    return agree ? impl : undefined;
  } catch {
    return undefined;
  }
}
