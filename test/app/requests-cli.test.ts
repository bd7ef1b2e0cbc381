/**
 * `sotto requests` and `sotto delete` with real nodes on loopback: a
 * stranger's messages wait as a request (not among contacts), are shown on
 * demand, and the request is accepted under a name, or blocked (the
 * stranger's next send fails with "not accepted"); a conversation and one
 * message are deleted locally.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertCliError, sotto, startNode, tempHome, type RunningNode } from '../helpers/cli.ts';

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
after(async () => {
  for (const node of nodes) await node.kill().catch(() => {});
  for (const c of cleanup) await c();
});

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0'];

interface Line {
  peerId: string;
  claimedName: string | null;
  messages: number;
}

test('requests: list, show, accept under a name, block; delete a message and a conversation', { timeout: 180_000 }, async () => {
  const [homeA, homeB, homeC] = [await tempHome('req-a', cleanup), await tempHome('req-b', cleanup), await tempHome('req-c', cleanup)];
  const peerA = (await sotto(homeA, ['init', '--name', 'alice', '--no-passphrase'])).stdout.trim();
  const peerB = (await sotto(homeB, ['init', '--name', 'bob', '--no-passphrase'])).stdout.trim();
  const peerC = (await sotto(homeC, ['init', '--name', 'carol', '--no-passphrase'])).stdout.trim();
  const nodeA = await startNode(homeA, LOOPBACK);
  nodes.push(nodeA);
  for (const home of [homeB, homeC]) nodes.push(await startNode(home, [...LOOPBACK, '--bootstrap', nodeA.addresses[0]!]));
  await sotto(homeB, ['contacts', 'add', 'alice', peerA]);
  await sotto(homeC, ['contacts', 'add', 'alice', peerA]);
  assert.equal((await sotto(homeB, ['send', 'alice', 'hi alice, it is bob from the office'])).stdout.trim(), 'delivered');
  assert.equal((await sotto(homeC, ['send', 'alice', 'cheap watches'])).stdout.trim(), 'delivered');

  assert.deepEqual(JSON.parse((await sotto(homeA, ['contacts', 'list', '--json'])).stdout), [], 'strangers are not contacts');
  const requests = JSON.parse((await sotto(homeA, ['requests', '--json'])).stdout) as Line[];
  assert.deepEqual(
    requests.map((r) => [r.peerId, r.claimedName, r.messages]).sort(),
    [
      [peerB, 'bob', 1],
      [peerC, 'carol', 1],
    ].sort(),
  );
  const human = (await sotto(homeA, ['requests'])).stdout;
  assert.match(human, new RegExp(`${peerB}\tsays it is "bob" \\(unverified\\)\t1 message`));
  assert.match((await sotto(homeA, ['requests', 'show', peerB])).stdout, /< hi alice, it is bob from the office {2}\[received\]/);

  const accepted = await sotto(homeA, ['requests', 'accept', peerB, 'bob-office']);
  assert.equal(accepted.stdout.trim(), `accepted bob-office ${peerB}`);
  assert.deepEqual(
    (JSON.parse((await sotto(homeA, ['history', 'bob-office', '--json'])).stdout) as { text: string }[]).map((m) => m.text),
    ['hi alice, it is bob from the office'],
  );
  assert.equal((await sotto(homeA, ['send', 'bob-office', 'welcome'])).stdout.trim(), 'delivered');

  assert.equal((await sotto(homeA, ['requests', 'block', peerC])).stdout.trim(), `blocked ${peerC}`);
  assert.deepEqual(JSON.parse((await sotto(homeA, ['requests', '--json'])).stdout), []);
  const refused = JSON.parse((await sotto(homeC, ['send', 'alice', 'cheap watches again', '--json'])).stdout) as { status: string; reason: string };
  assert.deepEqual([refused.status, refused.reason], ['failed', 'not accepted']);
  assert.match((await sotto(homeC, ['history', 'alice'])).stdout, /> cheap watches again {2}\[failed: not accepted\]/);
  assertCliError(await sotto(homeA, ['requests', 'accept', peerC]), /no message request from/);

  const history = JSON.parse((await sotto(homeA, ['history', 'bob-office', '--json'])).stdout) as { id: string; text: string }[];
  assert.equal((await sotto(homeA, ['delete', 'bob-office', '--message', history[0]!.id])).stdout.trim(), 'deleted 1 message');
  assert.deepEqual(
    (JSON.parse((await sotto(homeA, ['history', 'bob-office', '--json'])).stdout) as { text: string }[]).map((m) => m.text),
    ['welcome'],
  );
  assert.equal((await sotto(homeA, ['delete', 'bob-office'])).stdout.trim(), 'deleted 1 message');
  assert.deepEqual(JSON.parse((await sotto(homeA, ['history', 'bob-office', '--json'])).stdout), []);
  assertCliError(await sotto(homeA, ['delete', 'nobody']), /nobody/);
});
