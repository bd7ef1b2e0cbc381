/**
 * The STUN servers a node's WebRTC asks (src/node/transport/ice-servers.ts):
 * only its relays' responders, named by the relayed addresses it holds,
 * never a loopback one, a DNS name or a public default; and the check pages
 * apply to the list their node gives them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { multiaddr } from '@multiformats/multiaddr';
import { ICE_MAX_STUN_SERVERS } from '../../src/node/constants.ts';
import { iceServersOf, isStunUrlForIp, relayStunUrls } from '../../src/node/transport/ice-servers.ts';

const R1 = '12D3KooWQi7TshN4fwfwLsLwdXL287qNp7Aa5nrZxJsCxSADyywP';
const R2 = '12D3KooWLR7WqpPM8ZikSABvkjkJPXsnMCNQnLheDkUPrwvVqepd';
const ME = '12D3KooWJr4jFaQsKRuz2ZrHC499KWNkZVLdRLLE5EUDhyhqwc4R';

test('a node asks the STUN responders of its relays, at the port of the relayed address, and no one else', () => {
  const addresses = [
    `/ip4/127.0.0.1/tcp/4001/p2p/${ME}`,
    `/ip4/192.168.1.2/tcp/4001/p2p/${ME}`,
    `/ip4/11.77.0.1/tcp/4001/p2p/${R1}/p2p-circuit/p2p/${ME}`,
    `/ip4/11.77.0.1/tcp/4001/p2p/${R1}/p2p-circuit/webrtc/p2p/${ME}`,
    `/ip4/127.0.0.1/tcp/4001/p2p/${R1}/p2p-circuit/p2p/${ME}`,
    `/ip6/2001:db8::5/tcp/4002/ws/p2p/${R2}/p2p-circuit/p2p/${ME}`,
    `/dns4/relay.example/tcp/4001/p2p/${R2}/p2p-circuit/p2p/${ME}`,
  ].map((a) => multiaddr(a));
  assert.deepEqual(relayStunUrls(addresses), ['stun:11.77.0.1:4001', 'stun:[2001:db8::5]:4002']);
});

test('no relay, no STUN server: an empty list, which keeps the library from its public default', () => {
  assert.deepEqual(relayStunUrls([multiaddr(`/ip4/192.168.1.2/tcp/4001/p2p/${ME}`)]), []);
  assert.deepEqual(iceServersOf([]), []);
  assert.deepEqual(iceServersOf(['stun:11.77.0.1:4001']), [{ urls: ['stun:11.77.0.1:4001'] }]);
});

test(`at most ICE_MAX_STUN_SERVERS (${ICE_MAX_STUN_SERVERS}) servers`, () => {
  const many = Array.from({ length: 10 }, (_, i) => multiaddr(`/ip4/11.77.0.${i + 1}/tcp/4001/p2p/${R1}/p2p-circuit/p2p/${ME}`));
  assert.equal(relayStunUrls(many).length, ICE_MAX_STUN_SERVERS);
});

test('a page takes only stun: URLs of IP addresses from its node', () => {
  for (const url of ['stun:11.77.0.1:4001', 'stun:[2001:db8::5]:4002']) assert.equal(isStunUrlForIp(url), true, url);
  for (const url of ['stun:stun.l.google.com:19302', 'turn:11.77.0.1:4001', 'stun:11.77.0.1', 'stuns:11.77.0.1:5349', 'stun:11.77.0.1:4001?transport=tcp', '']) {
    assert.equal(isStunUrlForIp(url), false, url);
  }
});
