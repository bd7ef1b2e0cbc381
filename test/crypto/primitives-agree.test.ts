/**
 * nodePrimitives and noblePrimitives must be interchangeable: for a few
 * hundred inputs from a seeded RNG, every operation gives byte-identical
 * results (X25519, Ed25519 including rejected signatures, HMAC, HKDF, SHA-2,
 * XChaCha20-Poly1305 including tampered input, ML-KEM-768), and every result
 * is a plain Uint8Array, never a Node Buffer.
 *
 * The last suite covers inputs where two implementations of one interface
 * most easily drift apart: bad argument sizes (convention 6: RangeError, the
 * same in both) and Ed25519 signatures with small-order components, where a
 * cofactored and a cofactorless verifier disagree. Peers running different
 * implementations must never disagree on whether a signature is valid.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { concatBytes, fromHex } from '../../src/crypto/bytes.ts';
import { noblePrimitives } from '../../src/crypto/primitives/noble.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { ALL_PRIMITIVES } from '../helpers/implementations.ts';
import type { Argon2Params, Primitives } from '../../src/crypto/primitives/types.ts';
import { argon2id } from '../../src/crypto/argon2.ts';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { seededRandom } from '../helpers/context.ts';

const IMPLEMENTATIONS: readonly Primitives[] = [nodePrimitives, noblePrimitives];
const ROUNDS = 300;
const KEM_ROUNDS = 40;

/** A result a test can compare across implementations: bytes, a boolean, undefined, or the class of a thrown error. */
type Outcome = { readonly value: Uint8Array | boolean | undefined } | { readonly threw: string };

function outcome(run: () => Uint8Array | boolean | undefined): Outcome {
  try {
    return { value: run() };
  } catch (err) {
    return { threw: (err as Error).constructor.name };
  }
}

async function outcomeAsync(run: () => Promise<Uint8Array | boolean | undefined>): Promise<Outcome> {
  try {
    return { value: await run() };
  } catch (err) {
    return { threw: (err as Error).constructor.name };
  }
}

/** Asserts a plain Uint8Array (not a Buffer or other subclass) and returns it. */
function plain(bytes: Uint8Array, what: string): Uint8Array {
  assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype, `${what} must be a plain Uint8Array`);
  return bytes;
}

/** Flips one bit of a copy of `bytes`, at a position chosen by `r`. */
function flipBit(bytes: Uint8Array, r: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const position = ((r[0]! << 8) | r[1]!) % (bytes.length * 8);
  out[position >> 3]! ^= 1 << (position & 7);
  return out;
}

/** Random inputs shared by the suites; each suite gets its own stream. */
function inputs(label: string): { bytes: (n: number) => Uint8Array; length: (max: number) => number } {
  const random = seededRandom(`primitives-agree/${label}`);
  return {
    bytes: random,
    length: (max) => {
      const r = random(2);
      return ((r[0]! << 8) | r[1]!) % (max + 1);
    },
  };
}

