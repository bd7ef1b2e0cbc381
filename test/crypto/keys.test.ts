/**
 * Sotto's X25519 public-key policy (src/crypto/keys.ts):
 *
 * - assertValidX25519PublicKey rejects wrong lengths ("length"), every
 *   encoding that is not canonical — bit 255 set or u >= p = 2^255 - 19
 *   ("non-canonical"), which covers the non-canonical forms of the low-order
 *   points — and the five canonical low-order points ("low-order"); it
 *   accepts ordinary keys and canonical edge values.
 * - dh() applies that check before any DH, and rejects an all-zero output,
 *   whether the primitive returns zeros or throws ("zero-shared-secret").
 *
 * Errors are matched by `name` and their `reason` / `what` fields, never by
 * message text.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex, type Bytes } from '../../src/crypto/bytes.ts';
import { assertValidX25519PublicKey, dh } from '../../src/crypto/keys.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { seededRandom, testContext } from '../helpers/context.ts';
import { ALL_PRIMITIVES } from '../helpers/implementations.ts';

const IMPLEMENTATIONS: readonly Primitives[] = ALL_PRIMITIVES;
const P = 2n ** 255n - 19n;
const BIT_255 = 2n ** 255n;

/** Canonical u-coordinates of small order (X25519 with any scalar gives 0). */
const LOW_ORDER_POINTS: readonly [string, bigint][] = [
  ['0', 0n],
  ['1', 1n],
  ['order 8 (a)', littleEndian(fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'))],
  ['order 8 (b)', littleEndian(fromHex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'))],
  ['p - 1', P - 1n],
];

function littleEndian(bytes: Bytes): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** 32-byte little-endian encoding of 0 <= n < 2^256. */
function encode(n: bigint): Bytes {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

interface PolicyError extends Error {
  readonly reason?: string;
  readonly what?: string;
}

/** Asserts that `run` throws InvalidPublicKeyError with this reason and `what`. */
function assertRejected(run: () => void, reason: string, what: string, label: string): void {
  assert.throws(
    run,
    (err: PolicyError) => {
      assert.equal(err.name, 'InvalidPublicKeyError', label);
      assert.equal(err.reason, reason, label);
      assert.equal(err.what, what, label);
      return true;
    },
    label,
  );
}

/** The same for a promise. */
async function assertRejectedAsync(run: Promise<unknown>, reason: string, what: string, label: string): Promise<PolicyError> {
  let caught: PolicyError | undefined;
  await assert.rejects(
    run,
    (err: PolicyError) => {
      assert.equal(err.name, 'InvalidPublicKeyError', label);
      assert.equal(err.reason, reason, label);
      assert.equal(err.what, what, label);
      caught = err;
      return true;
    },
    label,
  );
  return caught!;
}

/** Wraps a Primitives so that x25519 is replaced and its calls counted. */
function withX25519(base: Primitives, x25519: Primitives['x25519']): Primitives & { calls: () => number } {
  let calls = 0;
  return {
    ...base,
    x25519: (priv, pub) => {
      calls++;
      return x25519(priv, pub);
    },
    calls: () => calls,
  };
}

describe('assertValidX25519PublicKey', () => {
  test('the listed low-order points give an all-zero X25519 output (test data check)', async () => {
    const scalar = seededRandom('keys/low-order-check')(32);
    for (const [name, u] of LOW_ORDER_POINTS) {
      for (const p of IMPLEMENTATIONS) {
        let out: Bytes | undefined;
        try {
          out = await p.x25519(scalar, encode(u));
        } catch {
          out = new Uint8Array(32);
        }
        assert.equal(toHex(out), '00'.repeat(32), `${p.name}: ${name}`);
      }
    }
  });

  test('rejects wrong lengths with reason "length"', () => {
    const random = seededRandom('keys/lengths');
    for (const length of [0, 1, 16, 31, 33, 64]) {
      assertRejected(() => assertValidX25519PublicKey(random(length), 'peer key'), 'length', 'peer key', `${length} bytes`);
    }
    // A valid key with one byte appended or removed is still a length error.
    const good = encode(9n);
    assertRejected(() => assertValidX25519PublicKey(Uint8Array.of(...good, 0), 'peer key'), 'length', 'peer key', '32 + 1 bytes');
    assertRejected(() => assertValidX25519PublicKey(good.subarray(0, 31), 'peer key'), 'length', 'peer key', '32 - 1 bytes');
  });

  test('rejects each canonical low-order point with reason "low-order"', () => {
    for (const [name, u] of LOW_ORDER_POINTS) {
      assertRejected(() => assertValidX25519PublicKey(encode(u), 'ratchet key'), 'low-order', 'ratchet key', name);
    }
  });

  test('rejects non-canonical forms of the low-order points (+p, bit 255 set) with reason "non-canonical"', () => {
    let count = 0;
    for (const [name, u] of LOW_ORDER_POINTS) {
      const forms: [string, bigint][] = [[`${name} with bit 255`, u | BIT_255]];
      if (u + P < BIT_255) forms.push([`${name} + p`, u + P], [`${name} + p with bit 255`, (u + P) | BIT_255]);
      for (const [label, value] of forms) {
        assertRejected(() => assertValidX25519PublicKey(encode(value), 'base key'), 'non-canonical', 'base key', label);
        count++;
      }
    }
    // +p fits in 255 bits only for u = 0 and u = 1 (p + 19 = 2^255).
    assert.equal(count, 5 + 2 * 2);
  });

  test('rejects every u >= p below 2^255, and keys with bit 255 set, with reason "non-canonical"', () => {
    let count = 0;
    for (let u = P; u < BIT_255; u++) {
      assertRejected(() => assertValidX25519PublicKey(encode(u), 'identity key'), 'non-canonical', 'identity key', `u = p + ${u - P}`);
      count++;
    }
    assert.equal(count, 19);
    const random = seededRandom('keys/high-bit');
    for (let i = 0; i < 64; i++) {
      const key = random(32);
      key[31]! |= 0x80;
      assertRejected(() => assertValidX25519PublicKey(key, 'identity key'), 'non-canonical', 'identity key', `random key ${toHex(key)}`);
    }
  });

  test('accepts generated public keys and canonical edge values', async () => {
    const random = seededRandom('keys/accept');
    for (let i = 0; i < 32; i++) {
      const privateKey = random(32);
      for (const p of IMPLEMENTATIONS) {
        const key = await p.x25519PublicKey(privateKey);
        assert.doesNotThrow(() => assertValidX25519PublicKey(key, 'peer key'), `${p.name} key ${toHex(key)}`);
      }
    }
    for (const u of [2n, 3n, 9n, 2n ** 254n, P - 2n, P - 20n, BIT_255 - 2n ** 128n]) {
      assert.doesNotThrow(() => assertValidX25519PublicKey(encode(u), 'peer key'), `u = ${u}`);
    }
  });
});

describe('dh', () => {
  test('returns the raw X25519 output for a valid key, the same with both implementations', async () => {
    const random = seededRandom('keys/dh-valid');
    for (let i = 0; i < 16; i++) {
      const ours = random(32);
      const theirs = await nodePrimitives.x25519PublicKey(random(32));
      const outputs: string[] = [];
      for (const p of IMPLEMENTATIONS) {
        const shared = await dh(testContext(`keys/dh-${p.name}`, { primitives: p }), ours, theirs, 'peer key');
        assert.deepEqual(shared, await p.x25519(ours, theirs));
        assert.notEqual(toHex(shared), '00'.repeat(32));
        outputs.push(toHex(shared));
      }
      assert.equal(outputs[0], outputs[1]);
    }
  });

  test('checks the public key before computing anything', async () => {
    const spy = withX25519(nodePrimitives, nodePrimitives.x25519);
    const ctx = testContext('keys/dh-order', { primitives: spy });
    const priv = seededRandom('keys/dh-order-key')(32);
    await assertRejectedAsync(dh(ctx, priv, encode(1n), 'base key'), 'low-order', 'base key', 'u = 1');
    await assertRejectedAsync(dh(ctx, priv, encode(9n | BIT_255), 'base key'), 'non-canonical', 'base key', 'u = 9 with bit 255');
    await assertRejectedAsync(dh(ctx, priv, encode(P + 9n), 'base key'), 'non-canonical', 'base key', 'u = p + 9');
    await assertRejectedAsync(dh(ctx, priv, new Uint8Array(31), 'base key'), 'length', 'base key', '31 bytes');
    assert.equal(spy.calls(), 0, 'x25519 must not run on a rejected key');
  });

  test('rejects an all-zero output returned by the primitive, with reason "zero-shared-secret"', async () => {
    const zeros = withX25519(nodePrimitives, async () => new Uint8Array(32));
    const ctx = testContext('keys/dh-zeros', { primitives: zeros });
    const priv = seededRandom('keys/dh-zeros-key')(32);
    const pub = encode(9n);
    const err = await assertRejectedAsync(dh(ctx, priv, pub, 'signed prekey'), 'zero-shared-secret', 'signed prekey', 'zero output');
    assert.equal(zeros.calls(), 1);
    // No key material in the message.
    assert.ok(!err.message.includes(toHex(priv)) && !err.message.includes(toHex(pub)), err.message);
  });

  test('rejects a primitive that throws on an all-zero result, with reason "zero-shared-secret"', async () => {
    const throwing = withX25519(nodePrimitives, async () => {
      throw new Error('invalid private or public key received');
    });
    const ctx = testContext('keys/dh-throws', { primitives: throwing });
    await assertRejectedAsync(dh(ctx, new Uint8Array(32).fill(1), encode(9n), 'one-time prekey'), 'zero-shared-secret', 'one-time prekey', 'primitive throws');
    assert.equal(throwing.calls(), 1);
  });
});
