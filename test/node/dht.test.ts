/**
 * The private DHT with 20 in-process nodes on loopback: each joins through a
 * few others, nobody through the target, and a sender that knows only the
 * target's peer id finds it through the DHT and opens a protocol stream to
 * it. Also: records under the 'sotto-bundle' namespace go through the
 * validator and selector passed in the node configuration.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { framed } from '../../src/node/transport/frames.ts';
import { createNode, type NodeConfig, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { BUNDLE_RECORD_NAMESPACE, KAD_PROTOCOL } from '../../src/node/constants.ts';
import { testContext } from '../helpers/context.ts';

const TCP = '/ip4/127.0.0.1/tcp/0';
const HELLO = '/sotto-test/hello/1.0.0';
const NETWORK = 18; // plus the target and the sender: 20 nodes

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Accepts values that start with "bundle:"; the longest wins (a stand-in for "newest valid signed bundle"). */
const dhtValidators: NodeConfig['dhtValidators'] = {
  [BUNDLE_RECORD_NAMESPACE]: (_key, value) => {
    if (!text(value).startsWith('bundle:')) throw new Error('not a bundle');
  },
};
const dhtSelectors: NodeConfig['dhtSelectors'] = {
  [BUNDLE_RECORD_NAMESPACE]: (_key, values) => values.reduce((best, v, i) => (v.length > values[best]!.length ? i : best), 0),
};

const nodes: SottoNode[] = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

async function start(label: string, bootstrap: SottoNode[]): Promise<SottoNode> {
  const n = await createNode({
    identity: await generateIdentity(testContext(`dht-${label}`)),
    listen: [TCP],
    bootstrap: bootstrap.map((b) => b.addresses()[0]!),
    dhtValidators,
    dhtSelectors,
  });
  nodes.push(n);
  assert.equal(await n.bootstrap(), new Set(bootstrap).size, `${label} reached its bootstrap peers`);
  return n;
}

describe('private DHT, 20 nodes', () => {
  test('a sender that knows only the peer id finds the target and opens a stream to it', async () => {
    const started = performance.now();
    const network: SottoNode[] = [];
    for (let i = 0; i < NETWORK; i++) {
      // Each joins through up to three earlier nodes.
      const via = [...new Set([i - 1, Math.floor(i / 2), Math.floor(i / 3)].filter((j) => j >= 0 && j < i))].map((j) => network[j]!);
      network.push(await start(`n${i}`, via));
    }
    const target = await start('target', [network[5]!, network[11]!, network[17]!]);
    const sender = await start('sender', [network[0]!, network[8]!, network[14]!]);
    const built = performance.now();
    await target.handle(HELLO, async (stream, remotePeerId) => {
      const f = framed(stream, { maxFrameBytes: 1024 });
      const hello = text(await f.read());
      await f.write(utf8(`${hello} back from ${target.peerId.slice(-6)} to ${remotePeerId.slice(-6)}`));
      await f.close();
    });

    assert.ok(sender.libp2p.getProtocols().includes(KAD_PROTOCOL));
    assert.equal(sender.libp2p.getConnections(target.libp2p.peerId).length, 0, 'the sender is not connected to the target');
    assert.ok(!nodes.some((n) => n !== target && n.addresses().length === 0));

    const lookupStarted = performance.now();
    const found = await sender.findPeer(target.peerId, { timeoutMs: 15_000 });
    const lookupMs = performance.now() - lookupStarted;
    assert.equal(found.peerId, target.peerId);
    assert.ok(found.addresses.some((a) => target.addresses().some((t) => t.startsWith(a))), `found ${found.addresses.join(' ')}`);

    const dialStarted = performance.now();
    const f = framed(await sender.dialProtocol(target.peerId, HELLO), { maxFrameBytes: 1024 });
    await f.write(utf8('hello'));
    assert.equal(text(await f.read()), `hello back from ${target.peerId.slice(-6)} to ${sender.peerId.slice(-6)}`);
    await f.close();
    const dialMs = performance.now() - dialStarted;

    // Signed-bundle style records: validator and selector from the configuration.
    const key = utf8(`/${BUNDLE_RECORD_NAMESPACE}/${target.peerId}`);
    for (const value of ['bundle:v1', 'bundle:v1-newer']) {
      for await (const _event of target.libp2p.services.dht.put(key, utf8(value), { signal: AbortSignal.timeout(10_000) })) {
        // Drain the query.
      }
    }
    let got: string | undefined;
    for await (const event of sender.libp2p.services.dht.get(key, { signal: AbortSignal.timeout(10_000) })) {
      if (event.name === 'VALUE') got = text(event.value);
    }
    assert.equal(got, 'bundle:v1-newer', 'the selector picked the newest record');

    const total = performance.now() - started;
    process.stdout.write(`# 20 nodes built in ${(built - started).toFixed(0)} ms; findPeer ${lookupMs.toFixed(0)} ms; dial by peer id + exchange ${dialMs.toFixed(0)} ms; total ${total.toFixed(0)} ms\n`);
    assert.ok(total < 60_000);
  });
});
