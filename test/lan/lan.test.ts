/**
 * An air-gapped LAN on separate hosts: network namespaces on one bridge, no
 * route anywhere else. Three nodes started with `--lan --swarm-key` find
 * each other by mDNS, chat, and hold each other's mail; a node switched off
 * gets its mail from a LAN mailbox when it is back; a node without the key
 * is refused and learns nothing. Skipped (saying why) without root.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addByInvite, eventually, sotto, sottoJson, startNode, tempHome, type RunningNode } from '../helpers/cli.ts';
import { createLan, lanUnavailable, type Lan } from '../helpers/lan.ts';

const unavailable = await lanUnavailable();
/** How long discovery, delivery and refusals get before the test fails (generous: a loaded 2-core machine). */
const WAIT_MS = 45_000;
/** How long a keyless node keeps trying before the test looks at what it got. */
const INTRUDER_TRIES_MS = 5_000;
/** How long `send` waits for an answer. */
const SEND_WAIT_S = '20';

interface Status {
  readonly peers: number;
  readonly dhtPeers: number;
}

const status = (home: string): Promise<Status> => sottoJson<Status>(home, ['status']);

async function history(home: string, name: string): Promise<string[]> {
  return (await sottoJson<{ text: string }[]>(home, ['history', name])).map((m) => m.text);
}

describe('air-gapped LAN: mDNS discovery, a fenced private network, mail from LAN mailboxes', { skip: unavailable, timeout: 300_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  const nodes: RunningNode[] = [];
  let lan: Lan;
  let key: string;
  const homes: Record<'alice' | 'bob' | 'carol' | 'eve', string> = { alice: '', bob: '', carol: '', eve: '' };
  const host = (i: number): string => lan.hosts[i]!.namespace;
  const start = async (home: string, hostIndex: number, args: string[]): Promise<RunningNode> => {
    const node = await startNode(home, args, {}, host(hostIndex));
    nodes.push(node);
    return node;
  };

  before(async () => {
    lan = await createLan(`sl${process.pid % 100000}`, 4);
    cleanup.push(() => lan.remove());
    const dir = await mkdtemp(join(tmpdir(), 'sotto-lan-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    key = join(dir, 'team.key');
    for (const name of Object.keys(homes) as (keyof typeof homes)[]) {
      homes[name] = await tempHome(`lan-${name}`, cleanup);
      assert.equal((await sotto(homes[name], ['init', '--name', name])).code, 0);
    }
  });

  after(async () => {
    for (const node of nodes) await node.stop().catch(() => {});
    for (const step of cleanup.reverse()) await step();
  });

  test('sotto swarm-key new writes a private key file and never replaces one', async () => {
    const made = await sotto(homes.alice, ['swarm-key', 'new', key]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout.trim(), `wrote ${key}`);
    const text = await readFile(key, 'utf8');
    assert.match(text, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/);
    const again = await sotto(homes.alice, ['swarm-key', 'new', key]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^sotto: .*already exists\nhint: /);
    assert.equal(await readFile(key, 'utf8'), text, 'the key was not touched');
    const missing = await sotto(homes.alice, ['start', '--lan', '--swarm-key', join(tmpdir(), 'no-such-sotto.key')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^sotto: cannot use the swarm key .*: no such file\nhint: /);
  });

  test('three nodes with the key find each other by mDNS with no bootstrap address, and chat', async (t) => {
    const began = performance.now();
    await start(homes.alice, 0, ['--lan', '--swarm-key', key]);
    await start(homes.bob, 1, ['--lan', '--swarm-key', key]);
    await start(homes.carol, 2, ['--lan', '--swarm-key', key]);
    for (const home of [homes.alice, homes.bob, homes.carol]) {
      await eventually(async () => (await status(home)).peers >= 2, WAIT_MS, 'every node to connect to the other two');
    }
    t.diagnostic(`LAN discovery: all three nodes connected ${((performance.now() - began) / 1000).toFixed(1)} s after the first start`);

    await addByInvite(homes.alice, homes.bob, 'bob');
    await addByInvite(homes.bob, homes.alice, 'alice');
    const sent = await sottoJson<{ status: string }>(homes.alice, ['send', 'bob', 'hello over the LAN', '--wait', SEND_WAIT_S]);
    assert.equal(sent.status, 'delivered');
    assert.deepEqual(await history(homes.bob, 'alice'), ['hello over the LAN']);
  });

  test('a node switched off gets its mail from a LAN mailbox when it is back, with the sender gone', async () => {
    const [alice, bob] = nodes;
    assert.ok(alice && bob);
    assert.equal(await bob.stop(), 0);
    const sent = await sottoJson<{ status: string; mailboxes?: number }>(homes.alice, ['send', 'bob', 'while you were away', '--wait', SEND_WAIT_S]);
    assert.equal(sent.status, 'stored', `not stored: ${JSON.stringify(sent)}`);
    // The sender leaves too: only the other LAN nodes hold the mail now.
    assert.equal(await alice.stop(), 0);
    await start(homes.bob, 1, ['--lan', '--swarm-key', key]);
    await eventually(async () => (await history(homes.bob, 'alice')).includes('while you were away'), WAIT_MS, 'bob to fetch his mail from carol');
    assert.deepEqual(await history(homes.bob, 'alice'), ['hello over the LAN', 'while you were away']);
  });

  test('a node without the key is refused and learns nothing, even dialling a member directly', async () => {
    const carolPeerId = (await sottoJson<{ peerId: string }>(homes.carol, ['id'])).peerId;
    const before = await status(homes.carol);
    await start(homes.eve, 3, ['--lan', '--bootstrap', `/ip4/${lan.hosts[2]!.address}/tcp/${await carolPort()}/p2p/${carolPeerId}`]);
    await new Promise((r) => setTimeout(r, INTRUDER_TRIES_MS));
    const eve = await status(homes.eve);
    assert.deepEqual([eve.peers, eve.dhtPeers], [0, 0], 'the keyless node got a connection');
    assert.equal((await status(homes.carol)).peers, before.peers, 'a member accepted the keyless node');
    assert.equal((await sotto(homes.eve, ['contacts', 'add', 'carol', carolPeerId])).code, 0);
    const sent = await sottoJson<{ status: string }>(homes.eve, ['send', 'carol', 'let me in', '--wait', '3']);
    assert.equal(sent.status, 'queued');
    assert.deepEqual((await sottoJson<{ name: string }[]>(homes.carol, ['contacts', 'list'])).map((c) => c.name), [], 'carol heard from the keyless node');
  });

  /** Carol's TCP port on the LAN (from her listening addresses). */
  async function carolPort(): Promise<string> {
    const addresses = (await sottoJson<{ addresses: string[] }>(homes.carol, ['id'])).addresses;
    const tcpAddress = addresses.find((a) => a.startsWith(`/ip4/${lan.hosts[2]!.address}/tcp/`) && !a.includes('/ws'));
    assert.ok(tcpAddress, `carol lists no LAN TCP address: ${addresses.join(' ')}`);
    return tcpAddress.split('/')[4]!;
  }
});
