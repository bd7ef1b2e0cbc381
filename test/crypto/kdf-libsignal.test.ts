/**
 * Sotto's KDF construction against libsignal's published numbers
 * (test/vectors/libsignal/), run with libsignal's labels and with both
 * primitive implementations:
 *
 * - chain_key.json: chainStep (HMAC 0x01 / 0x02) and messageKeyMaterial with
 *   "WhisperMessageKeys", 80 bytes → cipher key, MAC key, next chain key.
 * - x3dh_bob.json: responderDhOutputs (DH order of the responder) and
 *   agreementKdf (0xFF*32 prefix, HKDF) with "WhisperText", 64 bytes → chain key.
 *
 * The same inputs under Sotto's own labels must not give libsignal's values:
 * the label is part of the derivation.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { LABEL_MESSAGE_KEY, LABEL_PQXDH, LABEL_RATCHET } from '../../src/crypto/constants.ts';
import { agreementKdf, chainStep, messageKeyMaterial } from '../../src/crypto/kdf.ts';
import { responderDhOutputs } from '../../src/crypto/pqxdh.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { testContext } from '../helpers/context.ts';
import { libsignalVector } from '../helpers/vectors.ts';
import { ALL_PRIMITIVES } from '../helpers/implementations.ts';

const IMPLEMENTATIONS: readonly Primitives[] = ALL_PRIMITIVES;

/** libsignal's HKDF info strings (rust/protocol/src/ratchet/keys.rs, ratchet.rs). */
const LIBSIGNAL_MESSAGE_KEYS = 'WhisperMessageKeys';
const LIBSIGNAL_TEXT = 'WhisperText';
/** libsignal expands a message-key seed to cipher key (32) || MAC key (32) || IV (16). */
const LIBSIGNAL_MESSAGE_KEY_BYTES = 80;
/** libsignal's X3DH output: root key (32) || chain key (32). */
const LIBSIGNAL_AGREEMENT_BYTES = 64;

interface ChainKeyVector {
  readonly chain_key: string;
  readonly cipher_key: string;
  readonly mac_key: string;
  readonly next_chain_key: string;
}

interface X3dhBobVector {
  readonly bob_identity_private: string;
  readonly bob_identity_public: string;
  readonly bob_signed_prekey_private: string;
  readonly alice_identity_public: string;
  readonly alice_base_public: string;
  readonly expected_chain_key: string;
}

const chain = libsignalVector<ChainKeyVector>('chain_key.json');
const x3dh = libsignalVector<X3dhBobVector>('x3dh_bob.json');

/** Bob's three DH outputs for the x3dh_bob vector, computed by Sotto's responder code. */
async function bobDhOutputs(p: Primitives): Promise<Uint8Array[]> {
  const ctx = testContext(`kdf-libsignal-${p.name}`, { primitives: p });
  return responderDhOutputs(
    ctx,
    { identityDhPrivateKey: fromHex(x3dh.bob_identity_private), signedPrekeyPrivateKey: fromHex(x3dh.bob_signed_prekey_private) },
    { identityDhKey: fromHex(x3dh.alice_identity_public), baseKey: fromHex(x3dh.alice_base_public) },
  );
}

describe('libsignal chain_key.json: symmetric-ratchet step', () => {
  for (const p of IMPLEMENTATIONS) {
    test(`chainStep + messageKeyMaterial("${LIBSIGNAL_MESSAGE_KEYS}", 80) give libsignal's keys (${p.name})`, () => {
      const step = chainStep(p, fromHex(chain.chain_key));
      const okm = messageKeyMaterial(p, step.messageKeySeed, LIBSIGNAL_MESSAGE_KEYS, LIBSIGNAL_MESSAGE_KEY_BYTES);
      assert.equal(okm.length, LIBSIGNAL_MESSAGE_KEY_BYTES);
      assert.equal(toHex(okm.subarray(0, 32)), chain.cipher_key, 'cipher key');
      assert.equal(toHex(okm.subarray(32, 64)), chain.mac_key, 'MAC key');
      assert.equal(toHex(step.nextChainKey), chain.next_chain_key, 'next chain key');
    });

    test(`Sotto's message-key label does not reproduce libsignal's keys (${p.name})`, () => {
      const { messageKeySeed } = chainStep(p, fromHex(chain.chain_key));
      const sotto = messageKeyMaterial(p, messageKeySeed, LABEL_MESSAGE_KEY, LIBSIGNAL_MESSAGE_KEY_BYTES);
      assert.notEqual(toHex(sotto.subarray(0, 32)), chain.cipher_key);
      assert.notEqual(toHex(sotto.subarray(32, 64)), chain.mac_key);
      // The defaults are Sotto's label and a 32-byte AEAD key.
      const byDefault = messageKeyMaterial(p, messageKeySeed);
      assert.deepEqual(byDefault, sotto.subarray(0, 32));
      assert.notEqual(toHex(byDefault), chain.cipher_key);
    });
  }
});

describe('libsignal x3dh_bob.json: responder agreement', () => {
  for (const p of IMPLEMENTATIONS) {
    test(`bob_identity_public = x25519PublicKey(bob_identity_private) (${p.name})`, async () => {
      assert.equal(toHex(await p.x25519PublicKey(fromHex(x3dh.bob_identity_private))), x3dh.bob_identity_public);
    });

    test(`responderDhOutputs + agreementKdf("${LIBSIGNAL_TEXT}", 64) give libsignal's chain key (${p.name})`, async () => {
      const dhs = await bobDhOutputs(p);
      assert.equal(dhs.length, 3, 'no one-time prekey: three DH outputs');
      const okm = agreementKdf(p, LIBSIGNAL_TEXT, dhs, undefined, LIBSIGNAL_AGREEMENT_BYTES);
      assert.equal(okm.length, LIBSIGNAL_AGREEMENT_BYTES);
      assert.equal(toHex(okm.subarray(32, 64)), x3dh.expected_chain_key);
    });

    test(`the DH order matters: swapping two outputs changes the chain key (${p.name})`, async () => {
      const [dh1, dh2, dh3] = await bobDhOutputs(p);
      const swapped = agreementKdf(p, LIBSIGNAL_TEXT, [dh2!, dh1!, dh3!], undefined, LIBSIGNAL_AGREEMENT_BYTES);
      assert.notEqual(toHex(swapped.subarray(32, 64)), x3dh.expected_chain_key);
    });

    test(`Sotto's labels do not reproduce libsignal's chain key (${p.name})`, async () => {
      const dhs = await bobDhOutputs(p);
      for (const label of [LABEL_PQXDH, LABEL_RATCHET]) {
        const okm = agreementKdf(p, label, dhs, undefined, LIBSIGNAL_AGREEMENT_BYTES);
        assert.notEqual(toHex(okm.subarray(32, 64)), x3dh.expected_chain_key, label);
      }
    });
  }
});
