/**
 * Peer ids and the signing keys inside them: the remembered keys of
 * signingKeyOfPeerId give the same answers as parsing, never a shared
 * buffer, and are remembered for valid peer ids only, up to a bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerIdOfSigningKey, signingKeyOfPeerId } from '../../src/node/encoding/peer-id.ts';
import { seededRandom } from '../helpers/context.ts';
import { ed25519 } from '@noble/curves/ed25519.js';

test('signingKeyOfPeerId: the key inside the id, the same on every call, a fresh copy each time; past the cache bound too', () => {
  const random = seededRandom('peer ids');
  const keys = Array.from({ length: 1100 }, () => ed25519.getPublicKey(random(32)));
  const ids = keys.map((key) => peerIdOfSigningKey(key));
  for (let round = 0; round < 2; round++) {
    ids.forEach((id, i) => assert.deepEqual(signingKeyOfPeerId(id), keys[i], `${round}:${i}`));
  }
  const first = signingKeyOfPeerId(ids[0]!);
  first.fill(0);
  assert.deepEqual(signingKeyOfPeerId(ids[0]!), keys[0], 'changing a returned key changes nothing else');
  assert.throws(() => signingKeyOfPeerId('12D3KooWnot-a-peer-id'), { name: 'InvalidPeerIdError' });
  assert.throws(() => signingKeyOfPeerId('12D3KooWnot-a-peer-id'), { name: 'InvalidPeerIdError' }, 'an invalid id is not remembered');
});
