/**
 * Invites and verification through the `sotto` command, from separate
 * processes on loopback: alice's invite lets bob's node reach hers with no
 * bootstrap peer and no DHT; `verify` shows the safety number and marks the
 * contact verified; a tampered invite is a clear error.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertCliError, freePort, haveScript, type RunningNode, sotto, sottoOnTerminal, startNode, tempHome } from '../helpers/cli.ts';

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
after(async () => {
  for (const node of nodes) await node.kill().catch(() => {});
  for (const c of cleanup) await c();
});

/** Replaces the character at `index` of an invite with another base32 character. */
function tamper(invite: string, index: number): string {
  return invite.slice(0, index) + (invite[index] === 'A' ? 'B' : 'A') + invite.slice(index + 1);
}

test('an invite adds a reachable contact; verify marks it verified; a tampered invite is refused', { timeout: 120_000 }, async () => {
  const homeA = await tempHome('invite-a', cleanup);
  const homeB = await tempHome('invite-b', cleanup);
  const [initA, initB] = await Promise.all([sotto(homeA, ['init', '--name', 'alice']), sotto(homeB, ['init', '--name', 'bob'])]);
  assert.equal(initA.code, 0, initA.stderr);
  assert.equal(initB.code, 0, initB.stderr);
  const peerA = initA.stdout.trim();

  const portA = await freePort();
  const [nodeA, nodeB] = await Promise.all([startNode(homeA, ['--listen', `/ip4/127.0.0.1/tcp/${portA}`]), startNode(homeB, ['--listen', '/ip4/127.0.0.1/tcp/0'])]);
  nodes.push(nodeA, nodeB);

  // alice's invite holds her node's address; the human form adds a QR code.
  const [inviteJson, inviteHuman] = await Promise.all([sotto(homeA, ['invite', '--json']), sotto(homeA, ['invite'])]);
  assert.equal(inviteJson.code, 0, inviteJson.stderr);
  const parsed = JSON.parse(inviteJson.stdout) as { invite: string };
  assert.deepEqual(Object.keys(parsed), ['invite']);
  const invite = parsed.invite;
  assert.match(invite, /^SOTTO:[A-Z2-7]+$/);
  const humanLines = inviteHuman.stdout.trimEnd().split('\n');
  assert.match(humanLines[0]!, /^SOTTO:[A-Z2-7]+$/);
  assert.ok(humanLines.length > 20 && humanLines.length <= 30 && humanLines.slice(1).every((l) => /^[ █▀▄]+$/.test(l)), 'a QR code of half blocks that fits a terminal');

  // bob adds her from the invite alone: no peer id typed, no bootstrap peer shared.
  const added = await sotto(homeB, ['contacts', 'add', '--invite', invite]);
  assert.equal(added.stdout.trim(), `added alice ${peerA}`, added.stderr);
  const sent = await sotto(homeB, ['send', 'alice', 'found you through your invite']);
  assert.equal(sent.stdout.trim(), 'delivered', sent.stderr);

  // An invite is not verification; verify shows the number and marks it.
  const listed = JSON.parse((await sotto(homeB, ['contacts', 'list', '--json'])).stdout) as { name: string; verified: boolean }[];
  assert.deepEqual(listed.map((c) => [c.name, c.verified]), [['alice', false]]);
  if (await haveScript()) {
    const declined = await sottoOnTerminal(homeB, ['verify', 'alice', '--no-qr'], { prompt: /match on both devices\? \[y\/N\]/, typed: 'n' });
    assert.equal(declined.code, 1, declined.stdout);
    assert.match(declined.stdout, /safety number with alice:\r?\n(\d{5} ){3}\d{5}\r?\n/);
    assert.match(declined.stdout, /sotto: not confirmed: "alice" stays unverified/);
  }
  const verified = await sotto(homeB, ['verify', 'alice', '--yes', '--json']);
  assert.equal(verified.code, 0, verified.stderr);
  const result = JSON.parse(verified.stdout) as { name: string; safetyNumber: string; verified: boolean };
  assert.deepEqual(Object.keys(result), ['name', 'safetyNumber', 'verified']);
  assert.equal(result.name, 'alice');
  assert.equal(result.verified, true);
  assert.match(result.safetyNumber, /^(\d{5} ){11}\d{5}$/);
  const after = JSON.parse((await sotto(homeB, ['contacts', 'list', '--json'])).stdout) as { name: string; verified: boolean }[];
  assert.deepEqual(after.map((c) => [c.name, c.verified]), [['alice', true]]);

  // A changed character: a bad signature (or a bad field); a changed prefix; both are refused with a hint.
  const [forged, mangled] = await Promise.all([
    sotto(homeB, ['contacts', 'add', '--invite', tamper(invite, 60), 'mallory']),
    sotto(homeB, ['contacts', 'add', '--invite', `X${invite}`, 'mallory']),
  ]);
  assertCliError(forged, /invalid invite|bad signature/);
  assertCliError(mangled, /invalid invite: it does not start with SOTTO:/);
  // bob wrote to alice first: a request she accepts; without a terminal, verifying him needs --yes.
  const peerB = peerBOf(await sotto(homeB, ['id', '--json']));
  assert.equal((await sotto(homeA, ['requests', 'accept', peerB])).stdout.trim(), `accepted bob ${peerB}`);
  assertCliError(await sotto(homeA, ['verify', 'bob']), /not a terminal/);

  // SIGTERM reaches the node through the launcher (kill -9 in after() would leave it running a while).
  assert.deepEqual(await Promise.all([nodeA.stop(), nodeB.stop()]), [0, 0]);
});

function peerBOf(result: { stdout: string }): string {
  return (JSON.parse(result.stdout) as { peerId: string }).peerId;
}
