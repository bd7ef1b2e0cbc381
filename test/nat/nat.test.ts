/**
 * People behind home routers (issue 14): a public relay on an internet of
 * network namespaces, Alice and Dave behind one endpoint-independent NAT
 * (one LAN), Bob behind another, Carol behind a symmetric NAT. Every node
 * runs the real `sotto start` with the relay as its only bootstrap peer and
 * no mailbox anywhere, so a message is `delivered` or nothing: while both
 * sides are online they must reach each other, directly where the NATs
 * allow it and through the relay where they do not. Skipped (saying why)
 * without root, ip or iptables.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNatTopology, natUnavailable, probeMapping, type NatTopology } from '../helpers/nat.ts';
import { befriend, connectionBetween, relaysOf, startNatNode, waitFor, type NatNode } from '../helpers/nat-nodes.ts';

const unavailable = await natUnavailable();
/** How long `send` waits for the recipient's ack. */
const SEND_WAIT_MS = 30_000;

describe('across NATs: a public relay, two endpoint-independent NATs and a symmetric one, no mailbox', { skip: unavailable, timeout: 600_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let net: NatTopology;
  let relay: NatNode;
  let alice: NatNode;
  let dave: NatNode;
  let bob: NatNode;
  let carol: NatNode;

  before(async () => {
    net = await createNatTopology(`sn${process.pid % 100000}`, {
      publicHosts: 1,
      sites: [{ kind: 'endpoint-independent', hosts: 2 }, { kind: 'endpoint-independent', hosts: 1 }, { kind: 'symmetric', hosts: 1 }],
    });
    cleanup.push(() => net.remove());
  });

  after(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  });

  test('the routers map as the test means: one external port per socket behind A and B, one per destination behind C', async () => {
    const [a, b, c] = net.sites;
    for (const site of [a!, b!, c!]) {
      const probe = await probeMapping(net, site);
      assert.equal(probe.kind, site.kind, `${site.lan}: seen as ${probe.seen.join(' and ')}`);
      for (const seen of probe.seen) assert.ok(seen.startsWith(`${site.router.address}:`), `${seen} is the router's WAN address`);
    }
  });

  test('a node behind a NAT learns it is not reachable and holds a slot on the relay; the relay learns it is reachable', async () => {
    relay = await startNatNode('relay', net.publicHosts[0]!, ['--relay'], cleanup);
    const bootstrap = ['--bootstrap', relay.bootstrap];
    [alice, dave, bob, carol] = await Promise.all([
      startNatNode('alice', net.sites[0]!.hosts[0]!, bootstrap, cleanup),
      startNatNode('dave', net.sites[0]!.hosts[1]!, bootstrap, cleanup),
      startNatNode('bob', net.sites[1]!.hosts[0]!, bootstrap, cleanup),
      startNatNode('carol', net.sites[2]!.hosts[0]!, bootstrap, cleanup),
    ]);
    for (const node of [alice, dave, bob, carol]) {
      assert.deepEqual(await relaysOf(node), [relay.peerId], `${node.name} holds its slot on the relay`);
      const status = await node.status();
      assert.equal(status.reachable, false, `${node.name} is behind a NAT`);
      assert.ok(status.addresses.some((a) => a.startsWith(`/ip4/${relay.host.address}/tcp/`) && a.includes(`/p2p/${relay.peerId}/p2p-circuit/p2p/${node.peerId}`)), `${node.name} lists its relayed address: ${status.addresses.join(' ')}`);
    }
    const reachable = await waitFor('AutoNAT to verify the relay\'s public address', async () => ((await relay.status()).reachable ? true : undefined));
    assert.equal(reachable, true);
    assert.ok((await relay.status()).addresses.some((a) => a.startsWith(`/ip4/${relay.host.address}/tcp/`)), 'the relay lists its public address');
  });

  test('two nodes behind two NATs chat while both are online: delivered both ways, no mailbox', async () => {
    await befriend(alice, bob);
    const sent = await alice.api.send('bob', 'hello from behind NAT A', SEND_WAIT_MS);
    assert.equal(sent.status, 'delivered', JSON.stringify(sent));
    const back = await bob.api.send('alice', 'hello from behind NAT B', SEND_WAIT_MS);
    assert.equal(back.status, 'delivered', JSON.stringify(back));
    assert.deepEqual((await bob.api.history('alice')).map((m) => m.text), ['hello from behind NAT A', 'hello from behind NAT B']);
    const link = await connectionBetween(alice, bob);
    assert.ok(link, 'alice is connected to bob');
  });

  test('a node behind a symmetric NAT chats through the relay: a /p2p-circuit connection, delivered', async () => {
    await befriend(alice, carol);
    const sent = await carol.api.send('alice', 'hello from behind the symmetric NAT', SEND_WAIT_MS);
    assert.equal(sent.status, 'delivered', JSON.stringify(sent));
    const back = await alice.api.send('carol', 'and back', SEND_WAIT_MS);
    assert.equal(back.status, 'delivered', JSON.stringify(back));
    const link = await connectionBetween(carol, alice);
    assert.ok(link, 'carol is connected to alice');
    assert.equal(link.relayed, true, `no direct path exists through a symmetric NAT, yet: ${link.address}`);
    assert.ok(link.address.includes(`/p2p/${relay.peerId}/p2p-circuit`), link.address);
  });

  test('two nodes on one LAN behind the same NAT connect directly over the LAN', async () => {
    await befriend(alice, dave);
    const sent = await dave.api.send('alice', 'hello across the room', SEND_WAIT_MS);
    assert.equal(sent.status, 'delivered', JSON.stringify(sent));
    const link = await connectionBetween(dave, alice);
    assert.ok(link, 'dave is connected to alice');
    assert.equal(link.relayed, false, link.address);
    assert.ok(link.address.startsWith(`/ip4/${alice.host.address}/tcp/`), `over the LAN: ${link.address}`);
  });
});
