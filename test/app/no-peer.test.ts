/**
 * A start that tells the truth: a node that reaches no peer says so, and
 * what to do, instead of a bare "ready": `start --detach` prints the
 * warning before it returns, the foreground `start` prints it on stderr,
 * and `sotto status` shows it. Real `sotto` processes on loopback.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { detachedPid, eventually, freePort, sotto, startNode, tempHome, type CommandResult, type RunningNode } from '../helpers/cli.ts';

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0'];
/** How long a foreground node gets to print its warning. */
const WARNING_WAIT_MS = 30_000;

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
const homes: string[] = [];
after(async () => {
  for (const home of homes) await sotto(home, ['stop']).catch(() => undefined);
  for (const node of nodes) await node.stop().catch(() => {});
  for (const step of cleanup.reverse()) await step();
});

async function home(label: string): Promise<string> {
  const dir = await tempHome(label, cleanup);
  assert.equal((await sotto(dir, ['init', '--name', label])).code, 0);
  return dir;
}

async function detach(dir: string, args: string[]): Promise<CommandResult> {
  const result = await sotto(dir, ['start', '--detach', ...args]);
  if (detachedPid(result) !== undefined) homes.push(dir);
  assert.equal(result.code, 0, result.stderr);
  return result;
}

/** A bootstrap address where nobody listens: a free loopback port and a peer id nobody has. */
async function deadBootstrap(): Promise<string> {
  const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
  return `/ip4/127.0.0.1/tcp/${await freePort()}/p2p/${id.toString()}`;
}

test('start --detach with nothing to look through says so before it returns, with what to do', { timeout: 60_000 }, async () => {
  const dir = await home('alone');
  const started = await detach(dir, LOOPBACK);
  assert.match(started.stdout, /^ready$/m);
  const stderr = started.stderr.split('\n');
  const warning = stderr.findIndex((l) => l.startsWith('sotto: warning: no peer to reach: no bootstrap address, no peer remembered from an earlier run, and mDNS is off'));
  assert.ok(warning >= 0, started.stderr);
  assert.match(stderr[warning + 1]!, /^hint: add a peer with --bootstrap .*--mdns; others can join this node with --bootstrap \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/);
  assert.ok(warning < stderr.findIndex((l) => l.startsWith('started in the background')), 'printed before the command returned');
  const status = JSON.parse((await sotto(dir, ['status', '--json'])).stdout) as { network: { state: string } };
  assert.equal(status.network.state, 'no-sources');
  assert.match((await sotto(dir, ['status'])).stdout, /^network: no peer to reach .*sotto config set bootstrap/m);
});

test('start --detach with its bootstrap peer down says no peer is reachable, once the dials failed', { timeout: 60_000 }, async () => {
  const dir = await home('unreachable');
  const started = await detach(dir, [...LOOPBACK, '--bootstrap', await deadBootstrap()]);
  assert.match(started.stdout, /^ready$/m);
  assert.match(started.stderr, /^sotto: warning: no peer reachable after [\d.]+s \(tried 1 bootstrap peer\)$/m);
  assert.match(started.stderr, /^hint: check this machine's network connection, or add the address of a peer that is up \(sotto config set bootstrap MULTIADDR\); the node keeps trying/m);
  const status = JSON.parse((await sotto(dir, ['status', '--json'])).stdout) as { network: { state: string; sources: { bootstrap: number } } };
  assert.deepEqual([status.network.state, status.network.sources.bootstrap], ['unreachable', 1]);
});

test('a node that reaches its bootstrap peer prints no warning; the foreground start prints it on stderr when it does not', { timeout: 60_000 }, async () => {
  const alice = await startNode(await home('up'), LOOPBACK);
  nodes.push(alice);
  const bob = await detach(await home('joins'), [...LOOPBACK, '--bootstrap', alice.addresses[0]!]);
  assert.doesNotMatch(bob.stderr, /warning/);

  const carol = await startNode(await home('fore'), [...LOOPBACK, '--bootstrap', await deadBootstrap()]);
  nodes.push(carol);
  await eventually(async () => /^sotto: warning: no peer reachable/m.test(carol.output()), WARNING_WAIT_MS, 'the foreground node to print its warning');
  assert.match(carol.output(), /^ready$/m);
});
