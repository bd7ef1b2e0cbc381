/**
 * Identities and safety numbers: the X25519 identity key is certified by the
 * Ed25519 key, and the safety number is an order-independent fingerprint of
 * two identities, as 60 digits and as a QR payload.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity, verifyIdentity } from '../../src/crypto/identity.ts';
import { formatSafetyNumber, identityFingerprint, matchesSafetyNumberQr, safetyNumber } from '../../src/crypto/safety-number.ts';
import { noblePrimitives } from '../../src/crypto/primitives/noble.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { SAFETY_NUMBER_QR_PREFIX } from '../../src/crypto/constants.ts';
import { testContext } from '../helpers/context.ts';
import { flipBit } from '../helpers/forge.ts';

describe('identity', () => {
  test('a new identity certifies its X25519 key; a tampered certificate or key is rejected', async () => {
    const ctx = testContext('identity');
    const id = await generateIdentity(ctx);
    await verifyIdentity(ctx, id.public);
    assert.equal(await ctx.primitives.x25519PublicKey(id.dhPrivateKey).then((k) => Buffer.from(k).equals(id.public.dhKey)), true);
    await assert.rejects(verifyIdentity(ctx, { ...id.public, certificate: flipBit(id.public.certificate, 0) }), { name: 'InvalidSignatureError', what: 'identity-certificate' });
    const other = await generateIdentity(ctx);
    await assert.rejects(verifyIdentity(ctx, { ...id.public, dhKey: other.public.dhKey }), { name: 'InvalidSignatureError' });
    await assert.rejects(verifyIdentity(ctx, { ...id.public, dhKey: new Uint8Array(32) }), { name: 'InvalidPublicKeyError', reason: 'low-order' });
  });

  test('adopting an existing Ed25519 seed keeps the signing key and makes a separate X25519 key', async () => {
    const ctx = testContext('seeded');
    const seed = ctx.randomBytes(32);
    const a = await generateIdentity(ctx, seed);
    const b = await generateIdentity(ctx, seed);
    assert.deepEqual(a.public.signingKey, b.public.signingKey);
    assert.notDeepEqual(a.public.dhKey, b.public.dhKey);
    assert.notDeepEqual(a.dhPrivateKey, seed, 'the Ed25519 seed is never reused as an X25519 key');
  });
});

describe('safety numbers', () => {
  test('60 digits, the same whichever side computes it, different for a different contact', async () => {
    const ctx = testContext('sn');
    const [a, b, c] = [await generateIdentity(ctx), await generateIdentity(ctx), await generateIdentity(ctx)];
    const ab = safetyNumber(ctx.primitives, a.public.signingKey, b.public.signingKey);
    const ba = safetyNumber(ctx.primitives, b.public.signingKey, a.public.signingKey);
    assert.match(ab.digits, /^\d{60}$/);
    assert.equal(ab.digits, ba.digits);
    assert.equal(ab.qrPayload, ba.qrPayload);
    assert.notEqual(safetyNumber(ctx.primitives, a.public.signingKey, c.public.signingKey).digits, ab.digits);
    assert.equal(formatSafetyNumber(ab.digits).split(' ').length, 12);
    assert.equal(formatSafetyNumber(ab.digits).replaceAll(' ', ''), ab.digits);
  });

  test('the QR payload carries both fingerprints and matches only itself', async () => {
    const ctx = testContext('qr');
    const [a, b, c] = [await generateIdentity(ctx), await generateIdentity(ctx), await generateIdentity(ctx)];
    const ab = safetyNumber(ctx.primitives, a.public.signingKey, b.public.signingKey);
    assert.ok(ab.qrPayload.startsWith(SAFETY_NUMBER_QR_PREFIX));
    const parts = ab.qrPayload.slice(SAFETY_NUMBER_QR_PREFIX.length).split(':');
    assert.equal(parts.length, 2);
    assert.ok(parts.every((p) => /^[0-9a-f]{64}$/.test(p)));
    const fps = [a, b].map((id) => Buffer.from(identityFingerprint(ctx.primitives, id.public.signingKey).subarray(0, 32)).toString('hex'));
    assert.deepEqual([...parts].sort(), [...fps].sort());
    assert.ok(matchesSafetyNumberQr(ab, ab.qrPayload));
    assert.ok(matchesSafetyNumberQr(ab, ` ${ab.qrPayload}\n`), 'surrounding whitespace from a scanner is ignored');
    assert.ok(!matchesSafetyNumberQr(ab, safetyNumber(ctx.primitives, a.public.signingKey, c.public.signingKey).qrPayload));
    assert.ok(!matchesSafetyNumberQr(ab, ab.qrPayload.slice(0, -1) + (ab.qrPayload.endsWith('0') ? '1' : '0')));
  });

  test('node:crypto and @noble give the same safety number', async () => {
    const ctx = testContext('sn-agree');
    const [a, b] = [await generateIdentity(ctx), await generateIdentity(ctx)];
    assert.deepEqual(safetyNumber(nodePrimitives, a.public.signingKey, b.public.signingKey), safetyNumber(noblePrimitives, a.public.signingKey, b.public.signingKey));
  });
});
