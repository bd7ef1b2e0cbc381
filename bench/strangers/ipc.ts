/**
 * The strangers benchmark's attacker process (./attackers.ts) and how the
 * benchmark talks to it over Node's IPC channel: one "ready", then one
 * "attack" (the flood and the Sybils, together), then "stop".
 */
import { fileURLToPath } from 'node:url';
import type { AckStatus } from '../../src/node/messaging/wire.ts';
import type { SybilResult } from './stranger.ts';
import * as rpc from '../rpc.ts';

/** What the attack does to the victim at `target` (a multiaddr with /p2p/). */
export interface AttackPlan {
  readonly target: string;
  /** Texts the one flooding stranger sends, each of `floodTextBytes` bytes, pipelined on one stream. */
  readonly floodTexts: number;
  readonly floodTextBytes: number;
  /** Sybil strangers (a fresh identity each, one text each), `sybilConcurrency` at a time. */
  readonly sybils: number;
  readonly sybilConcurrency: number;
}

/** The flooding stranger's side of the attack. */
export interface FloodResult {
  readonly peerId: string;
  /** Acks by status. */
  readonly acks: Partial<Record<AckStatus, number>>;
  /** Bytes of each of its envelopes (all the same size, texts of one length). */
  readonly envelopeBytes: number;
  /** Start of the attack to its last ack. */
  readonly ms: number;
}

/** The Sybils' side of the attack. */
export interface SybilsResult {
  /** One per Sybil, in the order they started. */
  readonly results: readonly SybilResult[];
  /** Start of the attack to the last Sybil's end. */
  readonly ms: number;
}

/** The attacker process's first message. */
export interface ReadyMessage {
  readonly ready: true;
  readonly pid: number;
}

/** Requests and what they resolve to. */
export interface Requests {
  /** Runs the flood and the Sybils at the same time; resolves when both are over, with the CPU time the attackers used (ms). */
  attack: { args: AttackPlan; result: { flood: FloodResult; sybils: SybilsResult; cpuMs: number } };
  /** The process exits after answering. */
  stop: { args: Record<string, never>; result: null };
}

export type RequestMessage = rpc.RequestMessage<Requests>;

const SCRIPT = fileURLToPath(new URL('./attackers.ts', import.meta.url));

/**
 * The attackers' scheduling priority (nice), set by the attacker process
 * on itself at start. Real attackers spend their own machines' CPU; here
 * they share the victim's cores, and at a lower priority their own work
 * takes less of the victim's share (the victim and the probes run at the
 * default, 0).
 */
export const ATTACKER_NICE = 10;

/** Spawns the attacker process (killed if this process exits first). */
export function spawnAttackers(): Promise<rpc.Child<Requests, ReadyMessage>> {
  return rpc.spawnChild<Requests, ReadyMessage>(SCRIPT, [], 'attacker process');
}
