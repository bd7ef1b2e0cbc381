/**
 * Which invite addresses a node dials (src/node/transport/
 * contact-dial-policy.ts; docs/PROTOCOL.md §23): the rule on a table of
 * kept and refused addresses, the per-host port bound, and real nodes on
 * loopback, where only the admitted addresses reach libp2p's peer store.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { MAX_CONTACT_DIAL_PORTS_PER_HOST } from '../../src/node/constants.ts';
import { contactDialAddresses, type DialRefusal, type LocalNetworks } from '../../src/node/transport/contact-dial-policy.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import { peerIdFromText } from '../../src/node/encoding/peer-id.ts';
import { testContext } from '../helpers/context.ts';

const CONTACT = '12D3KooWD2gMK9nBeTC3C1WdoL6u2xFzvUCk8pcFfV3616Eii3k4';
const RELAY = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo';
const SELF = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK';
const PUBLIC = '93.184.216.34';

/** A desktop node on a LAN (192.168.1.20/24, a VPN 10.8.0.5/16) that also listens on loopback. */
const DESKTOP: LocalNetworks = {
  ownAddresses: [`/ip4/127.0.0.1/tcp/4001/p2p/${SELF}`, `/ip4/192.168.1.20/tcp/4001/p2p/${SELF}`],
  subnets: ['192.168.1.20/24', '10.8.0.5/16', 'fe80::1/64', '127.0.0.1/8'],
};

function verdict(address: string, local: LocalNetworks = DESKTOP): DialRefusal | 'kept' {
  const { kept, refused } = contactDialAddresses(CONTACT, [address], local);
  return kept.length === 1 ? 'kept' : refused[0]!.reason;
}

describe('the rule', () => {
  test('kept: public hosts, private ones in a subnet of this node, loopback when this node listens on it', () => {
    for (const address of [
      `/ip4/${PUBLIC}/tcp/4001`,
      `/ip4/${PUBLIC}/tcp/4002/ws`,
      `/ip4/${PUBLIC}/tcp/443/wss`,
      `/ip4/${PUBLIC}/tcp/443/tls/ws`,
      `/ip4/${PUBLIC}/tcp/4001/p2p/${CONTACT}`,
      `/ip4/${PUBLIC}/tcp/4002/ws/p2p/${RELAY}/p2p-circuit`,
      `/ip4/${PUBLIC}/tcp/4002/ws/p2p/${RELAY}/p2p-circuit/webrtc`,
      `/ip4/${PUBLIC}/tcp/4002/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${CONTACT}`,
      '/ip6/2001:4860::8888/tcp/4001',
      '/ip4/192.168.1.77/tcp/4001',
      '/ip4/10.8.200.1/tcp/4001/ws',
      '/ip6/fe80::5/tcp/4001',
      '/ip4/127.0.0.1/tcp/4001',
      '/ip4/127.0.0.1/tcp/40883/ws/p2p/' + RELAY + '/p2p-circuit/webrtc',
      '/ip6/::1/tcp/4001',
    ]) assert.equal(verdict(address), 'kept', address);
  });

  test('refused, with the reason', () => {
    const cases: [string, DialRefusal][] = [
      ['not a multiaddr', 'malformed'],
      ['/dns4/example.com/tcp/4001', 'transport'],
      ['/dns4/localhost/tcp/22', 'transport'],
      [`/ip4/${PUBLIC}/udp/4001/quic-v1`, 'transport'],
      [`/ip4/${PUBLIC}/tcp/0`, 'transport'],
      [`/ip4/${PUBLIC}/tcp/4001/http`, 'transport'],
      [`/ip4/${PUBLIC}/tcp/4001/p2p-circuit`, 'transport'],
      [`/ip4/${PUBLIC}/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc/ws`, 'transport'],
      [`/ip4/${PUBLIC}`, 'transport'],
      ['/unix/%2Ftmp%2Fsotto.sock', 'transport'],
      [`/ip4/${PUBLIC}/tcp/4001/p2p/${RELAY}`, 'peer-id'],
      [`/ip4/${PUBLIC}/tcp/4001/p2p/${CONTACT}/p2p-circuit`, 'peer-id'],
      ['/ip4/0.0.0.0/tcp/4001', 'host'],
      ['/ip4/224.0.0.251/tcp/5353', 'host'],
      ['/ip4/255.255.255.255/tcp/1', 'host'],
      ['/ip6/::/tcp/1', 'host'],
      ['/ip6/ff02::1/tcp/1', 'host'],
      ['/ip6/::ffff:7f00:1/tcp/22', 'host'],
      ['/ip4/192.168.2.5/tcp/4001', 'private'],
      ['/ip4/172.16.0.1/tcp/22', 'private'],
      ['/ip4/169.254.1.1/tcp/80', 'private'],
      ['/ip4/100.64.1.1/tcp/4001', 'private'],
      ['/ip6/fd00::5/tcp/4001', 'private'],
      [`/ip4/192.168.2.5/tcp/4001/ws/p2p/${RELAY}/p2p-circuit/webrtc`, 'private'],
    ];
    for (const [address, reason] of cases) assert.equal(verdict(address), reason, address);
  });

  test('loopback only when one of this node’s own addresses is loopback (a loopback interface subnet is not enough)', () => {
    const lanOnly: LocalNetworks = { ownAddresses: [`/ip4/192.168.1.20/tcp/4001/p2p/${SELF}`], subnets: ['192.168.1.20/24', '127.0.0.1/8'] };
    assert.equal(verdict('/ip4/127.0.0.1/tcp/4001', lanOnly), 'loopback');
    assert.equal(verdict('/ip4/127.0.0.1/tcp/4001', { ownAddresses: [], subnets: [] }), 'loopback');
  });

  test('without interfaces (a browser page), the own addresses give the nearby subnet', () => {
    const page: LocalNetworks = { ownAddresses: [`/ip4/192.168.1.5/tcp/4002/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${SELF}`], subnets: [] };
    assert.equal(verdict('/ip4/192.168.1.9/tcp/4001', page), 'kept');
    assert.equal(verdict('/ip4/192.168.2.9/tcp/4001', page), 'private');
    assert.equal(verdict('/ip4/127.0.0.1/tcp/4001', page), 'loopback');
    assert.equal(verdict(`/ip4/${PUBLIC}/tcp/4001`, page), 'kept');
  });

  test(`at most ${MAX_CONTACT_DIAL_PORTS_PER_HOST} distinct ports per host, in invite order; a port already kept costs nothing`, () => {
    const addresses = [
      `/ip4/${PUBLIC}/tcp/4001`,
      `/ip4/${PUBLIC}/tcp/4001/ws/p2p/${RELAY}/p2p-circuit`,
      `/ip4/${PUBLIC}/tcp/4002/ws`,
      '/ip4/192.168.1.77/tcp/1',
      `/ip4/${PUBLIC}/tcp/4003`,
      `/ip4/${PUBLIC}/tcp/22`,
      `/ip4/${PUBLIC}/tcp/4002/ws/p2p/${RELAY}/p2p-circuit/webrtc`,
      '/ip4/192.168.1.77/tcp/2',
    ];
    const { kept, refused } = contactDialAddresses(CONTACT, addresses, DESKTOP);
    assert.deepEqual(kept, [addresses[0], addresses[1], addresses[2], addresses[3], addresses[4], addresses[6], addresses[7]]);
    assert.deepEqual(refused, [{ address: addresses[5], reason: 'ports' }]);
  });
});