describe('nodePrimitives and noblePrimitives agree on random inputs', () => {
  test(`X25519: public keys and shared secrets (${ROUNDS} rounds)`, async () => {
    const { bytes } = inputs('x25519');
    for (let i = 0; i < ROUNDS; i++) {
      const a = bytes(32);
      const b = bytes(32);
      const [aPub, aPubNoble] = await Promise.all(IMPLEMENTATIONS.map((p) => p.x25519PublicKey(a)));
      const [bPub, bPubNoble] = await Promise.all(IMPLEMENTATIONS.map((p) => p.x25519PublicKey(b)));
      assert.deepEqual(plain(aPub!, 'node x25519PublicKey'), plain(aPubNoble!, 'noble x25519PublicKey'), `round ${i}`);
      assert.deepEqual(bPub, bPubNoble, `round ${i}`);
      const shared = await Promise.all(IMPLEMENTATIONS.map((p) => p.x25519(a, bPub!)));
      const sharedBack = await Promise.all(IMPLEMENTATIONS.map((p) => p.x25519(b, aPub!)));
      assert.deepEqual(plain(shared[0]!, 'node x25519'), plain(shared[1]!, 'noble x25519'), `round ${i}: x25519`);
      assert.deepEqual(shared[0], sharedBack[0], `round ${i}: both sides agree`);
      assert.deepEqual(sharedBack[0], sharedBack[1], `round ${i}`);
      // Raw X25519 on arbitrary 32 bytes (high bit, u >= p included): same output or same failure.
      const u = bytes(32);
      const raw = await Promise.all(IMPLEMENTATIONS.map((p) => outcomeAsync(() => p.x25519(a, u))));
      assert.deepEqual(raw[0], raw[1], `round ${i}: x25519 on arbitrary u`);
    }
  });

  test(`Ed25519: keys, signatures, verification of genuine and tampered input (${ROUNDS} rounds)`, async () => {
    const { bytes, length } = inputs('ed25519');
    for (let i = 0; i < ROUNDS; i++) {
      const seed = bytes(32);
      const message = bytes(length(300));
      const keys = await Promise.all(IMPLEMENTATIONS.map((p) => p.ed25519PublicKey(seed)));
      const sigs = await Promise.all(IMPLEMENTATIONS.map((p) => p.ed25519Sign(seed, message)));
      assert.deepEqual(plain(keys[0]!, 'node ed25519PublicKey'), plain(keys[1]!, 'noble ed25519PublicKey'), `round ${i}: public key`);
      assert.deepEqual(plain(sigs[0]!, 'node ed25519Sign'), plain(sigs[1]!, 'noble ed25519Sign'), `round ${i}: signature`);
      const key = keys[0]!;
      const sig = sigs[0]!;
      const checks: [string, Uint8Array, Uint8Array, Uint8Array, boolean | undefined][] = [
        ['genuine', sig, message, key, true],
        ['tampered message', sig, message.length > 0 ? flipBit(message, bytes(2)) : Uint8Array.of(0), key, false],
        ['tampered signature', flipBit(sig, bytes(2)), message, key, false],
        ['other public key', sig, message, bytes(32), false],
        ['truncated signature', sig.subarray(0, 63), message, key, false],
      ];
      for (const [what, s, m, k, expected] of checks) {
        const [byNode, byNoble] = await Promise.all(IMPLEMENTATIONS.map((p) => p.ed25519Verify(s, m, k)));
        assert.equal(byNode, expected, `round ${i}: node, ${what}`);
        assert.equal(byNoble, expected, `round ${i}: noble, ${what}`);
      }
    }
  });

  test(`HMAC-SHA256, HKDF-SHA256, SHA-256, SHA-512 (${ROUNDS} rounds)`, () => {
    const { bytes, length } = inputs('hash');
    for (let i = 0; i < ROUNDS; i++) {
      const key = bytes(length(200)); // crosses the 64-byte HMAC block size
      const data = bytes(length(1200)); // crosses sodium.ts's switch to OpenSSL at 512 bytes
      const salt = bytes(i % 5 === 0 ? 0 : length(100)); // empty salt every fifth round
      const info = bytes(length(80));
      const size = 1 + length(1200);
      const results: [string, Uint8Array[]][] = [
        ['hmacSha256', IMPLEMENTATIONS.map((p) => p.hmacSha256(key, data))],
        ['hkdfSha256', IMPLEMENTATIONS.map((p) => p.hkdfSha256(data, salt, info, size))],
        ['sha256', IMPLEMENTATIONS.map((p) => p.sha256(data))],
        ['sha512', IMPLEMENTATIONS.map((p) => p.sha512(data))],
      ];
      for (const [what, [byNode, byNoble]] of results) {
        assert.deepEqual(plain(byNode!, `node ${what}`), plain(byNoble!, `noble ${what}`), `round ${i}: ${what}`);
      }
      assert.equal(results[1]![1][0]!.length, size);
    }
    // The largest output HKDF-SHA256 allows.
    const [ikm, salt, info] = [bytes(32), bytes(32), bytes(8)];
    const [maxNode, maxNoble] = IMPLEMENTATIONS.map((p) => p.hkdfSha256(ikm, salt, info, 255 * 32));
    assert.deepEqual(maxNode, maxNoble);
    assert.equal(maxNode!.length, 255 * 32);
  });

  test(`XChaCha20-Poly1305: seal, open, and tampered input (${ROUNDS} rounds)`, () => {
    const { bytes, length } = inputs('aead');
    for (let i = 0; i < ROUNDS; i++) {
      const key = bytes(32);
      const nonce = bytes(24);
      const plaintext = bytes(length(300));
      const ad = bytes(length(100));
      const [sealed, sealedNoble] = IMPLEMENTATIONS.map((p) => p.aeadSeal(key, nonce, plaintext, ad));
      assert.deepEqual(plain(sealed!, 'node aeadSeal'), plain(sealedNoble!, 'noble aeadSeal'), `round ${i}: seal`);
      assert.equal(sealed!.length, plaintext.length + 16);
      for (const p of IMPLEMENTATIONS) {
        const opened = p.aeadOpen(key, nonce, sealed!, ad);
        assert.ok(opened, `round ${i}: ${p.name} opens`);
        assert.deepEqual(plain(opened, `${p.name} aeadOpen`), plaintext, `round ${i}: ${p.name} opens`);
      }
      const tampered: [string, Uint8Array, Uint8Array, Uint8Array, Uint8Array][] = [
        ['ciphertext bit', key, nonce, flipBit(sealed!, bytes(2)), ad],
        ['associated data', key, nonce, sealed!, concatBytes(ad, Uint8Array.of(0))],
        ['nonce bit', key, flipBit(nonce, bytes(2)), sealed!, ad],
        ['key bit', flipBit(key, bytes(2)), nonce, sealed!, ad],
        ['truncated', key, nonce, sealed!.subarray(0, sealed!.length - 1), ad],
        ['shorter than a tag', key, nonce, sealed!.subarray(0, length(15)), ad],
      ];
      for (const [what, k, n, c, a] of tampered) {
        for (const p of IMPLEMENTATIONS) {
          assert.equal(p.aeadOpen(k, n, c, a), undefined, `round ${i}: ${p.name}, ${what}`);
        }
      }
    }
  });

  test(`ML-KEM-768: keygen, encapsulation, decapsulation, implicit rejection (${KEM_ROUNDS} rounds)`, () => {
    const { bytes } = inputs('kem');
    for (let i = 0; i < KEM_ROUNDS; i++) {
      const seed = bytes(64);
      const m = bytes(32);
      const [pair, pairNoble] = IMPLEMENTATIONS.map((p) => p.kemKeygen(seed));
      assert.deepEqual(pair, pairNoble, `round ${i}: keygen`);
      plain(pair!.publicKey, 'kemKeygen publicKey');
      plain(pair!.secretKey, 'kemKeygen secretKey');
      const [sent, sentNoble] = IMPLEMENTATIONS.map((p) => p.kemEncapsulate(pair!.publicKey, m));
      assert.deepEqual(sent, sentNoble, `round ${i}: encapsulation`);
      plain(sent!.cipherText, 'kemEncapsulate cipherText');
      plain(sent!.sharedSecret, 'kemEncapsulate sharedSecret');
      const wrong = flipBit(sent!.cipherText, bytes(2));
      for (const p of IMPLEMENTATIONS) {
        assert.deepEqual(plain(p.kemDecapsulate(sent!.cipherText, pair!.secretKey), 'kemDecapsulate'), sent!.sharedSecret, `round ${i}: ${p.name}`);
      }
      const [rejected, rejectedNoble] = IMPLEMENTATIONS.map((p) => p.kemDecapsulate(wrong, pair!.secretKey));
      assert.deepEqual(rejected, rejectedNoble, `round ${i}: implicit rejection`);
      assert.notDeepEqual(rejected, sent!.sharedSecret, `round ${i}: a modified ciphertext yields another secret`);
    }
  });
});

