/**
 * SECURITY-CHECKLIST.md item 26 (and the decoder half of 13): every persisted
 * and wire structure round-trips; truncated, extended, wrongly versioned or
 * otherwise corrupt input is rejected with a typed error, never anything else.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bytes } from '../../src/crypto/bytes.ts';
import { decodeBundle, encodeBundle } from '../../src/crypto/bundle.ts';
import { decodeEnvelope, encodeEnvelope } from '../../src/crypto/envelope.ts';
import { SottoError } from '../../src/crypto/errors.ts';
import { decodeIdentityKeyPair, decodeIdentityPublic, encodeIdentityKeyPair, encodeIdentityPublic } from '../../src/crypto/identity.ts';
import { decodePrekeyState, encodePrekeyState, issueBundle } from '../../src/crypto/prekeys.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { startSession } from '../../src/crypto/session.ts';
import { flipBit } from '../helpers/forge.ts';
import { establishedPair, makeParty, pair } from '../helpers/parties.ts';

type Decoder = (bytes: Bytes) => unknown;

const ALLOWED = new Set(['DecodeError', 'VersionTooOldError', 'VersionTooNewError', 'MissingKemPrekeyError', 'InvalidSignatureError']);

/** Runs `decode` and returns the typed error's name, failing on success or on an untyped error. */
async function rejectionOf(decode: Decoder, bytes: Bytes): Promise<string> {
  try {
    await decode(bytes);
  } catch (err) {
    assert.ok(err instanceof SottoError, `untyped error: ${String(err)}`);
    assert.ok(ALLOWED.has(err.name), `unexpected error ${err.name}`);
    return err.name;
  }
  return assert.fail(`corrupt input decoded (${bytes.length} bytes)`);
}

/** Round trip, then every truncation, one extra byte, version 0 and the version after the encoded one. */
async function checkCodec(name: string, encoded: Bytes, decode: Decoder, encode: (value: never) => Bytes, versioned = true, validShapeFrom = encoded.length, exactLength = true): Promise<void> {
  const decoded = await decode(encoded);
  assert.deepEqual(encode(decoded as never), encoded, `${name}: round trip`);
  for (let len = 0; len < validShapeFrom; len++) {
    assert.equal(await rejectionOf(decode, encoded.subarray(0, len)), 'DecodeError', `${name}: truncated to ${len}`);
  }
  if (versioned) {
    if (exactLength) assert.equal(await rejectionOf(decode, Uint8Array.of(...encoded, 0)), 'DecodeError', `${name}: trailing byte`);
    assert.equal(await rejectionOf(decode, Uint8Array.of(0, ...encoded.subarray(1))), 'VersionTooOldError', `${name}: version 0`);
    const newer = encoded[0]! + 1;
    assert.equal(await rejectionOf(decode, Uint8Array.of(newer, ...encoded.subarray(1))), 'VersionTooNewError', `${name}: version ${newer}`);
  }
}

