/**
 * Desktop nodes connected by WebRTC stop and their processes exit.
 * node-datachannel (under @libp2p/webrtc) keeps native callbacks that hold
 * Node's event loop for ever when a data channel closes before it opened;
 * on the answering side of every WebRTC connection between two Node
 * processes that is the first channel, which the dialler closes at once.
 * A `sotto start` whose node had such a connection stopped and then never
 * exited.
 *
 * Three hosts on one bridge (../helpers/lan.ts): a relay, and two nodes
 * that listen on their own loopback only, so that they reach each other
 * only through the relay, by WebRTC signalled over it. Skipped (saying
 * why) without root.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addByInvite, eventually, sotto, sottoJson, startNode, stopWithin, tempHome, TEST_STOP_WAIT_MS, type RunningNode } from '../helpers/cli.ts';
import { createLan, lanUnavailable, type Lan } from '../helpers/lan.ts';

const unavailable = await lanUnavailable();
/** How long a relay slot, an invite's address and a delivery get (generous: a loaded 2-core machine). */
const WAIT_MS = 45_000;
/** How long `send` waits for the recipient's answer. */
const SEND_WAIT_S = '20';

interface Status {
  readonly addresses: readonly string[];
  readonly connections: readonly { readonly peerId: string; readonly address: string; readonly relayed: boolean }[];
  readonly webrtcUpgrades?: Record<string, unknown>;
}

const statusOf = (home: string): Promise<Status> => sottoJson<Status>(home, ['status']);

describe('desktop nodes connected by WebRTC', { skip: unavailable, timeout: 180_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  const nodes: RunningNode[] = [];
  let lan: Lan;
  const homes = { relay: '', bee: '', cat: '' };
  let bee: RunningNode;
  let cat: RunningNode;

  before(async () => {
    lan = await createLan(`sw${process.pid % 100000}`, 3);
    cleanup.push(() => lan.remove());
    for (const name of Object.keys(homes) as (keyof typeof homes)[]) {
      homes[name] = await tempHome(`webrtc-stop-${name}`, cleanup);
      assert.equal((await sotto(homes[name], ['init', '--name', name, '--no-passphrase'])).code, 0);
    }
    const [relayHost, beeHost, catHost] = lan.hosts.map((h) => h.namespace);
    const relay = await startNode(homes.relay, ['--listen', `/ip4/${lan.hosts[0]!.address}/tcp/0`, '--relay'], {}, relayHost);
    nodes.push(relay);
    // Loopback only: the other node cannot dial it directly, only through the relay.
    const viaRelay = ['--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', relay.addresses[0]!];
    bee = await startNode(homes.bee, viaRelay, {}, beeHost);
    cat = await startNode(homes.cat, viaRelay, {}, catHost);
    nodes.push(bee, cat);
  });

  after(async () => {
    for (const node of nodes) await node.kill().catch(() => {});
    for (const step of cleanup.reverse()) await step();
  });

  test('two nodes behind one relay chat over a WebRTC connection of their own', async () => {
    await eventually(async () => (await statusOf(homes.bee)).addresses.some((a) => a.includes('/p2p-circuit/webrtc')), WAIT_MS, 'bee to hold a slot on the relay');
    await addByInvite(homes.cat, homes.bee, 'bee');
    await addByInvite(homes.bee, homes.cat, 'cat');
    const sent = await sotto(homes.cat, ['send', 'bee', 'over webrtc', '--wait', SEND_WAIT_S]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.stdout.trim(), 'delivered');
    // The first message may go over the relayed connection; the node then
    // upgrades it to WebRTC in the background (PROTOCOL §13).
    const beeId = (await sottoJson<{ peerId: string }>(homes.bee, ['id'])).peerId;
    const toBee = async (): Promise<Status['connections']> => (await statusOf(homes.cat)).connections.filter((c) => c.peerId === beeId);
    await eventually(async () => (await toBee()).some((c) => c.address.includes('/webrtc')), WAIT_MS, 'cat to hold a WebRTC connection to bee').catch(async (err: Error) => {
      // Say what each side's upgrade did (an attempt that failed rests its peer for WEBRTC_UPGRADE_RETRY_MS).
      const [c, b] = [await statusOf(homes.cat), await statusOf(homes.bee)];
      throw new Error(`${err.message}; cat: ${JSON.stringify({ upgrades: c.webrtcUpgrades, connections: c.connections })}; bee: ${JSON.stringify({ upgrades: b.webrtcUpgrades, connections: b.connections })}`);
    });
    const again = await sotto(homes.cat, ['send', 'bee', 'over webrtc again', '--wait', SEND_WAIT_S]);
    assert.equal(again.stdout.trim(), 'delivered', again.stderr);
    const connections = await toBee();
    assert.ok(connections.some((c) => c.address.includes('/webrtc')), JSON.stringify(connections));
  });

  test('with the other node killed, a node stops on SIGTERM and its process exits with status 0', async () => {
    await cat.kill();
    assert.equal(await stopWithin(bee, TEST_STOP_WAIT_MS), 0, bee.output());
  });
});
