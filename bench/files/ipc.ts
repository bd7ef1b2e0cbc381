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
  /** Chunks served since the last reset (each answer counts, a chunk served twice twice), and reset when asked. */
  served: { args: { reset: boolean }; result: number };
  stop: { args: Record<string, never>; result: null };
}

/** Which transfer a fetch runs. */
export type FilesCase = 'bare stream' | '/sotto/file';

/** The fetcher's ready message. */
export interface FetcherReady {
  readonly ready: true;
  readonly peerId: string;
}

/** What one fetch measured in the fetcher process. */
export interface FetchMeasure {
  readonly bytes: number;
  /** Chunks written by this fetch. */
  readonly chunks: number;
  readonly ms: number;
  /** Peak RSS of the fetcher during the fetch. */
  readonly rss: RssPeaks;
}

/** Requests the benchmark sends its fetcher. */
export interface FetcherRequests {
  /** Connect to the holder. */
  connect: { args: { address: string }; result: null };
  /** Fetch the holder's file one way into a new file in the fetcher's dir; with `key` (hex), open every chunk afterwards. */
  fetch: { args: { case: FilesCase; peerId: string; fileId: string; size: number; key?: string; keep?: boolean }; result: FetchMeasure };
  stop: { args: Record<string, never>; result: null };
}
