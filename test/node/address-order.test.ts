/**
 * The order libp2p dials a peer's addresses in (src/node/transport/address-order.ts):
 * a relayed address comes after every direct one, a LAN address included,
 * even when its relay's address is public, and WebRTC through a relay after
 * the plain relayed address (the upgrade to WebRTC comes once that is up).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { multiaddr } from '@multiformats/multiaddr';
import { addressOrder, dialOrder } from '../../src/node/transport/address-order.ts';
import { farPrivateAddresses } from '../../src/node/transport/contact-dial-policy.ts';

const RELAY = '12D3KooWQi7TshN4fwfwLsLwdXL287qNp7Aa5nrZxJsCxSADyywP';

test('direct addresses (public, then LAN, then loopback) come before relayed ones, whatever the relay', () => {
  const addresses = [
    `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`,
    '/ip4/127.0.0.1/tcp/4001',
    '/ip4/192.168.1.3/tcp/4001',
    `/ip4/127.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`,
    '/ip4/11.77.0.7/tcp/4001',
  ].map((a) => ({ multiaddr: multiaddr(a), isCertified: false }));
  const sorted = [...addresses].sort(dialOrder).map((a) => a.multiaddr.toString());
  assert.deepEqual(sorted.slice(0, 3), ['/ip4/11.77.0.7/tcp/4001', '/ip4/192.168.1.3/tcp/4001', '/ip4/127.0.0.1/tcp/4001']);
  assert.ok(sorted.slice(3).every((a) => a.includes('/p2p-circuit')), sorted.join(' '));
});

test('WebRTC through a relay comes after the plain relayed address, and both after direct ones', () => {
  const addresses = [
    `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc`,
    `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`,
    '/ip4/192.168.1.3/tcp/4001',
  ].map((a) => ({ multiaddr: multiaddr(a), isCertified: false }));
  assert.deepEqual([...addresses].sort(dialOrder).map((a) => a.multiaddr.toString()), [
    '/ip4/192.168.1.3/tcp/4001',
    `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`,
    `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc`,
  ]);
});

test('another site\'s private address comes after the relayed ones; one on this node\'s own LAN stays first', () => {
  const far = farPrivateAddresses({ ownAddresses: ['/ip4/192.168.1.2/tcp/4001'], subnets: [] });
  const addresses = [
    '/ip4/192.168.2.2/tcp/4001',
    `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc`,
    `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`,
    '/ip4/192.168.1.3/tcp/4001',
    '/ip4/127.0.0.1/tcp/4001',
  ].map((a) => ({ multiaddr: multiaddr(a), isCertified: false }));
  assert.deepEqual([...addresses].sort(addressOrder(far)).map((a) => a.multiaddr.toString()), [
    '/ip4/192.168.1.3/tcp/4001',
    '/ip4/127.0.0.1/tcp/4001',
    `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`,
    `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc`,
    '/ip4/192.168.2.2/tcp/4001',
  ]);
  assert.equal(far(multiaddr('/ip4/10.0.0.9/tcp/4001')), true);
  assert.equal(far(multiaddr('/ip4/11.77.0.9/tcp/4001')), false, 'public');
  assert.equal(far(multiaddr(`/ip4/10.0.0.9/tcp/4001/p2p/${RELAY}/p2p-circuit`)), false, 'relayed: judged by rank, not as far');
  assert.equal(farPrivateAddresses({ ownAddresses: [], subnets: ['10.0.0.0/8'] })(multiaddr('/ip4/10.0.0.9/tcp/4001')), false, 'inside an interface\'s subnet');
});

test('among equals, an address from a signed peer record comes first', () => {
  const plain = { multiaddr: multiaddr('/ip4/192.168.1.3/tcp/4001'), isCertified: false };
  const certified = { multiaddr: multiaddr('/ip4/192.168.1.4/tcp/4001'), isCertified: true };
  assert.deepEqual([plain, certified].sort(dialOrder), [certified, plain]);
});
