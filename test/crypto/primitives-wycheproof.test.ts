/**
 * Wycheproof vectors (test/vectors/wycheproof/) against both primitive
 * implementations, nodePrimitives and noblePrimitives:
 *
 * - X25519: the raw primitive gives `shared` for every non-zero case; Sotto's
 *   policy layer `dh()` (src/crypto/keys.ts) rejects non-canonical keys,
 *   low-order points and every all-zero output, and returns `shared` otherwise.
 * - Ed25519: `ed25519Verify` is true exactly for "valid" cases (one policy for
 *   both implementations), plus sign/verify round trips.
 * - XChaCha20-Poly1305: seal and open per case; wrong nonce sizes are refused.
 * - HKDF-SHA256: output per case; oversized outputs throw.
 * - ML-KEM-768: keygen from seed and decapsulation (including implicit
 *   rejection); malformed seeds and ciphertexts throw; an encapsulation round trip.
 *
 * Every suite counts the cases it ran, by category, and compares the counts
 * with what the file holds, so a loader that drops cases cannot pass.
 * ChaCha20-Poly1305 (12-byte nonce) is reached only through XChaCha: see test/vectors/README.md.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { shake256 } from '@noble/hashes/sha3.js';
import { concatBytes, fromHex, toHex } from '../../src/crypto/bytes.ts';
import { dh } from '../../src/crypto/keys.ts';
import { noblePrimitives } from '../../src/crypto/primitives/noble.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { seededRandom, testContext } from '../helpers/context.ts';
import { ALL_PRIMITIVES } from '../helpers/implementations.ts';
import {
  wycheproofCases,
  ZERO_32_HEX,
  type AeadGroup,
  type AeadTest,
  type EddsaGroup,
  type EddsaTest,
  type HkdfTest,
  type MlkemGroup,
  type MlkemTest,
  type XdhTest,
} from '../helpers/vectors.ts';

const IMPLEMENTATIONS: readonly Primitives[] = ALL_PRIMITIVES;

/** Counts occurrences of each key. */
function tally(keys: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of keys) out[key] = (out[key] ?? 0) + 1;
  return out;
}

/** Little-endian bytes to an integer. */
function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

// ---------------------------------------------------------------------------
// X25519
// ---------------------------------------------------------------------------

describe('Wycheproof X25519 (x25519_test.json)', () => {
  const cases = wycheproofCases<unknown, XdhTest>('x25519_test.json').map(({ test: t }) => t);
  const P = 2n ** 255n - 19n;

  /**
   * What Sotto's policy must do with a case, derived from the vector alone:
   * a public key with bit 255 set or u >= p is non-canonical; a canonical u
   * whose shared secret is all zero is a low-order point (for canonical
   * inputs the X25519 output is zero exactly for points of small order);
   * anything else is a normal key whose `shared` dh() must return.
   */
  function category(t: XdhTest): 'non-canonical' | 'low-order' | 'normal' {
    const u = littleEndian(fromHex(t.public));
    if (u >= P) return 'non-canonical'; // covers bit 255 set as well
    if (t.shared === ZERO_32_HEX) return 'low-order';
    return 'normal';
  }

  test('the file holds the categories the policy tests rely on', () => {
    assert.equal(cases.length, 518);
    assert.deepEqual(tally(cases.map(category)), { normal: 474, 'non-canonical': 29, 'low-order': 15 });
    const highBit = cases.filter((t) => fromHex(t.public)[31]! & 0x80).length;
    assert.equal(highBit, 21, 'non-canonical keys with bit 255 set');
    assert.equal(cases.filter((t) => t.shared === ZERO_32_HEX).length, 31, 'all-zero shared secrets');
    assert.equal(cases.filter((t) => t.shared === ZERO_32_HEX && category(t) === 'non-canonical').length, 16);
    // The 15 low-order cases use exactly the 5 canonical low-order points.
    assert.equal(new Set(cases.filter((t) => category(t) === 'low-order').map((t) => t.public)).size, 5);
  });

  for (const p of IMPLEMENTATIONS) {
    test(`raw x25519 gives the expected shared secret (${p.name})`, async () => {
      let matched = 0;
      let zero = 0;
      for (const t of cases) {
        const priv = fromHex(t.private);
        const pub = fromHex(t.public);
        if (t.shared !== ZERO_32_HEX) {
          assert.equal(toHex(await p.x25519(priv, pub)), t.shared, `tcId ${t.tcId}`);
          matched++;
          continue;
        }
        // All-zero result: the raw primitive may throw or return zeros, never anything else.
        let out: Uint8Array | undefined;
        try {
          out = await p.x25519(priv, pub);
        } catch {
          out = undefined;
        }
        if (out !== undefined) assert.equal(toHex(out), ZERO_32_HEX, `tcId ${t.tcId}`);
        zero++;
      }
      assert.equal(matched, 487);
      assert.equal(zero, 31);
    });

    test(`dh() rejects non-canonical, low-order and all-zero cases and returns shared otherwise (${p.name})`, async () => {
      const ctx = testContext(`wycheproof-x25519-${p.name}`, { primitives: p });
      const seen: string[] = [];
      let rejectedZero = 0;
      for (const t of cases) {
        const expected = category(t);
        const run = dh(ctx, fromHex(t.private), fromHex(t.public), 'wycheproof key');
        if (expected === 'normal') {
          assert.notEqual(t.shared, ZERO_32_HEX);
          assert.equal(toHex(await run), t.shared, `tcId ${t.tcId}`);
        } else {
          await assert.rejects(
            run,
            (err: Error & { reason?: string; what?: string }) => {
              assert.equal(err.name, 'InvalidPublicKeyError', `tcId ${t.tcId}`);
              assert.equal(err.reason, expected, `tcId ${t.tcId}`);
              assert.equal(err.what, 'wycheproof key');
              return true;
            },
            `tcId ${t.tcId} must be rejected as ${expected}`,
          );
          if (t.shared === ZERO_32_HEX) rejectedZero++;
        }
        seen.push(expected);
      }
      assert.deepEqual(tally(seen), { normal: 474, 'non-canonical': 29, 'low-order': 15 });
      assert.equal(rejectedZero, 31, 'every all-zero case is rejected');
    });
  }
});