describe('nodePrimitives and noblePrimitives agree on edge cases', () => {
  const { bytes } = inputs('edge');

  test('wrong key and nonce sizes are a RangeError in both (X25519, Ed25519, AEAD seal)', async () => {
    const calls: [string, (p: Primitives) => Promise<Uint8Array | boolean | undefined> | Uint8Array | undefined][] = [
      ['x25519PublicKey(31 bytes)', (p) => p.x25519PublicKey(bytes(31))],
      ['x25519(private 33 bytes)', (p) => p.x25519(bytes(33), bytes(32))],
      ['x25519(public 31 bytes)', (p) => p.x25519(bytes(32), bytes(31))],
      ['ed25519PublicKey(31 bytes)', (p) => p.ed25519PublicKey(bytes(31))],
      ['ed25519Sign(seed 33 bytes)', (p) => p.ed25519Sign(bytes(33), bytes(4))],
      ['aeadSeal(key 31 bytes)', (p) => p.aeadSeal(bytes(31), bytes(24), bytes(5), bytes(0))],
      ['aeadSeal(nonce 12 bytes)', (p) => p.aeadSeal(bytes(32), bytes(12), bytes(5), bytes(0))],
    ];
    for (const [what, call] of calls) {
      for (const p of IMPLEMENTATIONS) {
        assert.deepEqual(await outcomeAsync(async () => call(p)), { threw: 'RangeError' }, `${p.name}: ${what}`);
      }
    }
  });

  test('ed25519Verify returns false (never throws) for wrong signature or key sizes', async () => {
    for (const p of IMPLEMENTATIONS) {
      assert.equal(await p.ed25519Verify(bytes(63), bytes(4), bytes(32)), false, `${p.name}: 63-byte signature`);
      assert.equal(await p.ed25519Verify(bytes(65), bytes(4), bytes(32)), false, `${p.name}: 65-byte signature`);
      assert.equal(await p.ed25519Verify(bytes(64), bytes(4), bytes(31)), false, `${p.name}: 31-byte key`);
    }
  });

  test('kemEncapsulate throws on a malformed public key in both', () => {
    const { publicKey } = noblePrimitives.kemKeygen(bytes(64));
    const notReduced = publicKey.slice();
    notReduced[0] = 0xff; // first 12-bit coefficient becomes >= q
    notReduced[1] = 0xff;
    for (const p of IMPLEMENTATIONS) {
      assert.throws(() => p.kemEncapsulate(publicKey.subarray(1), bytes(32)), RangeError, `${p.name}: short key`);
      assert.throws(() => p.kemEncapsulate(notReduced, bytes(32)), Error, `${p.name}: coefficient >= q`);
    }
  });

  /** Runs `row` for each implementation and keys the results by implementation name. */
  function byImplementation<T>(row: (p: Primitives) => T): Record<string, T> {
    return Object.fromEntries(IMPLEMENTATIONS.map((p) => [p.name, row(p)]));
  }

  test('hkdfSha256 output lengths outside 1..8160 are a RangeError in both', () => {
    const ikm = bytes(32);
    const empty = new Uint8Array(0);
    const actual = byImplementation((p) => ({
      zero: outcome(() => p.hkdfSha256(ikm, empty, empty, 0)),
      tooLong: outcome(() => p.hkdfSha256(ikm, empty, empty, 255 * 32 + 1)),
      negative: outcome(() => p.hkdfSha256(ikm, empty, empty, -1)),
      fractional: outcome(() => p.hkdfSha256(ikm, empty, empty, 1.5)),
    }));
    const expected = { zero: { threw: 'RangeError' }, tooLong: { threw: 'RangeError' }, negative: { threw: 'RangeError' }, fractional: { threw: 'RangeError' } };
    assert.deepEqual(actual, { node: expected, noble: expected });
  });

  test('aeadOpen with a wrong key or nonce size is a RangeError in both, not an authentication failure', () => {
    const key = bytes(32);
    const nonce = bytes(24);
    const sealed = nodePrimitives.aeadSeal(key, nonce, bytes(20), bytes(0));
    const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [
      ['31-byte key', bytes(31), nonce, sealed],
      ['33-byte key', bytes(33), nonce, sealed],
      ['12-byte nonce', key, bytes(12), sealed],
      ['25-byte nonce', key, bytes(25), sealed],
      ['12-byte nonce, ciphertext shorter than a tag', key, bytes(12), sealed.subarray(0, 8)],
    ];
    const actual = byImplementation((p) => Object.fromEntries(cases.map(([what, k, n, c]) => [what, outcome(() => p.aeadOpen(k, n, c, new Uint8Array(0)))])));
    const expected = Object.fromEntries(cases.map(([what]) => [what, { threw: 'RangeError' }]));
    assert.deepEqual(actual, { node: expected, noble: expected });
  });

  describe('ed25519Verify gives one answer for signatures with small-order components', () => {
    // Built with @noble's point arithmetic. A cofactored verifier checks
    // [8][S]B = [8]R + [8][k]A, a cofactorless one [S]B = R + [k]A; they differ
    // exactly when R or A carries a torsion component. types.ts documents
    // "cofactorless", and whichever policy Sotto picks, both must follow it.
    const Point = ed25519.Point;
    const L = Point.Fn.ORDER;
    // A point of order 8.
    const T8 = Point.fromBytes(fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'));
    const message = new TextEncoder().encode('sotto: small-order components');
    const scalarBytes = (n: bigint): Uint8Array => Point.Fn.toBytes(n);
    const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint => {
      const h = noblePrimitives.sha512(concatBytes(r, a, m));
      let n = 0n;
      for (let i = h.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(h[i]!);
      return n % L;
    };
    const signer = ed25519.utils.getExtendedPublicKey(fromHex('05'.repeat(32)));

    /** Every implementation's answer (WebCrypto included), keyed by name. */
    async function answers(sig: Uint8Array, key: Uint8Array): Promise<Record<string, boolean>> {
      const all = ALL_PRIMITIVES;
      const results = await Promise.all(all.map((p) => p.ed25519Verify(sig, message, key)));
      return Object.fromEntries(all.map((p, i) => [p.name, results[i]!]));
    }
    /** Sotto's policy (cofactorless, no small-order keys) rejects all of these, in every implementation. */
    const REJECTED_EVERYWHERE = Object.fromEntries(ALL_PRIMITIVES.map((p) => [p.name, false]));

    test('an honest signature verifies in every implementation', async () => {
      const R = Point.BASE.multiply(77n).toBytes();
      const k = challenge(R, signer.pointBytes, message);
      const sig = concatBytes(R, scalarBytes((77n + k * signer.scalar) % L));
      assert.deepEqual(await answers(sig, signer.pointBytes), Object.fromEntries(ALL_PRIMITIVES.map((p) => [p.name, true])));
    });

    test('order-8 point used by these cases', () => {
      assert.equal(T8.multiply(4n).is0(), false);
      assert.equal(T8.multiply(8n).is0(), true);
    });

    test('identity public key (canonical and sign-bit encodings): R = sB, S = s "verifies" any message cofactorlessly', async () => {
      const s = 12345n;
      const sig = concatBytes(Point.BASE.multiply(s).toBytes(), scalarBytes(s));
      const canonical = await answers(sig, fromHex('01'.padEnd(64, '0')));
      const signBit = await answers(sig, fromHex('01'.padEnd(62, '0') + '80'));
      assert.deepEqual(canonical, REJECTED_EVERYWHERE);
      assert.deepEqual(signBit, REJECTED_EVERYWHERE);
    });

    test('torsion component in R (R = rB + T8, S = r + k·a)', async () => {
      const r = 987654321n;
      const R = Point.BASE.multiply(r).add(T8).toBytes();
      const k = challenge(R, signer.pointBytes, message);
      const sig = concatBytes(R, scalarBytes((r + k * signer.scalar) % L));
      assert.deepEqual(await answers(sig, signer.pointBytes), REJECTED_EVERYWHERE);
    });

    test('mixed-order public key (A = aB + T8), honest signature with k not divisible by 8', async () => {
      const A = signer.point.add(T8).toBytes();
      let r = 1000n;
      let R = Point.BASE.multiply(r).toBytes();
      let k = challenge(R, A, message);
      while (k % 8n === 0n) {
        r++;
        R = Point.BASE.multiply(r).toBytes();
        k = challenge(R, A, message);
      }
      const sig = concatBytes(R, scalarBytes((r + k * signer.scalar) % L));
      assert.deepEqual(await answers(sig, A), REJECTED_EVERYWHERE);
    });
  });
});

describe('the shared Ed25519 key policy', () => {
  test('its small-order list is exactly the torsion subgroup of edwards25519', async () => {
    const { ED25519_TORSION_SUBGROUP } = await import('@noble/curves/ed25519.js');
    const { isSmallOrderEncoding } = await import('../../src/crypto/primitives/ed25519-policy.ts');
    assert.equal(ED25519_TORSION_SUBGROUP.length, 8);
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const encoded = fromHex(hex);
      assert.ok(isSmallOrderEncoding(encoded), `${hex} is small-order`);
      const flipped = encoded.slice();
      flipped[31]! ^= 0x80;
      assert.ok(isSmallOrderEncoding(flipped), `${hex} with the sign bit flipped`);
    }
    const normal = ed25519.getPublicKey(fromHex('07'.repeat(32)));
    assert.ok(!isSmallOrderEncoding(normal));
  });
});

describe('every shipped implementation agrees with @noble', () => {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  /** The outputs of one implementation on one round's inputs. */
  async function outputs(p: Primitives, round: number): Promise<string[]> {
    const r = seededRandom(`all-agree:${round}`);
    const [a, b, seed, key, nonce] = [r(32), r(32), r(32), r(32), r(24)];
    const message = r(1 + (round % 300));
    const bPub = await p.x25519PublicKey(b);
    const sig = await p.ed25519Sign(seed, message);
    const pub = await p.ed25519PublicKey(seed);
    const sealed = p.aeadSeal(key, nonce, message, r(round % 50));
    const kem = p.kemKeygen(r(64));
    const enc = p.kemEncapsulate(kem.publicKey, r(32));
    const tampered = sig.slice();
    tampered[round % 64]! ^= 1;
    return [
      hex(await p.x25519PublicKey(a)),
      hex(await p.x25519(a, bPub)),
      hex(pub),
      hex(sig),
      String(await p.ed25519Verify(sig, message, pub)),
      String(await p.ed25519Verify(tampered, message, pub)),
      hex(p.hmacSha256(key, message)),
      hex(p.hkdfSha256(message, key, nonce, 1 + (round % 100))),
      hex(p.sha256(message)),
      hex(p.sha512(message)),
      hex(sealed),
      hex(p.aeadOpen(key, nonce, sealed, r(0)) ?? new Uint8Array(0)),
      hex(kem.publicKey),
      hex(enc.cipherText),
      hex(enc.sharedSecret),
      hex(p.kemDecapsulate(enc.cipherText, kem.secretKey)),
    ];
  }
  test('node:crypto, WebCrypto and libsodium+liboqs give @noble\'s bytes on 60 random rounds', async () => {
    for (let round = 0; round < 60; round++) {
      const reference = await outputs(noblePrimitives, round);
      for (const p of ALL_PRIMITIVES) assert.deepEqual(await outputs(p, round), reference, `${p.name}, round ${round}`);
    }
  });
});

describe('primitives never change their inputs', () => {
  test('verifying, signing, DH and AEAD leave Node Buffer and Uint8Array inputs as they were', async () => {
    for (const p of ALL_PRIMITIVES) {
      const r = seededRandom(`inputs:${p.name}`);
      const seed = Buffer.from(r(32));
      const message = Buffer.from(r(40));
      const pub = Buffer.from(await p.ed25519PublicKey(seed));
      const sig = Buffer.from(await p.ed25519Sign(seed, message));
      sig[31]! |= 0x80; // a set top bit, which the small-order check masks on a copy
      const before = [seed, message, pub, sig].map((b) => Buffer.from(b).toString('hex'));
      await p.ed25519Verify(sig, message, pub);
      await p.ed25519Verify(sig.subarray(0, 64), message.subarray(0), pub.subarray(0));
      assert.deepEqual([seed, message, pub, sig].map((b) => Buffer.from(b).toString('hex')), before, p.name);
    }
  });

  test('decoders return plain Uint8Arrays that do not alias a Buffer input', async () => {
    const { Reader } = await import('../../src/crypto/bytes.ts');
    const input = Buffer.from([1, 2, 3, 4, 5, 6]);
    const r = new Reader(input, 'test');
    const a = r.fixed(3, 'a');
    const rest = r.rest();
    input.fill(0);
    assert.deepEqual([...a, ...rest], [1, 2, 3, 4, 5, 6]);
    assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype);
  });
});

