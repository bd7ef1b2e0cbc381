/**
 * Offline messaging between separate `sotto` processes with nothing but
 * peers: A writes to B while B is away, A goes away too, B comes back and
 * reads the message from a mailbox peer. The mailbox's database files hold
 * no plaintext of it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, sotto, startNode, tempHome, type RunningNode } from '../helpers/cli.ts';

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
after(async () => {
  for (const node of nodes) await node.kill().catch(() => {});
  for (const c of cleanup) await c();
});

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0'];

async function start(home: string, args: string[]): Promise<RunningNode> {
  const node = await startNode(home, [...LOOPBACK, ...args]);
  nodes.push(node);
  return node;
}

/** Every byte of every file under `dir`, as text. */
async function readAll(dir: string): Promise<string> {
  let out = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out += (await readFile(join(entry.parentPath, entry.name))).toString('latin1');
  }
  return out;
}

test('A writes to an offline B through a mailbox peer; B reads it after A left', { timeout: 180_000 }, async () => {
  const [homeM, homeA, homeB] = [await tempHome('off-m', cleanup), await tempHome('off-a', cleanup), await tempHome('off-b', cleanup)];
  await sotto(homeM, ['init', '--name', 'mailbox', '--no-passphrase']);
  const peerA = (await sotto(homeA, ['init', '--name', 'alice', '--no-passphrase'])).stdout.trim();
  const peerB = (await sotto(homeB, ['init', '--name', 'bob', '--no-passphrase'])).stdout.trim();
  await sotto(homeA, ['contacts', 'add', 'bob', peerB]);
  await sotto(homeB, ['contacts', 'add', 'alice', peerA]);

  const mailbox = await start(homeM, ['--mailbox']);
  const viaMailbox = ['--bootstrap', mailbox.addresses[0]!];
  const nodeA = await start(homeA, viaMailbox);
  let nodeB = await start(homeB, viaMailbox);
  assert.equal((await sotto(homeA, ['send', 'bob', 'hello while we are both here'])).stdout.trim(), 'delivered');

  assert.equal(await nodeB.stop(), 0);
  const secret = 'the spare key is under the blue flower pot';
  const sent = await sotto(homeA, ['send', 'bob', secret, '--json']);
  const result = JSON.parse(sent.stdout) as { status: string; reason: string };
  assert.equal(result.status, 'stored', sent.stdout + sent.stderr);
  assert.match(result.reason, /held by 1 mailbox until/);
  const history = JSON.parse((await sotto(homeA, ['history', 'bob', '--json'])).stdout) as { text: string; status: string; mailboxes?: number; storedUntil?: number }[];
  const held = history.find((m) => m.text === secret)!;
  assert.equal(held.status, 'stored');
  assert.equal(held.mailboxes, 1);
  assert.ok(held.storedUntil! > Date.now());
  assert.equal(await nodeA.stop(), 0);

  nodeB = await start(homeB, viaMailbox);
  await eventually(async () => (JSON.parse((await sotto(homeB, ['history', 'alice', '--json'])).stdout) as { text: string }[]).some((m) => m.text === secret), 60_000, 'the held message');
  const got = JSON.parse((await sotto(homeB, ['history', 'alice', '--json'])).stdout) as { text: string; direction: string }[];
  assert.deepEqual(got.filter((m) => m.direction === 'in').map((m) => m.text), ['hello while we are both here', secret]);

  // The mailbox's own database files never held the text, nor who sent it.
  assert.equal(await mailbox.stop(), 0);
  const stored = await readAll(join(homeM, 'db'));
  assert.ok(stored.length > 0);
  assert.ok(!stored.includes(secret), 'no plaintext in the mailbox database files');
  assert.ok(!stored.includes(peerA), 'no sender identity in the mailbox database files');
  assert.equal(await nodeB.stop(), 0);
});
