/**
 * A returning node finds its mail through the peers it remembers. Bob joins
 * through Alice; Carol, a mailbox, joins too; Bob stops; Alice sends (held
 * by Carol) and stops. Bob starts again with his usual --bootstrap (Alice,
 * now down): he dials Carol from his peer memory and fetches the message
 * from her. Real `sotto` processes on loopback (no mDNS: every node listens
 * on 127.0.0.1 only).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { addByInvite, eventually, sotto, sottoJson, startNode, tempHome, type RunningNode } from '../helpers/cli.ts';

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0'];
/** How long discovery, fetches and deliveries get before the test fails (a loaded 2-core machine). */
const WAIT_MS = 60_000;
/** How long `send` waits for custody receipts. */
const SEND_WAIT_S = '30';

interface Status {
  readonly peers: number;
  readonly mailboxesReached: number | null;
  readonly network: { readonly state: string; readonly sources: { readonly bootstrap: number; readonly remembered: number; readonly mdns: boolean } };
}

const status = (home: string): Promise<Status> => sottoJson<Status>(home, ['status']);

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
after(async () => {
  for (const node of nodes) await node.stop().catch(() => {});
  for (const step of cleanup.reverse()) await step();
});

async function start(home: string, args: string[]): Promise<RunningNode> {
  const node = await startNode(home, [...LOOPBACK, ...args]);
  nodes.push(node);
  return node;
}

test('a returning node gets its mail with its bootstrap peer down, through the peers it remembered', { timeout: 240_000 }, async () => {
  const homes = { alice: await tempHome('ret-alice', cleanup), bob: await tempHome('ret-bob', cleanup), carol: await tempHome('ret-carol', cleanup) };
  for (const [name, home] of Object.entries(homes)) assert.equal((await sotto(home, ['init', '--name', name])).code, 0);

  const alice = await start(homes.alice, []);
  const aliceAddress = alice.addresses[0]!;
  await start(homes.carol, ['--mailbox', '--bootstrap', aliceAddress]);
  const bob = await start(homes.bob, ['--bootstrap', aliceAddress]);
  await addByInvite(homes.alice, homes.bob, 'bob');
  await addByInvite(homes.bob, homes.alice, 'alice');
  // Bob's mail fetch reaches Carol (his mailbox), and he remembers Alice and Carol.
  await eventually(async () => {
    const s = await status(homes.bob);
    return (s.mailboxesReached ?? 0) >= 1 && s.network.sources.remembered >= 2;
  }, WAIT_MS, 'bob to fetch from carol and remember both peers');

  assert.equal(await bob.stop(), 0);
  const sent = await sottoJson<{ status: string; reason?: string }>(homes.alice, ['send', 'bob', 'while you were away', '--wait', SEND_WAIT_S]);
  assert.equal(sent.status, 'stored', `not stored: ${JSON.stringify(sent)}`);
  assert.equal(await alice.stop(), 0);

  // The same command line as before: its bootstrap peer is gone.
  const back = await start(homes.bob, ['--bootstrap', aliceAddress]);
  assert.match(back.output(), /^ready$/m);
  await eventually(async () => (await sottoJson<{ text: string }[]>(homes.bob, ['history', 'alice'])).some((m) => m.text === 'while you were away'), WAIT_MS, 'bob to fetch his mail from carol');
  const after = await status(homes.bob);
  assert.equal(after.network.state, 'connected');
  assert.ok(after.peers >= 1, 'connected to the remembered mailbox');
});