// ---------------------------------------------------------------------------
// Ed25519
// ---------------------------------------------------------------------------

describe('Wycheproof Ed25519 (ed25519_test.json)', () => {
  const cases = wycheproofCases<EddsaGroup, EddsaTest>('ed25519_test.json');

  for (const p of IMPLEMENTATIONS) {
    test(`ed25519Verify is true exactly for "valid" cases (${p.name})`, async () => {
      const results: string[] = [];
      for (const { group, test: t } of cases) {
        assert.notEqual(t.result, 'acceptable', 'the file has no "acceptable" Ed25519 cases');
        const ok = await p.ed25519Verify(fromHex(t.sig), fromHex(t.msg), fromHex(group.publicKey.pk));
        assert.equal(ok, t.result === 'valid', `tcId ${t.tcId} (${t.flags.join(', ')}): ${t.comment ?? ''}`);
        results.push(t.result);
      }
      assert.deepEqual(tally(results), { valid: 88, invalid: 63 });
    });
  }

  test('sign/verify round trip, and node and noble produce identical keys and signatures', async () => {
    const random = seededRandom('wycheproof-ed25519-roundtrip');
    const ROUNDS = 32;
    for (let i = 0; i < ROUNDS; i++) {
      const seed = random(32);
      const message = random(i * 7);
      const [nodeKey, nobleKey] = await Promise.all([nodePrimitives.ed25519PublicKey(seed), noblePrimitives.ed25519PublicKey(seed)]);
      const [nodeSig, nobleSig] = await Promise.all([nodePrimitives.ed25519Sign(seed, message), noblePrimitives.ed25519Sign(seed, message)]);
      assert.deepEqual(nodeKey, nobleKey, `round ${i}: public key`);
      assert.deepEqual(nodeSig, nobleSig, `round ${i}: signature (Ed25519 is deterministic)`);
      assert.equal(nodeSig.length, 64);
      for (const p of IMPLEMENTATIONS) {
        assert.equal(await p.ed25519Verify(nodeSig, message, nodeKey), true, `round ${i}: ${p.name} verifies`);
        const other = concatBytes(message, Uint8Array.of(0));
        assert.equal(await p.ed25519Verify(nodeSig, other, nodeKey), false, `round ${i}: ${p.name} rejects another message`);
      }
    }
  });
});

// ---------------------------------------------------------------------------
// XChaCha20-Poly1305
// ---------------------------------------------------------------------------

