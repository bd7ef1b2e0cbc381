/**
 * kill -9 faults in a real exchange between `sotto` processes: a sender, a
 * receiver and a mailbox node (each its own home and process, on loopback).
 * The sender queues MESSAGES messages; at seeded random points one of the
 * three is killed with SIGKILL and started again after a random pause. At the
 * end every message the sender accepted must reach the receiver exactly once,
 * and the session must still decrypt both ways.
 *
 * Used by test/faults/kill.test.ts (a short run in npm test) and by
 * `npm run fuzz` (many rounds).
 */
import { join } from 'node:path';
import { controlClient } from '../src/app/control/client.ts';
import type { SottoApi } from '../src/app/api.ts';
import { eventually, freePort, sotto, startNode, tempHome, type RunningNode } from '../test/helpers/cli.ts';
import { seededRandom } from '../test/helpers/context.ts';

/** Who can be killed. */
export type Victim = 'sender' | 'receiver' | 'mailbox';
const VICTIMS: readonly Victim[] = ['sender', 'receiver', 'mailbox'];

/** Options of one exchange. */
export interface KillExchangeOptions {
  /** Messages the sender queues in total. */
  readonly messages: number;
  /** Kills during the exchange (victims in turn, then at random). */
  readonly kills: number;
  /** Seed of the kill points, victims and pauses. */
  readonly seed: string;
  /** How long the end state may take to settle (all acked), ms. */
  readonly settleMs: number;
  /** Progress lines (optional). */
  readonly log?: (line: string) => void;
}

/** What one exchange saw. */
export interface KillExchangeResult {
  /** Messages the sender accepted (its `send` answered). */
  readonly accepted: number;
  /** Sends that failed because the sender was being killed (the user saw an error; each may or may not exist). */
  readonly ambiguous: number;
  /** Messages the receiver has, by text: each accepted one must be there exactly once. */
  readonly received: number;
  readonly lost: string[];
  readonly duplicated: string[];
  /** Received texts that were never sent (must be none). */
  readonly unexpected: string[];
  readonly kills: { readonly victim: Victim; readonly afterMessage: number }[];
  /** Both directions still decrypt after the faults. */
  readonly sessionsWork: boolean;
}

/** Longest pause before a killed node starts again, ms. */
const MAX_RESTART_PAUSE_MS = 1_500;
/** How long each final send may wait for its ack, ms. */
const FINAL_SEND_WAIT_MS = 20_000;

const u32 = (bytes: Uint8Array): number => new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);

/** Runs one exchange. Every node is stopped and every home removed at the end. */
export async function runKillExchange(options: KillExchangeOptions): Promise<KillExchangeResult> {
  const log = options.log ?? ((): void => {});
  const random = seededRandom(`kill-exchange/${options.seed}`);
  const below = (n: number): number => u32(random(4)) % n;
  const cleanup: (() => Promise<void>)[] = [];
  const running = new Map<Victim, RunningNode>();
  try {
    const homes = { sender: await tempHome('kill-sender', cleanup), receiver: await tempHome('kill-receiver', cleanup), mailbox: await tempHome('kill-mailbox', cleanup) } satisfies Record<Victim, string>;
    const ids = {} as Record<Victim, string>;
    for (const victim of VICTIMS) ids[victim] = (await sotto(homes[victim], ['init', '--name', victim, '--no-passphrase'])).stdout.trim();
    await sotto(homes.sender, ['contacts', 'add', 'receiver', ids.receiver]);
    await sotto(homes.receiver, ['contacts', 'add', 'sender', ids.sender]);
    const ports = { sender: await freePort(), receiver: await freePort(), mailbox: await freePort() } satisfies Record<Victim, number>;
    const address = (v: Victim): string => `/ip4/127.0.0.1/tcp/${ports[v]}/p2p/${ids[v]}`;
    const args = (v: Victim): string[] => {
      const others = VICTIMS.filter((o) => o !== v).flatMap((o) => ['--bootstrap', address(o)]);
      return ['--listen', `/ip4/127.0.0.1/tcp/${ports[v]}`, ...others, ...(v === 'mailbox' ? ['--mailbox'] : [])];
    };
    const start = async (v: Victim): Promise<void> => {
      running.set(v, await startNode(homes[v], args(v)));
    };
    for (const v of ['mailbox', 'receiver', 'sender'] as const) await start(v);
    const api = (v: Victim): SottoApi => controlClient(join(homes[v], 'control.sock'));

    // Kill points: distinct message numbers, in order.
    const points = new Set<number>();
    while (points.size < options.kills) points.add(1 + below(options.messages - 1));
    const killAt = [...points].sort((a, b) => a - b);
    const kills: { victim: Victim; afterMessage: number }[] = [];
    const accepted: string[] = [];
    let ambiguous = 0;
    let senderDown: Promise<void> | undefined;

    for (let i = 0; i < options.messages; i++) {
      const text = `m${i}`;
      if (senderDown) {
        // The sender is being restarted: sends wait for it, as a user would.
        await senderDown;
        senderDown = undefined;
      }
      try {
        await api('sender').send('receiver', text, 0);
        accepted.push(text);
      } catch {
        ambiguous++;
      }
      if (killAt[kills.length] === i) {
        const victim = kills.length < VICTIMS.length ? VICTIMS[kills.length]! : VICTIMS[below(VICTIMS.length)]!;
        kills.push({ victim, afterMessage: i });
        await running.get(victim)!.kill();
        const pause = below(MAX_RESTART_PAUSE_MS);
        log(`kill -9 ${victim} after message ${i}; back in ${pause} ms`);
        const back = new Promise((r) => setTimeout(r, pause)).then(() => start(victim));
        if (victim === 'sender') senderDown = back;
        else void back.catch((err: unknown) => log(`restart of ${victim} failed: ${String(err)}`));
      }
    }
    await senderDown;
    // Everything is running again (a restart may still be under way).
    await eventually(async () => running.size === VICTIMS.length && VICTIMS.every((v) => !running.get(v)!.process.killed), options.settleMs, 'every node running again');
    await eventually(
      async () => (await api('sender').history('receiver')).filter((m) => m.direction === 'out').every((m) => m.status === 'delivered' || m.status === 'read'),
      options.settleMs,
      'every message acked',
    );
    const received = (await api('receiver').history('sender')).filter((m) => m.direction === 'in').map((m) => m.text);
    const counts = new Map<string, number>();
    for (const text of received) counts.set(text, (counts.get(text) ?? 0) + 1);
    const sentTexts = new Set(Array.from({ length: options.messages }, (_, i) => `m${i}`));
    const back = await api('receiver').send('sender', 'still decrypting?', FINAL_SEND_WAIT_MS);
    const forth = await api('sender').send('receiver', 'yes', FINAL_SEND_WAIT_MS);
    return {
      accepted: accepted.length,
      ambiguous,
      received: received.length,
      lost: accepted.filter((t) => !counts.has(t)),
      duplicated: [...counts].filter(([, n]) => n > 1).map(([t]) => t),
      unexpected: [...counts.keys()].filter((t) => !sentTexts.has(t)),
      kills,
      sessionsWork: back.status === 'delivered' && forth.status === 'delivered',
    };
  } finally {
    for (const node of running.values()) await node.kill().catch(() => {});
    for (const step of cleanup.reverse()) await step();
  }
}