describe('real nodes on loopback', () => {
  const nodes: SottoNode[] = [];
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
  });
  const node = async (label: string, listen: string[]): Promise<SottoNode> => {
    const n = await createNode({ identity: await generateIdentity(testContext(label)), listen, bootstrap: [] });
    nodes.push(n);
    return n;
  };
  const known = async (n: SottoNode, peerId: string): Promise<string[]> => {
    try {
      return (await n.libp2p.peerStore.get(peerIdFromText(peerId))).addresses.map((a) => a.multiaddr.toString()).sort();
    } catch {
      return [];
    }
  };

  test('two nodes on one machine reach each other over 127.0.0.1; the other invite addresses never reach the peer store', async () => {
    const alice = await node('dial-policy-alice', ['/ip4/127.0.0.1/tcp/0']);
    const bob = await node('dial-policy-bob', ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws']);
    const invite = bob.addresses().map((a) => a.slice(0, a.lastIndexOf('/p2p/')));
    const hostile = ['/ip4/10.255.255.1/tcp/4001', '/dns4/localhost/tcp/22', '/ip4/0.0.0.0/tcp/4001', '/ip4/127.0.0.1/tcp/22', '/ip4/127.0.0.1/tcp/25'];
    await libp2pNetwork(alice).rememberAddresses!(bob.peerId, [...invite, ...hostile]);
    // bob's two ports plus one more loopback port: the third of 127.0.0.1; port 25 is one too many.
    assert.deepEqual(await known(alice, bob.peerId), [...invite, '/ip4/127.0.0.1/tcp/22'].sort());
    const connection = await alice.libp2p.dial(peerIdFromText(bob.peerId), { signal: AbortSignal.timeout(10_000) });
    assert.equal(connection.remotePeer.toString(), bob.peerId);
  });

  test('a node with no loopback address of its own does not take loopback invite addresses', async () => {
    const bob = await node('dial-policy-bob-2', ['/ip4/127.0.0.1/tcp/0']);
    const dialOnly = await node('dial-policy-carol', []);
    await libp2pNetwork(dialOnly).rememberAddresses!(bob.peerId, bob.addresses().map((a) => a.slice(0, a.lastIndexOf('/p2p/'))));
    assert.deepEqual(await known(dialOnly, bob.peerId), []);
  });
});