/** @noble's synchronous Argon2id, the reference. */
function argon2idPortable(password: Uint8Array, salt: Uint8Array, params: Argon2Params): Uint8Array {
  return nobleArgon2id(password, salt, { t: params.t, m: params.m, p: params.p, dkLen: params.dkLen });
}

describe('Argon2id: native where the primitives have it, portable otherwise', () => {
  const password = new TextEncoder().encode('correct horse battery staple');
  const salt16 = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  // [what, salt, params, whether libsodium takes them]
  const cases: [string, Uint8Array, Argon2Params, boolean][] = [
    ['a home or backup key (t 2, 64 KiB)', salt16, { t: 2, m: 64, p: 1, dkLen: 32 }, true],
    ['one pass, 1 MiB, a 64-byte output', salt16, { t: 1, m: 1024, p: 1, dkLen: 64 }, true],
    ['two lanes', salt16, { t: 1, m: 64, p: 2, dkLen: 32 }, false],
    ['an 8-byte salt', salt16.subarray(0, 8), { t: 1, m: 64, p: 1, dkLen: 32 }, false],
    ['a 12-byte output', salt16, { t: 1, m: 64, p: 1, dkLen: 12 }, false],
  ];

  test("every implementation gives @noble's bytes; libsodium computes the ones it can take itself", async () => {
    for (const [what, salt, params, native] of cases) {
      const reference = argon2idPortable(password, salt, params);
      for (const p of ALL_PRIMITIVES) assert.deepEqual(await argon2id(p, password, salt, params), reference, `${p.name}: ${what}`);
      const sodium = ALL_PRIMITIVES.find((p) => p.name.startsWith('sodium'))!;
      const own = await sodium.argon2id!(password, salt, params);
      assert.equal(own !== undefined, native, `libsodium ${native ? 'takes' : 'declines'} ${what}`);
    }
  });
});
