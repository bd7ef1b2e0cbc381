/**
 * The private mDNS service name of a swarm key (docs/PROTOCOL.md §13,
 * "Discovery and private networks"): derived from the key's 32 bytes, so
 * every spelling of one key gives one name and another key another.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { encodeSwarmKey, mdnsServiceTag } from '../../src/node/transport/libp2p.ts';
import { LABEL_MDNS_PRIVATE_TAG, MDNS_SERVICE_TAG } from '../../src/node/constants.ts';
import { seededRandom } from '../helpers/context.ts';

test('a swarm key gives the name of the spec; case and line ends do not matter; another key gives another name', () => {
  const random = seededRandom('mdns tag');
  const key = random(32);
  const file = encodeSwarmKey(key);
  const expected = createHash('sha256').update(LABEL_MDNS_PRIVATE_TAG).update(key).digest('hex').slice(0, 16);
  assert.equal(mdnsServiceTag(file), `_sotto-${expected}._udp.local`);
  const [header, encoding, hex] = new TextDecoder().decode(file).split('\n');
  const respelled = new TextEncoder().encode(`${header}\r\n${encoding}\r\n${hex!.toUpperCase()}\r\n`);
  assert.equal(mdnsServiceTag(respelled), mdnsServiceTag(file));
  assert.notEqual(mdnsServiceTag(encodeSwarmKey(random(32))), mdnsServiceTag(file));
  assert.notEqual(mdnsServiceTag(file), MDNS_SERVICE_TAG);
  assert.throws(() => mdnsServiceTag(new TextEncoder().encode('not a key')), { name: 'InvalidSwarmKeyError' });
});
