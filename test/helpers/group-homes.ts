/**
 * Homes for group tests between real `sotto` processes on loopback: each
 * initialised, every pair contacts, all started with one mailbox peer as
 * bootstrap; and the `sotto group` commands read as JSON.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, sotto, startNode, tempHome, type CommandResult, type RunningNode } from './cli.ts';

/** Listen on loopback only. */
export const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0'];

/** One home of a group test. */
export interface GroupHome {
  readonly name: string;
  readonly home: string;
  readonly peerId: string;
  node: RunningNode | undefined;
}

/** One line of `sotto group history --json`. */
export interface HistoryLine {
  readonly id: string;
  readonly sender: string;
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly timestamp: number;
  readonly status: string;
}

/** Every running node and temporary folder of a test file, for `after`. */
export class GroupTestRun {
  readonly cleanup: (() => Promise<void>)[] = [];
  readonly nodes: RunningNode[] = [];
  mailbox: RunningNode | undefined;

  /** Starts the mailbox peer every home bootstraps from. */
  async startMailbox(): Promise<RunningNode> {
    const home = await tempHome('grp-m', this.cleanup);
    await sotto(home, ['init', '--name', 'mailbox', '--no-passphrase']);
    this.mailbox = await this.track(startNode(home, [...LOOPBACK, '--mailbox']));
    return this.mailbox;
  }

  /** Initialised homes named `names`, every pair of them contacts (not started). */
  async homes(...names: string[]): Promise<GroupHome[]> {
    const homes: GroupHome[] = [];
    for (const name of names) {
      const home = await tempHome(`grp-${name}`, this.cleanup);
      const init = await sotto(home, ['init', '--name', name, '--no-passphrase']);
      assert.equal(init.code, 0, init.stderr);
      homes.push({ name, home, peerId: init.stdout.trim(), node: undefined });
    }
    for (const a of homes) for (const b of homes) if (a !== b) assert.equal((await sotto(a.home, ['contacts', 'add', b.name, b.peerId])).code, 0);
    return homes;
  }

  /** Starts `home`'s node, bootstrapping from the mailbox peer. */
  async start(home: GroupHome): Promise<RunningNode> {
    home.node = await this.track(startNode(home.home, [...LOOPBACK, '--bootstrap', this.mailbox!.addresses[0]!]));
    return home.node;
  }

  /** Stops `home`'s node (SIGTERM) and asserts it exited cleanly. */
  async stop(home: GroupHome): Promise<void> {
    assert.equal(await home.node!.stop(), 0, home.node!.output());
    home.node = undefined;
  }

  private async track(starting: Promise<RunningNode>): Promise<RunningNode> {
    const node = await starting;
    this.nodes.push(node);
    return node;
  }

  /** Kills what still runs and removes the folders. */
  async close(): Promise<void> {
    for (const node of this.nodes) await node.kill().catch(() => {});
    for (const c of this.cleanup) await c();
  }
}

/** Runs `sotto group ...args` and asserts it succeeded. */
export async function group(home: GroupHome, args: readonly string[]): Promise<CommandResult> {
  const result = await sotto(home.home, ['group', ...args]);
  assert.equal(result.code, 0, `${home.name}: sotto group ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  return result;
}

/** `sotto group history NAME --json` of `home`. */
export async function historyOf(home: GroupHome, name: string): Promise<HistoryLine[]> {
  return JSON.parse((await group(home, ['history', name, '--json'])).stdout) as HistoryLine[];
}

/** The texts of `home`'s group history, in its order. */
export async function textsOf(home: GroupHome, name: string): Promise<string[]> {
  return (await historyOf(home, name)).map((m) => m.text);
}

/** Waits until `home`'s history of group `name` holds every text of `texts`. */
export async function waitForTexts(home: GroupHome, name: string, texts: readonly string[], timeoutMs: number): Promise<void> {
  let missing: readonly string[] = texts;
  await eventually(async () => {
    const have = new Set(await textsOf(home, name).catch(() => []));
    missing = texts.filter((t) => !have.has(t));
    return missing.length === 0;
  }, timeoutMs, `${home.name} to read ${texts.join(' | ')}`).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; still missing: ${missing.join(' | ')}`);
  });
}

/** Waits until `home` is in group `name` (its invitation joined). */
export async function waitForGroup(home: GroupHome, name: string, timeoutMs: number): Promise<void> {
  await eventually(async () => {
    const list = await sotto(home.home, ['group', 'list', '--json']);
    return list.code === 0 && (JSON.parse(list.stdout) as { name: string }[]).some((g) => g.name === name);
  }, timeoutMs, `${home.name} to join ${name}`);
}

/**
 * Waits until `home` counts `peerId` among the members of group `name` (or,
 * with `present` false, no longer does): a message it sends after that
 * belongs to the epoch after the change (one sent before it processed the
 * change belongs to the epoch before it).
 */
export async function waitForMember(home: GroupHome, name: string, peerId: string, timeoutMs: number, present = true): Promise<void> {
  await eventually(async () => {
    const list = await sotto(home.home, ['group', 'list', '--json']);
    const info = list.code === 0 ? (JSON.parse(list.stdout) as { name: string; members: { peerId: string }[] }[]).find((g) => g.name === name) : undefined;
    return info !== undefined && info.members.some((m) => m.peerId === peerId) === present;
  }, timeoutMs, `${home.name} to ${present ? 'count' : 'no longer count'} ${peerId} in ${name}`);
}

/**
 * Runs `sotto group ...args` until it succeeds (an add or create waits for
 * the contacts' key packages, which their nodes send once both are online);
 * returns its result.
 */
export async function groupWhenReady(home: GroupHome, args: readonly string[], timeoutMs: number): Promise<CommandResult> {
  let last: CommandResult | undefined;
  await eventually(async () => {
    last = await sotto(home.home, ['group', ...args]);
    if (last.code !== 0) assert.match(last.stderr, /key package|earlier member/, last.stderr);
    return last.code === 0;
  }, timeoutMs, `sotto group ${args.join(' ')} (last: ${last?.stderr ?? ''})`);
  return last!;
}

/** Every byte of every file under `dir`, as text (to look for plaintext). */
export async function readAll(dir: string): Promise<string> {
  let out = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out += (await readFile(join(entry.parentPath, entry.name))).toString('latin1');
  }
  return out;
}
