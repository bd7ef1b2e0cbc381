/**
 * What the benchmark process and its receiver process (./receiver.ts) say
 * to each other over Node's IPC channel: one "ready" from the receiver, then
 * requests from the benchmark, each answered once under its id.
 */
import type * as rpc from '../rpc.ts';
import type { StoreWriteStats } from './store-stats.ts';

/** Texts the receiver stored that start with a prefix. */
export interface ReceivedCount {
  /** 'message' events seen with the prefix. */
  readonly events: number;
  /** Messages in the receiver's store (its history with the sender) with the prefix. */
  readonly stored: number;
  /** Distinct texts among those stored. */
  readonly distinct: number;
  /** SHA-256 (hex) of the stored texts, sorted and joined by newlines: compare with what was sent. */
  readonly digest: string;
  /** Absolute times (ms, performance.timeOrigin based) of the first and last event with the prefix. */
  readonly firstAt: number;
  readonly lastAt: number;
}

/** Requests and what they resolve to. */
export interface Requests {
  'add-contact': { args: { name: string; peerId: string }; result: null };
  send: { args: { name: string; text: string; waitMs: number }; result: { status: string } };
  received: { args: { name: string; prefix: string }; result: ReceivedCount };
  'store-writes': { args: { reset: boolean }; result: StoreWriteStats | null };
  stop: { args: Record<string, never>; result: null };
}

export type RequestName = keyof Requests;

export type RequestMessage<K extends RequestName = RequestName> = rpc.RequestMessage<Requests, K>;

/** The receiver's first message. */
export interface ReadyMessage {
  readonly ready: true;
  readonly peerId: string;
  readonly addresses: readonly string[];
  readonly pid: number;
}
