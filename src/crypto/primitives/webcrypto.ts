/**
 * Primitives for browsers: X25519 and Ed25519 from the runtime's WebCrypto
 * (BoringSSL/NSS speed, asynchronous only), everything else from @noble.
 * {@link detectPrimitives} checks at start-up that the runtime's WebCrypto
 * really supports both curves and gives correct answers, and falls back to
 * pure @noble where it does not. The same file runs in Node (whose WebCrypto
 * is OpenSSL), which is how the tests compare it with the other
 * implementations.
 */
import type { Bytes } from '../bytes.ts';
import { equalBytes, fromHex } from '../bytes.ts';
import { loadLiboqsKem } from './kem-liboqs.ts';
import { noblePrimitives } from './noble.ts';
import { passesSignaturePolicy } from './ed25519-policy.ts';
import { ED25519_PKCS8_PREFIX, X25519_PKCS8_PREFIX, type Primitives } from './types.ts';

const X25519_BITS = 256;

// RFC 7748 section 6.1: Alice's private key, Bob's public key, their shared secret.
const PROBE_PRIVATE = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const PROBE_PUBLIC = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const PROBE_SHARED = fromHex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new TypeError('WebCrypto is not available in this runtime');
  return s;
}

function pkcs8(prefix: Bytes, key: Bytes): Uint8Array<ArrayBuffer> {
  if (key.length !== 32) throw new RangeError(`expected a 32-byte key, got ${key.length}`);
  const out = new Uint8Array(prefix.length + 32);
  out.set(prefix, 0);
  out.set(key, prefix.length);
  return out;
}

/** Copies into a fresh ArrayBuffer-backed array, as WebCrypto's typings require. */
function buf(bytes: Bytes): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

function fromBase64Url(text: string): Bytes {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function publicFromPrivate(prefix: Bytes, algorithm: string, key: Bytes): Promise<Bytes> {
  const usages: KeyUsage[] = algorithm === 'X25519' ? ['deriveBits'] : ['sign'];
  const handle = await subtle().importKey('pkcs8', pkcs8(prefix, key), { name: algorithm }, true, usages);
  const jwk = await subtle().exportKey('jwk', handle);
  if (!jwk.x) throw new TypeError('WebCrypto returned no public key');
  return fromBase64Url(jwk.x);
}

/** WebCrypto X25519/Ed25519 with @noble for the rest. Use {@link detectPrimitives} to choose it. */
export const webCryptoPrimitives: Primitives = {
  ...noblePrimitives,
  name: 'webcrypto',
  x25519PublicKey: (key) => publicFromPrivate(X25519_PKCS8_PREFIX, 'X25519', key),
  x25519: async (priv, pub) => {
    if (pub.length !== 32) throw new RangeError(`expected a 32-byte key, got ${pub.length}`);
    const s = subtle();
    const [privateKey, publicKey] = await Promise.all([
      s.importKey('pkcs8', pkcs8(X25519_PKCS8_PREFIX, priv), { name: 'X25519' }, false, ['deriveBits']),
      s.importKey('raw', buf(pub), { name: 'X25519' }, false, []),
    ]);
    return new Uint8Array(await s.deriveBits({ name: 'X25519', public: publicKey }, privateKey, X25519_BITS));
  },
  ed25519PublicKey: (seed) => publicFromPrivate(ED25519_PKCS8_PREFIX, 'Ed25519', seed),
  ed25519Sign: async (seed, message) => {
    const key = await subtle().importKey('pkcs8', pkcs8(ED25519_PKCS8_PREFIX, seed), { name: 'Ed25519' }, false, ['sign']);
    return new Uint8Array(await subtle().sign({ name: 'Ed25519' }, key, buf(message)));
  },
  ed25519Verify: async (signature, message, publicKey) => {
    if (!passesSignaturePolicy(signature, publicKey)) return false;
    try {
      const key = await subtle().importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, ['verify']);
      return await subtle().verify({ name: 'Ed25519' }, key, buf(signature), buf(message));
    } catch {
      return false;
    }
  },
};

/**
 * The fastest correct primitives this runtime offers without Node built-ins:
 * WebCrypto's X25519 and Ed25519 when they exist and pass a known-answer
 * check (RFC 7748 vector, an Ed25519 round trip against @noble), else @noble;
 * ML-KEM-768 from liboqs (WebAssembly) when it loads and passes its own
 * check, else @noble.
 */
export async function detectPrimitives(): Promise<Primitives> {
  const kem = await loadLiboqsKem();
  const base = await detectCurvePrimitives();
  return kem ? { ...base, ...kem, name: `${base.name}+liboqs` } : base;
}

async function detectCurvePrimitives(): Promise<Primitives> {
  try {
    const shared = await webCryptoPrimitives.x25519(PROBE_PRIVATE, PROBE_PUBLIC);
    if (!equalBytes(shared, PROBE_SHARED)) return noblePrimitives;
    const seed = PROBE_PRIVATE;
    const message = PROBE_SHARED;
    const signature = await webCryptoPrimitives.ed25519Sign(seed, message);
    const expected = await noblePrimitives.ed25519Sign(seed, message);
    if (!equalBytes(signature, expected)) return noblePrimitives;
    if (!(await webCryptoPrimitives.ed25519Verify(signature, message, await noblePrimitives.ed25519PublicKey(seed)))) return noblePrimitives;
    return webCryptoPrimitives;
  } catch {
    return noblePrimitives;
  }
}
