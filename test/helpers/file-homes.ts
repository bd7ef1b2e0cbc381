/**
 * Homes for file tests between real `sotto` processes on loopback: two (or
 * more) started nodes that are contacts through invites, files of random
 * bytes, and what `history --json` and `status --json` say about a file.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { addByInvite, eventually, sotto, startNode, tempHome, type RunningNode } from './cli.ts';

/** Listen on loopback only. */
export const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0'];

/** A history line's file, as `history --json` prints it. */
export interface FileLineJson {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly type: string;
  readonly state: 'pending' | 'partial' | 'complete' | 'failed';
  readonly received?: number;
  readonly reason?: string;
}

/** One line of `history --json` (1:1 or group). */
export interface HistoryJson {
  readonly id: string;
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly status: string;
  readonly file?: FileLineJson;
}

/** One home of a file test; `node` while it runs. */
export interface FileHome {
  readonly name: string;
  readonly home: string;
  readonly peerId: string;
  node: RunningNode | undefined;
}

/** Every node and folder of a test file, for `after`. */
export class FileTestRun {
  readonly cleanup: (() => Promise<void>)[] = [];
  private readonly nodes: RunningNode[] = [];
  private readonly ports = new Map<string, number>();

  /** An initialised home (no passphrase), not started. */
  async home(name: string): Promise<FileHome> {
    const home = await tempHome(`file-${name}`, this.cleanup);
    const init = await sotto(home, ['init', '--name', name, '--no-passphrase']);
    assert.equal(init.code, 0, init.stderr);
    return { name, home, peerId: init.stdout.trim(), node: undefined };
  }

  /**
   * Starts `home`'s node on loopback with `args`; a restart listens on the
   * port of the first start, where its contacts (which learnt it from its
   * invite) find it again.
   */
  async start(home: FileHome, args: readonly string[] = []): Promise<RunningNode> {
    const port = this.ports.get(home.home);
    home.node = await startNode(home.home, [...(port === undefined ? LOOPBACK : ['--listen', `/ip4/127.0.0.1/tcp/${port}`]), ...args]);
    const bound = /\/tcp\/(\d+)\//.exec(home.node.addresses[0] ?? '');
    if (bound) this.ports.set(home.home, Number(bound[1]));
    this.nodes.push(home.node);
    return home.node;
  }

  /** kill -9 of `home`'s node. */
  async kill(home: FileHome): Promise<void> {
    await home.node!.kill();
    home.node = undefined;
  }

  /** Stops `home`'s node (SIGTERM) and asserts a clean exit. */
  async stop(home: FileHome): Promise<void> {
    assert.equal(await home.node!.stop(), 0, home.node!.output());
    home.node = undefined;
  }

  /** Homes named `names`, started (with `args`), every pair contacts through invites. */
  async contacts(names: readonly string[], args: readonly string[] = []): Promise<FileHome[]> {
    const homes: FileHome[] = [];
    for (const name of names) {
      const home = await this.home(name);
      await this.start(home, args);
      homes.push(home);
    }
    for (const a of homes) for (const b of homes) if (a !== b) await addByInvite(a.home, b.home, b.name);
    return homes;
  }

  /** A file of `bytes` random bytes named `name` in a temporary folder; returns its path and SHA-256 (hex). */
  async randomFile(name: string, bytes: number): Promise<{ path: string; sha256: string }> {
    const dir = dirname(await tempHome(`file-src`, this.cleanup));
    const path = join(dir, name);
    const hash = createHash('sha256');
    const out = await open(path, 'w');
    const piece = 4 * 1024 * 1024;
    for (let at = 0; at < bytes; at += piece) {
      const chunk = randomBytes(Math.min(piece, bytes - at));
      hash.update(chunk);
      await out.write(chunk);
    }
    await out.close();
    return { path, sha256: hash.digest('hex') };
  }

  /** A fresh temporary folder. */
  async folder(label: string): Promise<string> {
    return dirname(await tempHome(label, this.cleanup));
  }

  /** Kills what still runs and removes the folders. */
  async close(): Promise<void> {
    for (const node of this.nodes) await node.kill().catch(() => {});
    for (const c of this.cleanup) await c();
  }
}

/** The SHA-256 (hex) of the file at `path`, streamed. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `sotto history CONTACT --json` of `home` (`group history` when `group`). */
export async function historyJson(home: FileHome, contact: string, group = false): Promise<HistoryJson[]> {
  const result = await sotto(home.home, group ? ['group', 'history', contact, '--json'] : ['history', contact, '--json']);
  assert.equal(result.code, 0, `${home.name}: history ${contact}: ${result.stderr}`);
  return JSON.parse(result.stdout) as HistoryJson[];
}

/** The line of `home`'s history with `contact` that carries a file named `name`, or undefined. */
export async function fileLineOf(home: FileHome, contact: string, name: string, group = false): Promise<HistoryJson | undefined> {
  return (await historyJson(home, contact, group)).find((m) => m.file?.name === name);
}

/** Waits until `home`'s line for file `name` satisfies `done`; returns it. */
export async function waitForFile(home: FileHome, contact: string, name: string, done: (line: HistoryJson) => boolean, timeoutMs: number, group = false): Promise<HistoryJson> {
  let last: HistoryJson | undefined;
  await eventually(async () => {
    last = await fileLineOf(home, contact, name, group).catch(() => undefined);
    return last !== undefined && done(last);
  }, timeoutMs, `${home.name}'s file ${name} (last: ${JSON.stringify(last?.file)})`);
  return last!;
}

/** Waits until `home`'s file `name` is complete and checks its size and SHA-256. */
export async function waitForComplete(home: FileHome, contact: string, name: string, expected: { size: number; sha256: string }, timeoutMs: number, group = false): Promise<HistoryJson> {
  const line = await waitForFile(home, contact, name, (l) => l.file!.state === 'complete' || l.file!.state === 'failed', timeoutMs, group);
  assert.equal(line.file!.state, 'complete', JSON.stringify(line.file));
  assert.equal(line.file!.size, expected.size);
  assert.equal(line.file!.sha256, expected.sha256);
  return line;
}

/** What `sotto status --json` says a running node served: chunks in all, per file, per peer. */
export interface ServedJson {
  readonly chunks: number;
  readonly files: Record<string, { chunks: number; peers: Record<string, number> }>;
}

/** The "files" part of `home`'s `sotto status --json`. */
export async function servedBy(home: FileHome): Promise<ServedJson> {
  const result = await sotto(home.home, ['status', '--json']);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { files: { served: ServedJson } }).files.served;
}