describe('Wycheproof XChaCha20-Poly1305 (xchacha20_poly1305_test.json)', () => {
  const cases = wycheproofCases<AeadGroup, AeadTest>('xchacha20_poly1305_test.json').map(({ test: t }) => t);

  function category(t: AeadTest): 'valid' | 'invalid' | 'unsupported-size' {
    if (t.iv.length !== 48 || t.key.length !== 64) return 'unsupported-size';
    return t.result === 'valid' ? 'valid' : 'invalid';
  }

  test('the file holds the expected categories', () => {
    assert.deepEqual(tally(cases.map(category)), { valid: 246, invalid: 60, 'unsupported-size': 9 });
    // Every invalid case of supported size is a modified tag; every unsupported one is a nonce size.
    assert.ok(cases.filter((t) => category(t) === 'invalid').every((t) => t.flags.includes('ModifiedTag')));
    assert.ok(cases.filter((t) => category(t) === 'unsupported-size').every((t) => t.flags.includes('InvalidNonceSize') && t.result === 'invalid'));
  });

  for (const p of IMPLEMENTATIONS) {
    test(`aeadSeal / aeadOpen per case (${p.name})`, () => {
      const seen: string[] = [];
      for (const t of cases) {
        const key = fromHex(t.key);
        const nonce = fromHex(t.iv);
        const ad = fromHex(t.aad);
        const msg = fromHex(t.msg);
        const sealed = fromHex(t.ct + t.tag);
        const kind = category(t);
        const id = `tcId ${t.tcId} (${t.flags.join(', ')})`;
        if (kind === 'valid') {
          assert.equal(toHex(p.aeadSeal(key, nonce, msg, ad)), t.ct + t.tag, `${id}: seal`);
          const opened = p.aeadOpen(key, nonce, sealed, ad);
          assert.ok(opened, `${id}: open`);
          assert.equal(toHex(opened), t.msg, `${id}: open`);
        } else if (kind === 'invalid') {
          assert.equal(p.aeadOpen(key, nonce, sealed, ad), undefined, `${id}: open must fail`);
          // The honest encryption differs from the vector's modified one.
          assert.notEqual(toHex(p.aeadSeal(key, nonce, msg, ad)), t.ct + t.tag, id);
        } else {
          assert.throws(() => p.aeadSeal(key, nonce, msg, ad), RangeError, `${id}: seal with a ${nonce.length}-byte nonce`);
          // Never a plaintext: either a refusal or an authentication failure.
          let opened: Uint8Array | undefined;
          try {
            opened = p.aeadOpen(key, nonce, sealed, ad);
          } catch (err) {
            assert.ok(err instanceof RangeError, `${id}: open throws RangeError if it throws`);
            opened = undefined;
          }
          assert.equal(opened, undefined, `${id}: open`);
        }
        seen.push(kind);
      }
      assert.deepEqual(tally(seen), { valid: 246, invalid: 60, 'unsupported-size': 9 });
    });
  }
});

// ---------------------------------------------------------------------------
// HKDF-SHA256
// ---------------------------------------------------------------------------

describe('Wycheproof HKDF-SHA256 (hkdf_sha256_test.json)', () => {
  const cases = wycheproofCases<unknown, HkdfTest>('hkdf_sha256_test.json').map(({ test: t }) => t);
  const MAX_OUTPUT = 255 * 32;

  for (const p of IMPLEMENTATIONS) {
    test(`hkdfSha256 gives okm for valid cases and throws for oversized output (${p.name})`, () => {
      const seen: string[] = [];
      for (const t of cases) {
        const run = (): Uint8Array => p.hkdfSha256(fromHex(t.ikm), fromHex(t.salt), fromHex(t.info), t.size);
        if (t.result === 'valid') {
          assert.equal(toHex(run()), t.okm, `tcId ${t.tcId}`);
        } else {
          assert.ok(t.size > MAX_OUTPUT && t.flags.includes('SizeTooLarge'), `tcId ${t.tcId} is invalid for its size`);
          assert.throws(run, `tcId ${t.tcId}: ${t.size} bytes`);
        }
        seen.push(t.result);
      }
      assert.deepEqual(tally(seen), { valid: 83, invalid: 3 });
    });
  }
});

// ---------------------------------------------------------------------------
// ML-KEM-768
// ---------------------------------------------------------------------------

