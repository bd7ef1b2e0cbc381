/**
 * The command line's rough edges (issue 13): usage errors in the
 * "sotto:"/"hint:" format, homes that cannot be used named with what to do
 * (under a file, without an identity, half-made by an older Sotto, started
 * over only on request), `send` taking its text from stdin within the
 * message limit, `send --help` showing what send prints, and counts that
 * agree in number.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_TEXT_BYTES } from '../../src/node/constants.ts';
import { openLevelStore } from '../../src/node/store/level.ts';
import { archiveCounts } from '../../src/app/cli/commands/backup.ts';
import { historyText } from '../../src/app/cli/commands/messages.ts';
import { formatNodeStatus, type NodeStatus } from '../../src/app/node-status.ts';
import { count } from '../../src/app/plural.ts';
import { assertCliError, haveScript, sotto, sottoOnTerminal, startNode, tempHome, TEST_PASSPHRASE, type CommandResult } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'sotto.js');
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

/**
 * Runs `sotto --home HOME ...args` with `input` on its stdin. With `keepOpen`, stdin is
 * never closed: the command must finish without reading to its end.
 */
function sottoWithStdin(home: string, args: readonly string[], input: Buffer, keepOpen = false): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--home', home, ...args], { cwd: ROOT, env: { ...process.env, SOTTO_PASSPHRASE: TEST_PASSPHRASE }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => {}); // the command stopped reading: what is left is refused, as it should be
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.write(input);
    if (!keepOpen) child.stdin.end();
  });
}

/** Two homes: alice's, with bob as a contact. */
async function aliceAndBob(label: string): Promise<{ alice: string; bob: string; bobPeerId: string }> {
  const alice = await tempHome(`${label}-alice`, cleanup);
  const bob = await tempHome(`${label}-bob`, cleanup);
  assert.equal((await sotto(alice, ['init', '--name', 'alice'])).code, 0);
  const bobPeerId = (await sotto(bob, ['init', '--name', 'bob'])).stdout.trim();
  assert.equal((await sotto(alice, ['contacts', 'add', 'bob', bobPeerId])).code, 0);
  return { alice, bob, bobPeerId };
}

/** The texts of alice's conversation with bob, oldest first. */
async function texts(alice: string): Promise<string[]> {
  const history = await sotto(alice, ['history', 'bob', '--json']);
  assert.equal(history.code, 0, history.stderr);
  return (JSON.parse(history.stdout) as { text: string }[]).map((m) => m.text);
}

