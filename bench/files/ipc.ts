/** Messages between the files benchmark and its holder process (./holder.ts). */
import type { RssPeaks } from './rss.ts';

/** The holder's ready message: where it listens and what it serves. */
export interface HolderReady {
  readonly ready: true;
  readonly peerId: string;
  readonly addresses: readonly string[];
  readonly fileId: string;
  readonly size: number;
  /** The file key, hex (so a quick run can open what it fetched). */
  readonly key: string;
  /** Time to seal the file onto disk. */
  readonly sealMs: number;
  readonly bulk: string;
}

/** Requests the benchmark sends its holder. */
export interface HolderRequests {
  /** Let `peerId` fetch the file. */
  allow: { args: { peerId: string }; result: null };
  /** Peak RSS since the last reset (and reset when asked). */
  rss: { args: { reset: boolean }; result: RssPeaks };
  stop: { args: Record<string, never>; result: null };
}