describe('Wycheproof ML-KEM-768 (mlkem_768_test.json)', () => {
  const cases = wycheproofCases<MlkemGroup, MlkemTest>('mlkem_768_test.json');
  const SEED_BYTES = 64;
  const CIPHERTEXT_BYTES = 1088;

  /** ML-KEM's implicit-rejection key J(z || c), z = seed[32:64] (FIPS 203, Algorithm 18). */
  function rejectionKey(seed: Uint8Array, c: Uint8Array): string {
    return toHex(shake256(concatBytes(seed.subarray(32, 64), c), { dkLen: 32 }));
  }

  /**
   * "valid" cases either decapsulate honestly or are ciphertexts the key did
   * not produce (random, bit-flipped, ...) where K is the implicit-rejection
   * key. "invalid" cases are malformed inputs: a seed (the private key) or a
   * ciphertext of the wrong length.
   */
  function category(t: MlkemTest): 'decapsulates' | 'implicit-rejection' | 'bad-seed-length' | 'bad-ciphertext-length' {
    const seed = fromHex(t.seed);
    const c = fromHex(t.c);
    if (t.result === 'invalid') {
      if (seed.length !== SEED_BYTES) return 'bad-seed-length';
      if (c.length !== CIPHERTEXT_BYTES) return 'bad-ciphertext-length';
      throw new Error(`tcId ${t.tcId}: unclassified invalid case (${t.comment ?? ''})`);
    }
    return rejectionKey(seed, c) === t.K ? 'implicit-rejection' : 'decapsulates';
  }

  const expectedCategories = { decapsulates: 131, 'implicit-rejection': 22, 'bad-seed-length': 20, 'bad-ciphertext-length': 20 };

  test('the file holds the expected categories', () => {
    assert.equal(cases.length, 193);
    assert.ok(cases.every(({ group }) => group.parameterSet === 'ML-KEM-768'));
    assert.deepEqual(tally(cases.map(({ test: t }) => category(t))), expectedCategories);
    // Malformed seeds come without an encapsulation key; the named random / bit-flipped ciphertexts are rejections.
    for (const { test: t } of cases) {
      if (category(t) === 'bad-seed-length') assert.equal(t.ek, undefined, `tcId ${t.tcId}`);
      if (t.comment === 'Random ciphertext' || t.comment === 'Bit flipped ciphertext') assert.equal(category(t), 'implicit-rejection', `tcId ${t.tcId}`);
    }
  });

  for (const p of IMPLEMENTATIONS) {
    test(`kemKeygen(seed) gives ek and kemDecapsulate gives K; malformed inputs throw (${p.name})`, () => {
      const seen: string[] = [];
      for (const { test: t } of cases) {
        const kind = category(t);
        const id = `tcId ${t.tcId} (${t.comment ?? t.flags.join(', ')})`;
        const seed = fromHex(t.seed);
        const c = fromHex(t.c);
        if (kind === 'bad-seed-length') {
          assert.throws(() => p.kemKeygen(seed), RangeError, `${id}: ${seed.length}-byte seed`);
        } else {
          const { publicKey, secretKey } = p.kemKeygen(seed);
          assert.ok(t.ek, id);
          assert.equal(toHex(publicKey), t.ek, `${id}: ek`);
          if (kind === 'bad-ciphertext-length') {
            assert.throws(() => p.kemDecapsulate(c, secretKey), RangeError, `${id}: ${c.length}-byte ciphertext`);
          } else {
            assert.equal(toHex(p.kemDecapsulate(c, secretKey)), t.K, `${id}: K`);
          }
        }
        seen.push(kind);
      }
      assert.deepEqual(tally(seen), expectedCategories);
    });
  }

  test('encapsulate/decapsulate round trip with fixed randomness, across implementations', () => {
    const random = seededRandom('wycheproof-mlkem-roundtrip');
    for (let i = 0; i < 8; i++) {
      const seed = random(64);
      const m = random(32);
      const byNode = nodePrimitives.kemKeygen(seed);
      const byNoble = noblePrimitives.kemKeygen(seed);
      assert.deepEqual(byNode, byNoble, `round ${i}: keygen`);
      const sent = nodePrimitives.kemEncapsulate(byNode.publicKey, m);
      assert.deepEqual(noblePrimitives.kemEncapsulate(byNode.publicKey, m), sent, `round ${i}: encapsulation is deterministic in m`);
      assert.equal(sent.cipherText.length, CIPHERTEXT_BYTES);
      for (const p of IMPLEMENTATIONS) {
        assert.deepEqual(p.kemDecapsulate(sent.cipherText, byNode.secretKey), sent.sharedSecret, `round ${i}: ${p.name} decapsulates`);
        const tampered = sent.cipherText.slice();
        tampered[i * 100]! ^= 0x01;
        const rejected = p.kemDecapsulate(tampered, byNode.secretKey);
        assert.notDeepEqual(rejected, sent.sharedSecret, `round ${i}: ${p.name} tampered ciphertext`);
        assert.equal(toHex(rejected), rejectionKey(seed, tampered), `round ${i}: ${p.name} implicit rejection key`);
      }
    }
  });
});