test('usage errors are one "sotto:" line and one "hint:" line naming the help to read, exit status 1', { timeout: 60_000 }, async () => {
  const home = await tempHome('usage', cleanup);
  const cases: [string[], RegExp, RegExp][] = [
    [['bogus'], /^sotto: unknown command 'bogus'$/, /^hint: run "sotto --help" for usage$/],
    [['inti', '--name', 'x'], /^sotto: unknown command 'inti' \(Did you mean init\?\)$/, /"sotto --help"/],
    [['send'], /^sotto: missing required argument 'name'$/, /^hint: run "sotto send --help" for usage$/],
    [['id', 'extra'], /too many arguments for 'id'/, /"sotto id --help"/],
    [['contacts', 'add', 'bob', '12D3KooW', '--frob'], /^sotto: unknown option '--frob'$/, /"sotto contacts add --help"/],
    [['send', 'bob', 'hi', '--wait'], /^sotto: option '--wait <seconds>' argument missing$/, /"sotto send --help"/],
    [['--bogus'], /^sotto: unknown option '--bogus'$/, /"sotto --help"/],
  ];
  for (const [args, message, hint] of cases) {
    const result = await sotto(home, args);
    assertCliError(result, message, hint);
    assert.equal(result.stderr.trim().split('\n').length, 2, `only the two lines for ${args.join(' ')}:\n${result.stderr}`);
    assert.equal(result.stdout, '');
  }
  const help = await sotto(home, ['send', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: sotto send /);
  const version = await sotto(home, ['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('a home under a file is refused naming the file, and a home without an identity is named', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-file-home-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'notes.txt');
  await writeFile(file, 'not a folder');
  for (const args of [['id'], ['init', '--name', 'alice', '--no-passphrase'], ['status']]) {
    assertCliError(await sotto(join(file, 'home'), args), new RegExp(`^sotto: refusing the home ${file}/home: ${file} is not a folder$`), /choose another with --home DIR/);
    assertCliError(await sotto(file, args), new RegExp(`^sotto: refusing the home: ${file} is not a folder$`));
  }
  const empty = await tempHome('nameless', cleanup);
  assertCliError(await sotto(empty, ['contacts', 'list']), new RegExp(`^sotto: the home ${empty} has no identity yet$`), /"sotto" on a terminal \(or "sotto init --name YOUR_NAME"\)/);
});

test('a half-made home is named by every command, refused by a scripted init, started over by init --start-over, and an identity is never deleted', { timeout: 60_000 }, async () => {
  const home = await tempHome('half-made', cleanup);
  // What an older first run left after a mistake at the passphrase prompt, once the next start had written into it.
  await (await openLevelStore(join(home, 'db'))).close();
  const halfMade = new RegExp(`^sotto: ${join(home, 'db')} holds no identity: an earlier first run or "sotto init" stopped half-way and left it$`);
  for (const args of [['id'], ['start', '--listen', '/ip4/127.0.0.1/tcp/0'], ['send', 'bob', 'hi'], ['passphrase'], ['init', '--name', 'alice']]) {
    assertCliError(await sotto(home, args), halfMade, /start over with "sotto init --start-over"/);
  }
  const started = await sotto(home, ['init', '--name', 'alice', '--start-over']);
  assert.equal(started.code, 0, started.stderr);
  const peerId = started.stdout.trim();
  const id = JSON.parse((await sotto(home, ['id', '--json'])).stdout) as { peerId: string; name: string };
  assert.deepEqual([id.peerId, id.name], [peerId, 'alice']);

  assertCliError(await sotto(home, ['init', '--name', 'mallory', '--start-over']), /already has an identity/, /--start-over replaces only a half-made home/);
  assert.equal((JSON.parse((await sotto(home, ['id', '--json'])).stdout) as { peerId: string }).peerId, peerId);
});

test('import into a half-made home is refused without --start-over and restores into it with it, creating nothing on a refusal', { timeout: 90_000 }, async () => {
  const archiveEnv = { SOTTO_BACKUP_PASSPHRASE: 'the archive passphrase' };
  const alice = await tempHome('import-alice', cleanup);
  const peerId = (await sotto(alice, ['init', '--name', 'alice'])).stdout.trim();
  const file = join(alice, '..', 'alice.sottobak');
  assert.equal((await sotto(alice, ['export', file], archiveEnv)).code, 0);

  const home = await tempHome('import-half-made', cleanup);
  await (await openLevelStore(join(home, 'db'))).close();
  assertCliError(await sotto(home, ['import', file], archiveEnv), /holds no identity/, /"sotto import FILE --start-over"/);
  assert.deepEqual(await readdir(home), ['db']);
  const restored = await sotto(home, ['import', file, '--start-over'], archiveEnv);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(restored.stdout.trim(), peerId);
  assert.equal((JSON.parse((await sotto(home, ['id', '--json'])).stdout) as { peerId: string }).peerId, peerId);
  // files/ is the home's file store, which every command on a home opens.
  assert.deepEqual((await readdir(home)).filter((name) => name !== 'files'), ['db'], 'no staging or discarded folder is left');
});

test('send reads the text from stdin with "-", or without TEXT when stdin is not a terminal, dropping one final newline', { timeout: 60_000 }, async () => {
  const { alice } = await aliceAndBob('stdin');
  const dash = await sottoWithStdin(alice, ['send', 'bob', '-'], Buffer.from('first line\nsecond line\n'));
  assert.equal(dash.code, 0, dash.stderr);
  assert.match(dash.stdout, /^queued: no node is running on this home/);
  assert.equal((await sottoWithStdin(alice, ['send', 'bob'], Buffer.from('no dash\r\n'))).code, 0);
  const longest = 'é'.repeat(MAX_TEXT_BYTES / 2);
  const atLimit = await sottoWithStdin(alice, ['send', 'bob', '-', '--json'], Buffer.from(`${longest}\n`));
  assert.equal(atLimit.code, 0, atLimit.stderr);
  assert.deepEqual(await texts(alice), ['first line\nsecond line', 'no dash', longest]);

  assertCliError(await sottoWithStdin(alice, ['send', 'bob', '-'], Buffer.from([0x68, 0x69, 0xff])), /the text on stdin is not UTF-8/, /1 to 61,440 bytes/);
});

test('send refuses more text on stdin than a message holds as soon as it arrives, without waiting for the end', { timeout: 60_000 }, async () => {
  const { alice } = await aliceAndBob('stdin-long');
  // A megabyte on a stdin that is never closed: the command can only finish by refusing it early.
  const result = await sottoWithStdin(alice, ['send', 'bob', '-'], Buffer.alloc(1024 * 1024, 'x'), true);
  assertCliError(result, new RegExp(`^sotto: invalid message: the text on stdin is longer than ${MAX_TEXT_BYTES} bytes, the most a message holds$`), /1 to 61,440 bytes/);
  assert.deepEqual(await texts(alice), []);
});

test('send with no TEXT on a terminal says how to give it', { timeout: 60_000 }, async (t) => {
  if (!(await haveScript())) return t.skip('needs util-linux script for a terminal');
  const { alice } = await aliceAndBob('stdin-tty');
  const result = await sottoOnTerminal(alice, ['send', 'bob'], { prompt: /(?!)/, typed: '' });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /sotto: send needs the text: sotto send NAME TEXT, or sotto send NAME - with the text on stdin/);
  assert.match(result.stdout, /hint: run "sotto send --help" for usage/);
});

test("the reason in send --help's example is the one send prints", { timeout: 90_000 }, async () => {
  const { alice } = await aliceAndBob('send-help');
  const help = (await sotto(alice, ['send', '--help'])).stdout;
  const example = /\$ sotto send carol "hi" --wait 0 --json\n\s*(\{.*\})/.exec(help);
  assert.ok(example, help);
  const shown = JSON.parse(example[1]!) as { status: string; reason: string };

  const node = await startNode(alice, ['--listen', '/ip4/127.0.0.1/tcp/0']);
  cleanup.push(async () => void (await node.stop()));
  // The example's options, to a contact of this home, with a node running (as the example's reason says).
  const sent = await sotto(alice, ['send', 'bob', 'hi', '--wait', '0', '--json']);
  assert.equal(sent.code, 0, sent.stderr);
  const printed = JSON.parse(sent.stdout) as { status: string; reason: string };
  assert.deepEqual({ status: printed.status, reason: printed.reason }, { status: shown.status, reason: shown.reason });
  // And the stored line as send prints it (src/node/messaging/courier.ts): "stored: held by N mailboxes until T".
  assert.match(help.replace(/\s+/g, ' '), /"stored: held by N mailboxes until T"/);
});

test('counts in human output agree in number', () => {
  assert.equal(count(1, 'contact'), '1 contact');
  assert.equal(count(0, 'contact'), '0 contacts');
  assert.equal(count(1, 'mailbox', 'mailboxes'), '1 mailbox');
  assert.equal(archiveCounts({ contacts: 1, sessions: 1, messages: 1 }), '1 contact, 1 session, 1 message');
  assert.equal(archiveCounts({ contacts: 2, sessions: 0, messages: 12 }), '2 contacts, 0 sessions, 12 messages');
  const stored = historyText({ id: 'x', seq: 1, direction: 'out', text: 'hi', timestamp: 0, status: 'stored', mailboxes: 1, storedUntil: 0 });
  assert.match(stored, /\[stored by 1 mailbox until 1970-01-01T00:00:00\.000Z\]$/);
  const status: NodeStatus = {
    running: true,
    pid: 1,
    peerId: '12D3KooW',
    startedAt: 0,
    uptimeMs: 0,
    addresses: [],
    peers: 1,
    network: { state: 'connected', sources: { bootstrap: 1, remembered: 1, mdns: false } },
    connections: [{ peerId: '12D3KooWB', address: '/ip4/11.77.0.1/tcp/4001/p2p/12D3KooWR/p2p-circuit/p2p/12D3KooWB', relayed: true }],
    reachable: false,
    relays: ['12D3KooWR'],
    webrtcUpgrades: { upgraded: 0, failed: 0, trying: [], resting: [] },
    dhtPeers: 1,
    outbox: 0,
    mailboxesReached: null,
    lastMailFetchAt: null,
    mailbox: { items: 1, bytes: 1, recipients: 1, strangerBytes: 1 },
    requests: 0,
    forged: { direct: 0, mailbox: 0 },
    otherVersions: [],
    files: { served: { chunks: 0, files: {} } },
  };
  const lines = formatNodeStatus(status, 0);
  assert.ok(lines.includes('dht routing table: 1 peer'), lines.join('\n'));
  assert.ok(lines.includes('network: connected (1 bootstrap address, 1 remembered peer, mDNS off)'), lines.join('\n'));
  assert.ok(lines.includes('reachable: through 1 relay'), lines.join('\n'));
  assert.ok(lines.includes('peers connected: 1 (1 through a relay)'), lines.join('\n'));
  assert.ok(lines.includes('mailbox: holding 1 item (1 byte) for 1 peer, 1 byte from strangers'), lines.join('\n'));
  assert.ok(!lines.some((l) => l.startsWith('file chunks served')), 'no file line before a chunk is served');
  const serving = formatNodeStatus({ ...status, files: { served: { chunks: 9, files: { ab: { chunks: 9, peers: { p: 8 } } } } } }, 0);
  assert.ok(serving.includes('file chunks served: 9 since start, of 1 file'), serving.join('\n'));
  // Envelopes of another protocol version (PROTOCOL §9): who must upgrade.
  const versions = formatNodeStatus({ ...status, otherVersions: [{ peerId: '12D3KooWOld', version: 1 }, { peerId: '12D3KooWNew', version: 3 }] }, 0);
  assert.ok(versions.includes('12D3KooWOld sent protocol version 1, this Sotto speaks 2: they must upgrade Sotto (their messages were dropped)'), versions.join('\n'));
  assert.ok(versions.includes('12D3KooWNew sent protocol version 3, this Sotto speaks 2: upgrade Sotto (their messages were dropped)'), versions.join('\n'));
});
