/**
 * The `sotto` command-line contract, end to end, from separate processes on
 * loopback: init, id, start, contacts, send, history, with and without a
 * node running on the home, and the error format.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCliError, eventually, freePort, type RunningNode, sotto, startNode, tempHome } from '../helpers/cli.ts';

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
after(async () => {
  for (const node of nodes) await node.kill().catch(() => {});
  for (const c of cleanup) await c();
});

const PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/;

test('the CLI contract between two homes, with and without running nodes', { timeout: 120_000 }, async () => {
  const homeA = await tempHome('cli-a', cleanup);
  const homeB = await tempHome('cli-b', cleanup);

  // init prints the peer id and never overwrites an identity.
  const initA = await sotto(homeA, ['init', '--name', 'alice']);
  assert.equal(initA.code, 0, initA.stderr);
  const peerA = initA.stdout.trim();
  assert.match(peerA, PEER_ID);
  const peerB = (await sotto(homeB, ['init', '--name', 'bob'])).stdout.trim();
  assertCliError(await sotto(homeA, ['init']), /already has an identity/);

  // Commands on a home without a node work on its database.
  const idA = JSON.parse((await sotto(homeA, ['id', '--json'])).stdout) as { peerId: string; name: string; addresses: string[]; safetyNumber: string };
  assert.deepEqual(Object.keys(idA).sort(), ['addresses', 'name', 'peerId', 'safetyNumber']);
  assert.equal(idA.peerId, peerA);
  assert.equal(idA.name, 'alice');
  assert.deepEqual(idA.addresses, []);
  assert.match(idA.safetyNumber, /^(\d{5} ){5}\d{5}$/);
  assert.equal((await sotto(homeA, ['contacts', 'add', 'bob', peerB])).code, 0);
  assertCliError(await sotto(homeA, ['contacts', 'add', 'carol', 'not-a-peer-id']), /invalid peer id "not-a-peer-id"/);
  assertCliError(await sotto(homeA, ['send', 'nobody', 'hi']), /no contact named "nobody"/);
  assertCliError(await sotto(await tempHome('cli-empty', cleanup), ['history', 'bob']), /no identity yet/);
  const offline = await sotto(homeA, ['send', 'bob', 'written while no node ran']);
  assert.equal(offline.code, 0);
  assert.match(offline.stdout, /^queued: no node is running on this home/);

  // Start both nodes; B joins through A.
  const portA = await freePort();
  const nodeA = await startNode(homeA, ['--listen', `/ip4/127.0.0.1/tcp/${portA}`]);
  nodes.push(nodeA);
  assert.deepEqual(nodeA.addresses, [`/ip4/127.0.0.1/tcp/${portA}/p2p/${peerA}`]);
  assertCliError(await sotto(homeA, ['start', '--listen', '/ip4/127.0.0.1/tcp/0']), /already running/);
  assertCliError(await sotto(homeB, ['start', '--listen', `/ip4/127.0.0.1/tcp/${portA}`]), /port is already in use/);
  const nodeB = await startNode(homeB, ['--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', nodeA.addresses[0]!]);
  nodes.push(nodeB);

  // With nodes running, the commands go through the control socket.
  const idRunning = JSON.parse((await sotto(homeA, ['id', '--json'])).stdout) as { addresses: string[] };
  assert.deepEqual(idRunning.addresses, nodeA.addresses);
  assert.equal((await sotto(homeB, ['contacts', 'add', 'alice', peerA])).code, 0);
  const contacts = JSON.parse((await sotto(homeB, ['contacts', 'list', '--json'])).stdout) as { name: string; peerId: string }[];
  assert.deepEqual(contacts.map((c) => [c.name, c.peerId]), [['alice', peerA]]);

  const sent = await sotto(homeA, ['send', 'bob', 'hello bob']);
  assert.equal(sent.stdout.trim(), 'delivered', sent.stderr);
  const reply = JSON.parse((await sotto(homeB, ['send', 'alice', 'hi alice', '--json'])).stdout) as { id: string; status: string };
  assert.equal(reply.status, 'delivered');
  assert.match(reply.id, /^[0-9a-f]{32}$/);

  // The message written while no node ran was delivered too, once.
  await eventually(async () => (JSON.parse((await sotto(homeB, ['history', 'alice', '--json'])).stdout) as unknown[]).length === 3, 30_000, 'the queued message');
  const historyB = JSON.parse((await sotto(homeB, ['history', 'alice', '--json'])).stdout) as { id: string; direction: string; text: string; timestamp: number; status: string }[];
  assert.deepEqual(Object.keys(historyB[0]!).sort(), ['direction', 'id', 'seq', 'status', 'text', 'timestamp']);
  assert.deepEqual(
    historyB.map((m) => [m.direction, m.text]).sort(),
    [
      ['in', 'hello bob'],
      ['in', 'written while no node ran'],
      ['out', 'hi alice'],
    ].sort(),
  );
  // B read the conversation: A sees its messages read.
  await eventually(
    async () => (JSON.parse((await sotto(homeA, ['history', 'bob', '--json'])).stdout) as { direction: string; status: string }[]).filter((m) => m.direction === 'out').every((m) => m.status === 'read'),
    30_000,
    'read receipts',
  );

  // SIGTERM stops a node cleanly; its home works offline again.
  assert.equal(await nodeB.stop(), 0);
  const afterStop = await sotto(homeB, ['history', 'alice', '--json']);
  assert.equal(afterStop.code, 0, afterStop.stderr);
  const queued = await sotto(homeA, ['send', 'bob', 'bob is away', '--wait', '1']);
  assert.match(queued.stdout, /^(queued|stored): /);
  assert.equal(await nodeA.stop(), 0);

  // The home is encrypted at rest: its files hold no text and no contact's peer id.
  const files = await readAll(join(homeA, 'db'));
  assert.ok(files.length > 0);
  for (const secret of ['hello bob', 'hi alice', 'written while no node ran', peerB]) assert.ok(!files.includes(secret), `"${secret}" is not in the files`);
  // A wrong passphrase is a clear error; a new one works and the old one no longer does.
  assertCliError(await sotto(homeA, ['history', 'bob'], { SOTTO_PASSPHRASE: 'not the passphrase' }), /wrong passphrase/);
  const changed = await sotto(homeA, ['passphrase'], { SOTTO_NEW_PASSPHRASE: 'a brand new passphrase' });
  assert.equal(changed.stdout.trim(), 'passphrase changed', changed.stderr);
  assertCliError(await sotto(homeA, ['history', 'bob']), /wrong passphrase/);
  const withNew = await sotto(homeA, ['history', 'bob', '--json'], { SOTTO_PASSPHRASE: 'a brand new passphrase' });
  assert.equal(withNew.code, 0, withNew.stderr);
  assert.ok((JSON.parse(withNew.stdout) as { text: string }[]).some((m) => m.text === 'hello bob'));
});

/** Every byte of every file under `dir`, as text. */
async function readAll(dir: string): Promise<string> {
  let out = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out += (await readFile(join(entry.parentPath, entry.name))).toString('latin1');
  }
  return out;
}
