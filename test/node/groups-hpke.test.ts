/**
 * Sotto's HPKE (src/node/groups/hpke.ts) against @hpke/core with
 * @hpke/hybridkem-x-wing and DhkemX25519HkdfSha256, in both directions: the
 * same key pairs from the same input keying material, the same X-Wing
 * encapsulation from the same randomness, and each side opens what the other
 * sealed. Run on every primitives implementation (libsodium + liboqs, node:crypto, @noble).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, HkdfSha512 } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import { toHex, utf8 } from '../../src/crypto/bytes.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { noblePrimitives } from '../../src/crypto/primitives/noble.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { loadNodePrimitives } from '../../src/crypto/primitives/node-best.ts';
import { AEAD_AES128GCM, AEAD_AES256GCM, dhkemX25519, hpkeSuite, KDF_HKDF_SHA256, KDF_HKDF_SHA512, xwingKem, type HpkeSuite } from '../../src/node/groups/hpke.ts';
import { xwing } from '../../src/node/groups/xwing.ts';
import { seededRandom } from '../helpers/context.ts';

const buffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;
const sha256 = (p: Primitives) => ({ digest: (d: Uint8Array) => p.sha256(d), outputBytes: 32, blockBytes: 64 });
const sha512 = (p: Primitives) => ({ digest: (d: Uint8Array) => p.sha512(d), outputBytes: 64, blockBytes: 128 });

async function implementations(): Promise<Primitives[]> {
  return [await loadNodePrimitives(), nodePrimitives, noblePrimitives];
}

interface Pair {
  readonly name: string;
  readonly mine: (p: Primitives, rng: (n: number) => Uint8Array) => HpkeSuite;
  readonly theirs: () => CipherSuite;
}

const PAIRS: Pair[] = [
  {
    name: 'X-Wing, HKDF-SHA512, AES-256-GCM',
    mine: (p, rng) => hpkeSuite(xwingKem(p), sha512(p), KDF_HKDF_SHA512, AEAD_AES256GCM, rng),
    theirs: () => new CipherSuite({ kem: new XWing(), kdf: new HkdfSha512(), aead: new Aes256Gcm() }),
  },
  {
    name: 'DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM',
    mine: (p, rng) => hpkeSuite(dhkemX25519(p, sha256(p)), sha256(p), KDF_HKDF_SHA256, AEAD_AES128GCM, rng),
    theirs: () => new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() }),
  },
];

describe('HPKE base mode against @hpke/core', () => {
  for (const pair of PAIRS) {
    it(`${pair.name}: same key pairs from the same seed, and each side opens what the other sealed`, async () => {
      for (const primitives of await implementations()) {
        const rng = seededRandom(`hpke-${pair.name}-${primitives.name}`);
        const mine = pair.mine(primitives, rng);
        const theirs = pair.theirs();
        const info = utf8('sotto test info');
        const aad = utf8('aad');
        for (let i = 0; i < 3; i++) {
          const ikm = rng(32);
          const sk = mine.kem.derivePrivateKey(ikm);
          const pk = await mine.kem.publicKey(sk);
          const theirPair = await theirs.kem.deriveKeyPair(buffer(ikm));
          assert.equal(toHex(new Uint8Array(await theirs.kem.serializePublicKey(theirPair.publicKey))), toHex(pk), primitives.name);
          assert.equal(toHex(new Uint8Array(await theirs.kem.serializePrivateKey(theirPair.privateKey))), toHex(sk), primitives.name);

          const plaintext = rng(100 + i);
          const sealed = await mine.seal(pk, info, aad, plaintext);
          const opened = await theirs.open({ recipientKey: theirPair.privateKey, enc: buffer(sealed.enc), info: buffer(info) }, buffer(sealed.ct), buffer(aad));
          assert.equal(toHex(new Uint8Array(opened)), toHex(plaintext), primitives.name);

          const theirSealed = await theirs.seal({ recipientPublicKey: theirPair.publicKey, info: buffer(info) }, buffer(plaintext), buffer(aad));
          const mineOpened = await mine.open(sk, new Uint8Array(theirSealed.enc), info, aad, new Uint8Array(theirSealed.ct));
          assert.equal(toHex(mineOpened!), toHex(plaintext), primitives.name);

          const exported = await mine.exportSecret(pk, info, utf8('ctx'), 32);
          const recipient = await theirs.createRecipientContext({ recipientKey: theirPair.privateKey, enc: buffer(exported.enc), info: buffer(info) });
          assert.equal(toHex(new Uint8Array(await recipient.export(buffer(utf8('ctx')), 32))), toHex(exported.secret), primitives.name);
        }
      }
    });

    it(`${pair.name}: a flipped bit in the ciphertext or the encapsulation does not open`, async () => {
      const primitives = await loadNodePrimitives();
      const rng = seededRandom(`hpke-tamper-${pair.name}`);
      const mine = pair.mine(primitives, rng);
      const sk = mine.kem.derivePrivateKey(rng(32));
      const sealed = await mine.seal(await mine.kem.publicKey(sk), utf8('i'), utf8('a'), utf8('path secret'));
      const ct = sealed.ct.slice();
      ct[0]! ^= 1;
      assert.equal(await mine.open(sk, sealed.enc, utf8('i'), utf8('a'), ct), undefined);
      const enc = sealed.enc.slice();
      enc[3]! ^= 1;
      assert.equal(await mine.open(sk, enc, utf8('i'), utf8('a'), sealed.ct).catch(() => undefined), undefined);
      assert.equal(await mine.open(sk, sealed.enc.subarray(1), utf8('i'), utf8('a'), sealed.ct), undefined);
    });
  }

  it('X-Wing encapsulation from given randomness equals @hpke/hybridkem-x-wing', async () => {
    const rng = seededRandom('xwing-encap');
    const theirs = new XWing();
    for (const primitives of await implementations()) {
      const kem = xwing(primitives);
      const sk = rng(32);
      const pk = await kem.publicKey(sk);
      const randomness = rng(64);
      const mine = await kem.encapsulate(pk, randomness);
      const recipientPublicKey = await theirs.importKey('raw', buffer(pk), true);
      const theirEncap = await theirs.encap({ recipientPublicKey, ekm: buffer(randomness) });
      assert.equal(toHex(mine.cipherText), toHex(new Uint8Array(theirEncap.enc)), primitives.name);
      assert.equal(toHex(mine.sharedSecret), toHex(new Uint8Array(theirEncap.sharedSecret)), primitives.name);
      assert.equal(toHex(await kem.decapsulate(mine.cipherText, sk)), toHex(mine.sharedSecret), primitives.name);
    }
  });
});
