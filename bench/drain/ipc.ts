/**
 * The drain benchmark's mailbox process (./mailboxes.ts) and how the
 * benchmark talks to it: the messages on Node's IPC channel (advanced
 * serialization, so bytes travel as Uint8Array), and `spawnMailboxes`, the
 * benchmark's handle on the process. The process says "ready" once, then
 * answers each request once under its id.
 */
import { fileURLToPath } from 'node:url';
import type { MailboxPass } from '../../src/node/mailbox/pass.ts';
import * as rpc from '../rpc.ts';

/** One mailbox home of the process. */
export interface MailboxPeer {
  readonly peerId: string;
  readonly addresses: readonly string[];
}

/** The mailbox process's first message. */
export interface ReadyMessage {
  readonly ready: true;
  readonly mailboxes: readonly MailboxPeer[];
  readonly pid: number;
}

/** Requests and what they resolve to. */
export interface Requests {
  /**
   * Deposits `items`, in order, with every mailbox (MailboxService.deposit: a synced write and a signed receipt each),
   * with the recipient's `pass` for the depositor (a contact's deposits count against the recipient's box, not the
   * strangers' allowance); resolves to the number accepted per mailbox.
   */
  deposit: { args: { depositor: string; mailboxKey: Uint8Array; items: Uint8Array[]; pass: MailboxPass }; result: number[] };
  /** Items each mailbox holds, and the process's CPU time so far (user + system, ms). */
  usage: { args: Record<string, never>; result: { items: number[]; cpuMs: number } };
  /** Closes every home; the process exits after answering. */
  stop: { args: Record<string, never>; result: null };
}

export type RequestName = keyof Requests;

export type RequestMessage<K extends RequestName = RequestName> = rpc.RequestMessage<Requests, K>;

const SCRIPT = fileURLToPath(new URL('./mailboxes.ts', import.meta.url));

export interface MailboxProcess {
  readonly mailboxes: readonly MailboxPeer[];
  readonly pid: number;
  request<K extends RequestName>(name: K, args: Requests[K]['args']): Promise<Requests[K]['result']>;
  /** Asks it to close its homes, then waits for the exit (kills it if it lingers or the request fails). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Spawns the mailbox process with its homes under `dir` (`count` mailboxes,
 * one network). It is killed if it fails to become ready, and when this
 * process exits without having stopped it; it exits by itself when this
 * process goes away (its IPC channel closes).
 */
export async function spawnMailboxes(dir: string, count: number): Promise<MailboxProcess> {
  const child = await rpc.spawnChild<Requests, ReadyMessage>(SCRIPT, [dir, String(count)], 'mailbox process', { advanced: true });
  return { mailboxes: child.ready.mailboxes, pid: child.ready.pid, request: child.request, stop: child.stop };
}
