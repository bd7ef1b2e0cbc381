/**
 * README's mailbox command works as written: `sotto start --mailbox
 * --relay`, with no bootstrap address and no --mdns, says that no peer is
 * reachable yet (it waits on the LAN), and chat users on the same LAN who
 * start with no flags at all find it by mDNS (on by default) and leave
 * mail with it for a contact who is away. Separate hosts: network
 * namespaces on one bridge, nothing else reachable. Skipped (saying why)
 * without root.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, sotto, sottoJson, startNode, tempHome, type RunningNode } from '../helpers/cli.ts';
import { createLan, lanUnavailable, type Lan } from '../helpers/lan.ts';

const unavailable = await lanUnavailable();
/** How long discovery, warnings and deliveries get before the test fails (a loaded 2-core machine). */
const WAIT_MS = 45_000;
/** How long `send` waits for custody receipts. */
const SEND_WAIT_S = '20';

describe("README's mailbox on a LAN: no flags beyond --mailbox --relay", { skip: unavailable, timeout: 240_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  const nodes: RunningNode[] = [];
  let lan: Lan;
  const homes = { mailbox: '', alice: '', bob: '' };

  before(async () => {
    // The pid keeps names apart from other runs on this machine.
    lan = await createLan(`sb${process.pid % 100000}`, 3);
    cleanup.push(() => lan.remove());
    for (const name of Object.keys(homes) as (keyof typeof homes)[]) {
      homes[name] = await tempHome(`mlan-${name}`, cleanup);
      assert.equal((await sotto(homes[name], ['init', '--name', name])).code, 0);
    }
  });

  after(async () => {
    for (const node of nodes) await node.stop().catch(() => {});
    for (const step of cleanup.reverse()) await step();
  });

  test('the mailbox says it waits for peers, chat users find it, and it holds their mail', async () => {
    const mailbox = await startNode(homes.mailbox, ['--mailbox', '--relay'], {}, lan.hosts[0]!.namespace);
    nodes.push(mailbox);
    assert.ok(mailbox.addresses.some((a) => a.startsWith(`/ip4/${lan.hosts[0]!.address}/`)), 'it listens on the LAN');
    await eventually(async () => /^sotto: warning: no peer reachable after [\d.]+s \(tried mDNS on this network\)$/m.test(mailbox.output()), WAIT_MS, 'the lone mailbox to say no peer answered');
    assert.match(mailbox.output(), /^hint: no other Sotto node answered on this network yet: the node keeps waiting/m);

    const alice = await startNode(homes.alice, [], {}, lan.hosts[1]!.namespace);
    const bob = await startNode(homes.bob, [], {}, lan.hosts[2]!.namespace);
    nodes.push(alice, bob);
    await eventually(async () => (await sottoJson<{ peers: number }>(homes.mailbox, ['status'])).peers >= 2, WAIT_MS, 'both chat users to reach the mailbox');
    for (const [from, to, name] of [[homes.alice, homes.bob, 'bob'], [homes.bob, homes.alice, 'alice']] as const) {
      const invite = (await sotto(to, ['invite', '--no-qr'])).stdout.trim();
      assert.equal((await sotto(from, ['contacts', 'add', '--invite', invite, name])).code, 0);
    }

    assert.equal(await bob.stop(), 0);
    const sent = await sottoJson<{ status: string; reason?: string }>(homes.alice, ['send', 'bob', 'held on the LAN', '--wait', SEND_WAIT_S]);
    assert.equal(sent.status, 'stored', JSON.stringify(sent));
    assert.match(sent.reason ?? '', /held by 1 mailbox/);
    const held = await sottoJson<{ mailbox: { items: number } | null }>(homes.mailbox, ['status']);
    assert.ok((held.mailbox?.items ?? 0) >= 1, 'the mailbox holds it');
  });
});
