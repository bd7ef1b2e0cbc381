/**
 * DCUtR's view of the transports (src/node/transport/dcutr-direct-only.ts):
 * no transport dials a relayed address for it, WebRTC through a relay
 * included, so the library never takes one for a direct address (it used to
 * dial the relay through itself); direct addresses and every other member
 * of the transport manager stay as they are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransportManager } from '@libp2p/interface-internal';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { directDialsOnly } from '../../src/node/transport/dcutr-direct-only.ts';

const RELAY = '12D3KooWQi7TshN4fwfwLsLwdXL287qNp7Aa5nrZxJsCxSADyywP';

test('relayed addresses have no dial transport for DCUtR; direct ones and the rest of the manager are untouched', () => {
  const transport = { name: 'a transport' };
  const manager = {
    dialTransportForMultiaddr: (_: Multiaddr) => transport,
    getAddrs: function (this: unknown) {
      return this === manager ? ['bound to the manager'] : [];
    },
  };
  const view = directDialsOnly(manager as unknown as TransportManager);
  assert.equal(view.dialTransportForMultiaddr(multiaddr('/ip4/11.77.0.7/tcp/4001')), transport);
  assert.equal(view.dialTransportForMultiaddr(multiaddr(`/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`)), undefined);
  assert.equal(view.dialTransportForMultiaddr(multiaddr(`/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc`)), undefined, 'WebRTC through a relay is no direct address');
  assert.deepEqual(view.getAddrs(), ['bound to the manager']);
});
