/**
 * Running a node in the background, end to end from separate processes on
 * loopback: `start --detach` returns with the node running, `status` shows
 * it, commands go through it, `stop` stops it and frees the database; a
 * failed detached start reports the child's own error; on a terminal the
 * passphrase is asked in the foreground and reaches the node neither on its
 * command line nor in its environment.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { processEnded } from '../../src/app/control/node-control.ts';
import { NOT_RUNNING_EXIT_STATUS } from '../../src/app/cli/commands/background.ts';
import { assertCliError, type CommandResult, detachedPid, eventually, haveScript, type RunningNode, sotto, sottoOnTerminal, startNode, tempHome, TEST_PASSPHRASE } from '../helpers/cli.ts';

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
const pids: number[] = [];
after(async () => {
  for (const pid of pids) if (!processEnded(pid)) process.kill(pid, 'SIGKILL');
  for (const node of nodes) await node.kill().catch(() => {});
  for (const c of cleanup) await c();
});

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0'];

/** `sotto start --detach`, remembering the child's pid for the cleanup. */
async function detach(home: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult & { pid: number | undefined }> {
  const result = await sotto(home, ['start', '--detach', ...args], env);
  const pid = detachedPid(result);
  if (pid !== undefined) pids.push(pid);
  return { ...result, pid };
}

interface StatusJson {
  running: boolean;
  pid: number;
  peerId: string;
  uptimeMs: number;
  addresses: string[];
  peers: number;
  dhtPeers: number;
  outbox: number;
  mailboxesReached: number | null;
  lastMailFetchAt: number | null;
  mailbox: { items: number; bytes: number; recipients: number; strangerBytes: number } | null;
  requests: number;
  forged: { direct: number; mailbox: number };
}

async function status(home: string): Promise<StatusJson> {
  const result = await sotto(home, ['status', '--json']);
  return JSON.parse(result.stdout) as StatusJson;
}

test('start --detach, status, commands through the detached node, stop', { timeout: 120_000 }, async () => {
  const homeA = await tempHome('bg-a', cleanup);
  const homeB = await tempHome('bg-b', cleanup);
  const peerA = (await sotto(homeA, ['init', '--name', 'alice'])).stdout.trim();
  const peerB = (await sotto(homeB, ['init', '--name', 'bob'])).stdout.trim();
  assert.equal((await sotto(homeA, ['contacts', 'add', 'bob', peerB])).code, 0);
  assert.equal((await sotto(homeB, ['contacts', 'add', 'alice', peerA])).code, 0);

  // start --detach prints what a foreground start prints, and returns.
  const started = await detach(homeA, [...LOOPBACK, '--mailbox']);
  assert.equal(started.code, 0, started.stderr);
  const lines = started.stdout.trim().split('\n');
  assert.equal(lines.at(-1), 'ready');
  const addresses = lines.slice(0, -1).map((l) => /^listening (\S+)$/.exec(l)![1]!);
  assert.equal(addresses.length, 1);
  assert.match(addresses[0]!, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${peerA}$`));
  assert.ok(started.pid !== undefined && !processEnded(started.pid), 'the node runs on after start --detach returned');
  const log = join(homeA, 'node.log');
  assert.equal(statSync(log).mode & 0o777, 0o600, 'the log is private');
  assert.match(readFileSync(log, 'utf8'), /^ready$/m);

  // status shows it.
  const first = await status(homeA);
  assert.equal(first.running, true);
  assert.equal(first.pid, started.pid);
  assert.equal(first.peerId, peerA);
  assert.deepEqual(first.addresses, addresses);
  assert.equal(first.peers, 0);
  assert.equal(first.dhtPeers, 0);
  assert.equal(first.outbox, 3, "alice's profile, mailbox pass and group key package for bob wait until he is reachable");
  assert.deepEqual(first.mailbox, { items: 0, bytes: 0, recipients: 0, strangerBytes: 0 });
  assert.equal(first.requests, 0);
  assert.deepEqual(first.forged, { direct: 0, mailbox: 0 });
  assert.ok(first.uptimeMs >= 0);
  const human = await sotto(homeA, ['status']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, new RegExp(`^running: pid ${started.pid}, up `, 'm'));
  assert.match(human.stdout, new RegExp(`^listening: ${addresses[0]}$`, 'm'));
  assert.match(human.stdout, /^mailbox: holding 0 items \(0 bytes\) for 0 peers, 0 bytes from strangers$/m);
  assert.match(human.stdout, /^message requests: 0 waiting \(sotto requests\)$/m);

  // One node per home.
  assertCliError(await detach(homeA, LOOPBACK), /already running/, /sotto stop/);

  // Commands go through the detached node: B joins through it, A sends.
  const nodeB = await startNode(homeB, [...LOOPBACK, '--bootstrap', addresses[0]!]);
  nodes.push(nodeB);
  const sent = await sotto(homeA, ['send', 'bob', 'from the background']);
  assert.equal(sent.stdout.trim(), 'delivered', sent.stderr);
  await eventually(async () => {
    const s = await status(homeA);
    return s.peers >= 1 && s.dhtPeers >= 1;
  }, 30_000, 'a peer connected and in the routing table');
  assert.equal((await status(homeA)).outbox, 0, 'delivered: nothing waits');

  // stop: the node closes its database, removes its socket and exits.
  const stopped = await sotto(homeA, ['stop']);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(stopped.stdout.trim(), 'stopped');
  assert.ok(!existsSync(join(homeA, 'control.sock')), 'the socket is gone');
  assert.ok(processEnded(started.pid), 'the process ended');
  const direct = await sotto(homeA, ['contacts', 'list', '--json']);
  assert.equal(direct.code, 0, `the database is free: ${direct.stderr}`);
  assert.deepEqual((JSON.parse(direct.stdout) as { name: string }[]).map((c) => c.name), ['bob']);

  // Nothing runs any more.
  assertCliError(await sotto(homeA, ['stop']), /no node is running/, /start --detach/);
  const notRunning = await sotto(homeA, ['status']);
  assert.equal(notRunning.code, NOT_RUNNING_EXIT_STATUS);
  assert.equal(notRunning.stdout.trim(), 'not running');
  const notRunningJson = await sotto(homeA, ['status', '--json']);
  assert.equal(notRunningJson.code, NOT_RUNNING_EXIT_STATUS);
  assert.deepEqual(JSON.parse(notRunningJson.stdout), { running: false });

  // stop works on a node started in the foreground too.
  assert.equal((await sotto(homeB, ['stop'])).stdout.trim(), 'stopped');
  await eventually(async () => nodeB.process.exitCode !== null, 10_000, 'the foreground node to exit');
  assert.equal(nodeB.process.exitCode, 0);
});

test('a detached start that fails reports the node\'s own error and leaves nothing running', { timeout: 60_000 }, async () => {
  const home = await tempHome('bg-fail', cleanup);
  assertCliError(await detach(home, LOOPBACK), /no identity yet/);
  assert.equal((await sotto(home, ['init', '--name', 'carol'])).code, 0);

  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => taken.close(() => resolve())));
  const port = (taken.address() as { port: number }).port;
  const failed = await detach(home, ['--listen', `/ip4/127.0.0.1/tcp/${port}`]);
  assertCliError(failed, /port is already in use/, /choose another port/);
  assert.equal(failed.pid, undefined);
  assert.equal((await sotto(home, ['status'])).code, NOT_RUNNING_EXIT_STATUS);
  assert.equal((await sotto(home, ['contacts', 'list'])).code, 0, 'the database is free');

  assertCliError(await detach(home, LOOPBACK, { SOTTO_PASSPHRASE: 'not the passphrase' }), /wrong passphrase/, /try again/);
  assert.equal((await sotto(home, ['status'])).code, NOT_RUNNING_EXIT_STATUS);
});

test('on a terminal the passphrase is asked in the foreground (again after a wrong one) and handed over out of sight', { timeout: 60_000, skip: !(await haveScript()) && 'needs util-linux script for a terminal' }, async () => {
  const home = await tempHome('bg-tty', cleanup);
  assert.equal((await sotto(home, ['init', '--name', 'dave'])).code, 0);
  const noEnv = { SOTTO_PASSPHRASE: undefined };

  // A wrong passphrase is asked again, three times in all; then the command gives up.
  const wrong = await sottoOnTerminal(home, ['start', '--detach', ...LOOPBACK], { prompt: /passphrase: /, typed: ['not the passphrase', 'still not it', 'nor this'] }, noEnv);
  assert.equal(wrong.code, 1);
  assert.equal(wrong.stdout.match(/wrong passphrase; try again/g)?.length, 2);
  assert.match(wrong.stdout, /sotto: wrong passphrase/);

  const started = await sottoOnTerminal(home, ['start', '--detach', ...LOOPBACK], { prompt: /passphrase: /, typed: ['not the passphrase', TEST_PASSPHRASE] }, noEnv);
  assert.equal(started.code, 0, started.stdout);
  assert.match(started.stdout, /wrong passphrase; try again/);
  assert.match(started.stdout, /^ready\r?$/m);
  const pid = detachedPid(started);
  assert.ok(pid !== undefined);
  pids.push(pid);
  assert.ok(!started.stdout.includes(TEST_PASSPHRASE), 'not echoed');
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
  assert.match(cmdline, /--passphrase-stdin/);
  assert.ok(!cmdline.includes(TEST_PASSPHRASE) && !environ.includes(TEST_PASSPHRASE), 'the passphrase is not on the command line nor in the environment');
  assert.equal((await status(home)).pid, pid);
  assert.equal((await sotto(home, ['stop'], noEnv)).stdout.trim(), 'stopped');
  assert.ok(processEnded(pid));
});
