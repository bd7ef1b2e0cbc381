/**
 * kill -9 of the receiver during a 1,000-message burst between two `sotto`
 * processes, then a restart: every message is delivered exactly once (none
 * lost, none doubled), and the session still works both ways.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { controlClient } from '../../src/app/control/client.ts';
import { eventually, freePort, sotto, startNode, tempHome, type RunningNode } from '../helpers/cli.ts';

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
after(async () => {
  for (const node of nodes) await node.kill().catch(() => {});
  for (const c of cleanup) await c();
});

const MESSAGES = 1_000;
/** The receiver dies after this many messages were handed to the sender. */
const KILL_AFTER = 300;

test('kill -9 of the receiver mid-burst: every message arrives exactly once', { timeout: 240_000 }, async () => {
  const homeA = await tempHome('crash-a', cleanup);
  const homeB = await tempHome('crash-b', cleanup);
  const peerA = (await sotto(homeA, ['init', '--name', 'sender', '--no-passphrase'])).stdout.trim();
  const peerB = (await sotto(homeB, ['init', '--name', 'receiver', '--no-passphrase'])).stdout.trim();
  await sotto(homeA, ['contacts', 'add', 'b', peerB]);
  await sotto(homeB, ['contacts', 'add', 'a', peerA]);
  const [portA, portB] = [await freePort(), await freePort()];
  const listenB = ['--listen', `/ip4/127.0.0.1/tcp/${portB}`];
  let nodeB = await startNode(homeB, listenB);
  nodes.push(nodeB);
  const nodeA = await startNode(homeA, ['--listen', `/ip4/127.0.0.1/tcp/${portA}`, '--bootstrap', nodeB.addresses[0]!]);
  nodes.push(nodeA);
  const a = controlClient(join(homeA, 'control.sock'));

  let deliveredBeforeKill = -1;
  for (let i = 0; i < MESSAGES; i++) {
    await a.send('b', `message ${i}`, 0);
    if (i === KILL_AFTER) {
      await nodeB.kill();
      deliveredBeforeKill = (await a.history('b')).filter((m) => m.status === 'delivered').length;
    }
  }
  assert.ok(deliveredBeforeKill > 0 && deliveredBeforeKill <= KILL_AFTER + 1, `the receiver died mid-burst (${deliveredBeforeKill} acked before)`);
  assert.ok((await a.history('b')).some((m) => m.status === 'queued'), 'messages were waiting while it was down');
  // The receiver comes back (same home, same port) and joins through the sender.
  nodeB = await startNode(homeB, [...listenB, '--bootstrap', nodeA.addresses[0]!]);
  nodes.push(nodeB);
  const b = controlClient(join(homeB, 'control.sock'));

  await eventually(async () => (await a.history('b')).every((m) => m.status === 'delivered' || m.status === 'read'), 180_000, 'every message acked');
  const received = (await b.history('a')).filter((m) => m.direction === 'in').map((m) => m.text);
  assert.equal(received.length, MESSAGES, 'none lost, none doubled');
  assert.deepEqual(new Set(received), new Set(Array.from({ length: MESSAGES }, (_, i) => `message ${i}`)));

  // The session survived: both directions still decrypt.
  assert.equal((await b.send('a', 'still there?', 10_000)).status, 'delivered');
  assert.equal((await a.send('b', 'yes', 10_000)).status, 'delivered');
  // The sender restarts too (a clean stop this time) and the conversation goes on.
  assert.equal(await nodeA.stop(), 0);
  const nodeA2 = await startNode(homeA, ['--listen', `/ip4/127.0.0.1/tcp/${portA}`, '--bootstrap', nodeB.addresses[0]!]);
  nodes.push(nodeA2);
  assert.equal((await a.send('b', 'back again', 10_000)).status, 'delivered');
  assert.equal((await b.send('a', 'welcome back', 10_000)).status, 'delivered');
  assert.equal((await b.history('a')).filter((m) => m.direction === 'in').length, MESSAGES + 2);
  assert.equal(await nodeA2.stop(), 0);
  assert.equal(await nodeB.stop(), 0);
});