describe('codecs round-trip and reject corruption', () => {
  test('identity (public, and the stored key pair)', async () => {
    const alice = await makeParty('alice');
    await checkCodec('identity public', encodeIdentityPublic(alice.identity.public), decodeIdentityPublic, encodeIdentityPublic, false);
    const stored = encodeIdentityKeyPair(alice.identity);
    const decode = (b: Bytes) => decodeIdentityKeyPair(alice.ctx, b);
    await checkCodec('stored identity', stored, decode, encodeIdentityKeyPair);
    // Private key not matching its public key: refused, not used.
    assert.equal(await rejectionOf(decode, flipBit(stored, 1)), 'DecodeError');
    assert.equal(await rejectionOf(decode, flipBit(stored, 40)), 'DecodeError');
    // A certificate that does not verify.
    assert.equal(await rejectionOf(decode, flipBit(stored, stored.length - 1)), 'InvalidSignatureError');
  });

  test('prekey bundle, with and without a one-time prekey', async () => {
    const bob = await makeParty('bob', { oneTime: 1 });
    const first = issueBundle(bob.ctx, bob.identity, bob.prekeys);
    assert.ok(first.bundle.oneTimePrekey);
    await checkCodec('bundle', encodeBundle(first.bundle), decodeBundle, encodeBundle);
    const lastResort = issueBundle(bob.ctx, bob.identity, first.state);
    assert.equal(lastResort.bundle.oneTimePrekey, undefined, 'each one-time prekey is handed out at most once');
    const bytes = encodeBundle(lastResort.bundle);
    await checkCodec('last-resort bundle', bytes, decodeBundle, encodeBundle);
    const flags = 1 + 128;
    assert.equal(await rejectionOf(decodeBundle, Uint8Array.of(...bytes.subarray(0, flags), 0x05, ...bytes.subarray(flags + 1))), 'DecodeError', 'unknown flag');
    assert.equal(await rejectionOf(decodeBundle, Uint8Array.of(...bytes.subarray(0, flags), 0x00, ...bytes.subarray(flags + 1))), 'MissingKemPrekeyError');
  });

  test('stored prekey state', async () => {
    const bob = await makeParty('bob', { oneTime: 2, oneTimeKem: 2 });
    const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys).state;
    const bytes = encodePrekeyState(issued);
    await checkCodec('prekeys', bytes, decodePrekeyState, encodePrekeyState);
    assert.deepEqual(decodePrekeyState(bytes), issued);
    // Counts outside the limits are refused before reading items.
    const signedCountAt = 1 + 4;
    assert.equal(await rejectionOf(decodePrekeyState, Uint8Array.of(...bytes.subarray(0, signedCountAt), 0, 0, ...bytes.subarray(signedCountAt + 2))), 'DecodeError');
    assert.equal(await rejectionOf(decodePrekeyState, Uint8Array.of(...bytes.subarray(0, signedCountAt), 0xff, 0xff, ...bytes.subarray(signedCountAt + 2))), 'DecodeError');
  });

  test('stored session records: pending PREKEY header, skipped keys, several sessions', async () => {
    const { alice, bob } = await pair();
    await checkCodec('initiator record with a pending header', encodeSessionRecord(alice.record!), decodeSessionRecord, encodeSessionRecord);
    const m = [alice.send('1'), alice.send('2'), alice.send('3')];
    await bob.receive(m[2]!);
    await alice.receive(bob.send('reply'));
    await bob.receive(alice.send('new chain'));
    const withSkipped = encodeSessionRecord(bob.record!);
    assert.ok(bob.record!.sessions[0]!.ratchet.skipped.length > 0);
    await checkCodec('responder record with skipped keys', withSkipped, decodeSessionRecord, encodeSessionRecord);
    assert.deepEqual(decodeSessionRecord(withSkipped), bob.record);
    // A decoded record keeps working.
    bob.record = decodeSessionRecord(withSkipped);
    assert.equal(await bob.receive(m[0]!), '1');

    const two = await startSession(alice.ctx, alice.identity, issueBundle(bob.ctx, bob.identity, bob.prekeys).bundle, alice.record);
    assert.equal(two.sessions.length, 2);
    await checkCodec('two sessions', encodeSessionRecord(two), decodeSessionRecord, encodeSessionRecord);
    const bytes = encodeSessionRecord(two);
    assert.equal(await rejectionOf(decodeSessionRecord, Uint8Array.of(1, 0, ...bytes.subarray(2))), 'DecodeError', 'zero sessions');
    assert.equal(await rejectionOf(decodeSessionRecord, Uint8Array.of(1, 200, ...bytes.subarray(2))), 'DecodeError', 'too many sessions');
    assert.equal(await rejectionOf(decodeSessionRecord, Uint8Array.of(...bytes.subarray(0, 34), 7, ...bytes.subarray(35))), 'DecodeError', 'unknown role');
  });

  test('envelopes of both types', async () => {
    const { alice, bob } = await establishedPair();
    const { alice: a2 } = await pair();
    const prekey = a2.send('prekey type');
    const message = alice.send('message type');
    assert.equal(decodeEnvelope(prekey).type, 'prekey');
    assert.equal(decodeEnvelope(message).type, 'message');
    // A v2 body's split into padded text and PQ parts is only known inside it (PROTOCOL §9):
    // a body cut to any length from the minimum (80) up has a valid shape.
    const shortest = (e: Bytes) => e.length - decodeEnvelope(e).message.bodyCiphertext.length + 80;
    await checkCodec('prekey envelope', prekey, decodeEnvelope, encodeEnvelope, true, shortest(prekey), false);
    await checkCodec('message envelope', message, decodeEnvelope, encodeEnvelope, true, shortest(message), false);
    assert.equal(await bob.receive(message), 'message type');
  });
});

test('decoders given something other than bytes throw DecodeError, not TypeError', async () => {
  const decoders: [string, Decoder][] = [
    ['envelope', decodeEnvelope],
    ['bundle', decodeBundle],
    ['identity', decodeIdentityPublic],
    ['prekeys', decodePrekeyState],
    ['session record', decodeSessionRecord],
  ];
  for (const [what, decode] of decoders) {
    for (const junk of ['text', 42, null, undefined, [1, 2, 3], { length: 3 }]) {
      assert.equal(await rejectionOf(decode, junk as unknown as Bytes), 'DecodeError', `${what} of ${JSON.stringify(junk)}`);
    }
  }
});

test('hex: every byte both ways, either case in; odd length and non-hex digits refused', async () => {
  const { fromHex, toHex } = await import('../../src/crypto/bytes.ts');
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const hex = toHex(all);
  assert.equal(hex, Buffer.from(all).toString('hex'));
  assert.deepEqual(fromHex(hex), all);
  assert.deepEqual(fromHex(hex.toUpperCase()), all);
  assert.equal(toHex(new Uint8Array(0)), '');
  for (const bad of ['0', 'abc', 'zz', '0g', 'g0', ' 0', '0x00', '１２']) assert.throws(() => fromHex(bad), TypeError, bad);
});
