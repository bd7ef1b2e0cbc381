/**
 * The fetcher's side of `/sotto/file/1.0.0` (docs/PROTOCOL.md §25,
 * "Transfer"): {@link fetchFile} pulls what a {@link FetchTarget} still
 * misses from the peers that hold the file.
 *
 * 1. Streams to up to FILE_MAX_HOLDERS holders at once, each asked HAVE.
 * 2. The manifest, when the target has none yet: from a holder with every
 *    chunk first, then from any other; kept only when fileIdOf(size,
 *    manifest) is F.
 * 3. The missing chunks, spread over the holders: each takes the lowest
 *    chunk it has that nobody has asked (./chunk-queue.ts) and keeps
 *    FILE_WINDOW_CHUNKS asked on its stream (a new CHUNKS request as soon
 *    as an answer frees a place), so the link stays full and memory stays
 *    at most one window per holder.
 * 4. Every chunk is checked (length, then SHA-256 against the manifest)
 *    before writeChunk. A bad chunk is dropped, that holder is asked
 *    nothing more in this fetch, and its chunks go back to the others;
 *    likewise for a holder that disappears (reset, closed, silent,
 *    refusing). A holder that fails is replaced by the next one not yet
 *    tried.
 *
 * It resolves when every chunk is written or no holder is left; resuming is
 * calling it again (the target's missing() says what is left). It rejects
 * only when the target fails (a full disk, a quota) or `signal` aborts.
 */
import { fromHex, toHex, type Bytes } from '../../crypto/bytes.ts';
import { SottoError } from '../../crypto/errors.ts';
import { chunkCount, chunkMatches, chunkPlainBytes, chunkSealedBytes, fileIdOf } from '../../crypto/file-cipher.ts';
import type { Primitives } from '../../crypto/primitives/types.ts';
import { FILE_MAX_HOLDERS, FILE_WINDOW_CHUNKS } from '../constants.ts';
import type { Network } from '../transport/network.ts';
import { ChunkQueue } from './chunk-queue.ts';
import { HolderSession } from './holder-session.ts';
import { FileBadDataError, FileRefusedError } from './transfer-errors.ts';
import type { FetchTarget } from './types.ts';
import { bitmapHas } from './wire.ts';

/** Options of {@link fetchFile}. The file (its id and size) is the target's. */
export interface FetchFileInit {
  readonly network: Network;
  readonly target: FetchTarget;
  /** Peers that may hold the file, in order of preference (the sender first, then group members). */
  readonly holders: readonly string[];
  readonly primitives: Primitives;
  readonly signal?: AbortSignal;
  /** Called after each chunk written. */
  readonly onProgress?: (progress: FetchProgress) => void;
}

/** How far a fetch is. */
export interface FetchProgress {
  /** Chunks of the file. */
  readonly chunks: number;
  /** Chunks the target holds now. */
  readonly chunksHeld: number;
  /** Plaintext bytes of the chunks the target holds now. */
  readonly bytesHeld: number;
}

/**
 * What became of a holder in one fetch:
 * - `done`: it served until the fetch ended (possibly nothing it had was missing);
 * - `unused`: never asked (enough holders, or the fetch ended first);
 * - `unreachable`: no stream could be opened;
 * - `refused`: it answered REFUSED (`reason`: `not allowed`, `unknown file`, `busy`, `bad request`);
 * - `bad data`: it sent a chunk or manifest that does not match the file id;
 * - `gone`: its stream reset or closed, it stayed silent, or it broke the protocol (`reason`: the error's name).
 */
export type HolderOutcome = 'done' | 'unused' | 'unreachable' | 'refused' | 'bad data' | 'gone';

/** One holder's part in a fetch. */
export interface HolderReport {
  readonly peerId: string;
  readonly outcome: HolderOutcome;
  /** The refusal reason, or the name of the error that ended it. */
  readonly reason?: string;
  /** Chunks it sent that were written. */
  readonly chunks: number;
  /** Sealed bytes of those chunks. */
  readonly bytes: number;
}

/** What one call of {@link fetchFile} did. */
export interface FetchSummary {
  /** Every chunk is written (the caller still checks the plaintext digest when it opens them). */
  readonly complete: boolean;
  /** Chunks of the file, and chunks still missing. */
  readonly chunks: number;
  readonly missing: number;
  /** Chunks written in this call, and their sealed bytes. */
  readonly fetched: number;
  readonly bytes: number;
  /** Chunks asked more than once in this call (a holder failed or lacked them). */
  readonly refetched: number;
  /** Every holder given, in the order given. */
  readonly holders: readonly HolderReport[];
}

interface Report {
  outcome: HolderOutcome;
  reason?: string;
  chunks: number;
  bytes: number;
}

interface Active {
  readonly session: HolderSession;
  readonly bitmap: Bytes;
}

/** Thrown inside a fetch when the target fails: ends every holder and rejects the fetch. */
class TargetFailure extends Error {
  constructor(readonly error: unknown) {
    super('target failed');
  }
}

/** Fetches what `init.target` misses from `init.holders`; see the module comment. */
export async function fetchFile(init: FetchFileInit): Promise<FetchSummary> {
  return new Fetch(init).run();
}

class Fetch {
  private readonly target: FetchTarget;
  private readonly fileId: Bytes;
  private readonly chunks: number;
  private readonly candidates: string[];
  private readonly reports = new Map<string, Report>();
  private readonly actives = new Set<HolderSession>();
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private next = 0;
  private fetched = 0;
  private bytes = 0;
  private held = 0;
  private bytesHeld = 0;

  constructor(private readonly init: FetchFileInit) {
    this.target = init.target;
    this.fileId = fromHex(init.target.fileId);
    this.chunks = chunkCount(init.target.size);
    this.candidates = [...new Set(init.holders)].filter((p) => p !== init.network.peerId);
    for (const peerId of this.candidates) this.reports.set(peerId, { outcome: 'unused', chunks: 0, bytes: 0 });
    this.signal = init.signal === undefined ? this.stop.signal : AbortSignal.any([init.signal, this.stop.signal]);
  }

  async run(): Promise<FetchSummary> {
    this.init.signal?.throwIfAborted();
    try {
      let manifest = await this.target.manifest();
      let missing = await this.target.missing();
      if (manifest !== undefined && missing.length === 0) return this.summary(0, 0);
      const opened = await Promise.all(Array.from({ length: Math.min(FILE_MAX_HOLDERS, this.candidates.length) }, () => this.openNext()));
      let actives = opened.filter((a): a is Active => a !== undefined);
      if (manifest === undefined) {
        const got = await this.fetchManifest(actives);
        if (got === undefined) return this.finish(missing.length, 0);
        manifest = got.manifest;
        actives = got.actives;
        await this.target.putManifest(manifest);
        missing = await this.target.missing();
      }
      const queue = new ChunkQueue(this.chunks, missing);
      this.held = this.chunks - missing.length;
      this.bytesHeld = this.target.size - missing.reduce((sum, i) => sum + chunkPlainBytes(this.target.size, i), 0);
      await this.fetchChunks(queue, manifest, actives);
      return this.finish(queue.pending + queue.asked, queue.refetched);
    } catch (err) {
      this.stop.abort(err);
      for (const session of this.actives) session.abort(new Error('fetch ended'));
      if (err instanceof TargetFailure) throw err.error;
      throw err;
    }
  }

  /** Opens the next holder not yet tried and asks it HAVE; undefined when none is left. */
  private async openNext(): Promise<Active | undefined> {
    while (this.next < this.candidates.length) {
      const peerId = this.candidates[this.next++]!;
      let session: HolderSession;
      try {
        session = await HolderSession.open(this.init.network, peerId, this.fileId, this.chunks, this.signal);
      } catch (err) {
        this.signal.throwIfAborted();
        this.fail(peerId, 'unreachable', err);
        continue;
      }
      this.actives.add(session);
      try {
        return { session, bitmap: await session.have() };
      } catch (err) {
        this.signal.throwIfAborted();
        this.drop(session, err);
      }
    }
    return undefined;
  }

  /** A manifest that makes F, from the holders with every chunk first; the holders still usable after. */
  private async fetchManifest(actives: Active[]): Promise<{ manifest: Bytes; actives: Active[] } | undefined> {
    const whole = (a: Active): boolean => a.bitmap.every((byte, i) => byte === (i === a.bitmap.length - 1 && this.chunks % 8 !== 0 ? (1 << this.chunks % 8) - 1 : 0xff));
    const order = [...actives.filter(whole), ...actives.filter((a) => !whole(a))];
    const usable = [...actives];
    for (let i = 0; ; i++) {
      const active = order[i] ?? (await this.openNext());
      if (active === undefined) return undefined;
      if (i >= actives.length) usable.push(active);
      try {
        const manifest = await active.session.manifest();
        if (toHex(fileIdOf(this.init.primitives, this.target.size, manifest)) === this.target.fileId) return { manifest, actives: usable.filter((a) => this.actives.has(a.session)) };
        this.drop(active.session, new FileBadDataError(active.session.peerId, 'manifest'));
      } catch (err) {
        this.signal.throwIfAborted();
        this.drop(active.session, err);
      }
    }
  }

  /** Runs one worker per holder until the queue is finished or no holder is left. */
  private async fetchChunks(queue: ChunkQueue, manifest: Bytes, actives: readonly Active[]): Promise<void> {
    const running = new Set<Promise<void>>();
    const start = (active: Active): void => {
      const run: Promise<void> = this.work(queue, manifest, active).then(async (failed) => {
        if (!failed || queue.finished) return;
        const replacement = await this.openNext();
        if (replacement !== undefined) start(replacement);
      });
      running.add(run);
      void run.finally(() => running.delete(run)).catch(() => {});
    };
    for (const active of actives) start(active);
    while (running.size > 0) await Promise.all(running);
  }

  /**
   * One holder's loop: keep its window full, check and write each answer.
   * Resolves true when the holder failed (its chunks are back in the queue).
   */
  private async work(queue: ChunkQueue, manifest: Bytes, { session, bitmap }: Active): Promise<boolean> {
    const has = (i: number): boolean => bitmapHas(bitmap, i);
    const asked: number[] = [];
    const report = this.reports.get(session.peerId)!;
    try {
      for (;;) {
        const batch: number[] = [];
        while (asked.length + batch.length < FILE_WINDOW_CHUNKS) {
          const index = queue.take(session, has);
          if (index === undefined) break;
          batch.push(index);
        }
        if (batch.length > 0) {
          asked.push(...batch);
          await session.ask(batch);
        }
        if (asked.length === 0) {
          // Nothing this holder has is pending; what others have asked may come back.
          if (queue.asked === 0) break;
          await changedOrAborted(queue, this.signal);
          continue;
        }
        const expected = asked[0]!;
        const answer = await session.nextChunk(expected);
        asked.shift();
        if (answer.sealed === undefined) {
          // MISSING: its bitmap said otherwise; another holder may have it.
          bitmap[expected >> 3]! &= ~(1 << (expected & 7));
          queue.putBack(expected);
          continue;
        }
        if (answer.sealed.length !== chunkSealedBytes(this.target.size, expected) || !chunkMatches(this.init.primitives, manifest, expected, answer.sealed)) {
          queue.putBack(expected);
          throw new FileBadDataError(session.peerId, 'chunk', expected);
        }
        try {
          await this.target.writeChunk(expected, answer.sealed);
        } catch (err) {
          queue.putBack(expected);
          throw new TargetFailure(err);
        }
        queue.done(expected);
        report.chunks++;
        report.bytes += answer.sealed.length;
        this.fetched++;
        this.bytes += answer.sealed.length;
        this.held++;
        this.bytesHeld += chunkPlainBytes(this.target.size, expected);
        this.init.onProgress?.({ chunks: this.chunks, chunksHeld: this.held, bytesHeld: this.bytesHeld });
      }
      report.outcome = 'done';
      this.actives.delete(session);
      await session.close();
      return false;
    } catch (err) {
      for (const i of asked) queue.putBack(i);
      if (err instanceof TargetFailure || this.signal.aborted) throw err instanceof TargetFailure ? err : this.signal.reason;
      this.drop(session, err);
      return true;
    }
  }

  /** Ends a holder's stream and records why. */
  private drop(session: HolderSession, err: unknown): void {
    this.actives.delete(session);
    session.abort(err instanceof Error ? err : new Error(String(err)));
    if (err instanceof FileRefusedError) this.fail(session.peerId, 'refused', err, err.reason);
    else if (err instanceof FileBadDataError) this.fail(session.peerId, 'bad data', err);
    else this.fail(session.peerId, 'gone', err);
  }

  private fail(peerId: string, outcome: HolderOutcome, err: unknown, reason?: string): void {
    const report = this.reports.get(peerId)!;
    report.outcome = outcome;
    report.reason = reason ?? (err instanceof SottoError || err instanceof Error ? err.name : String(err));
  }

  private async finish(missing: number, refetched: number): Promise<FetchSummary> {
    for (const session of this.actives) {
      const report = this.reports.get(session.peerId)!;
      if (report.outcome === 'unused') report.outcome = 'done';
      await session.close();
    }
    this.actives.clear();
    return this.summary(missing, refetched);
  }

  private summary(missing: number, refetched: number): FetchSummary {
    return {
      complete: missing === 0,
      chunks: this.chunks,
      missing,
      fetched: this.fetched,
      bytes: this.bytes,
      refetched,
      holders: this.candidates.map((peerId) => ({ peerId, ...this.reports.get(peerId)! })),
    };
  }
}

/** Resolves at the queue's next change; rejects when `signal` aborts first. */
async function changedOrAborted(queue: ChunkQueue, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  const aborted = Promise.withResolvers<never>();
  const onAbort = (): void => aborted.reject(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([queue.changed(), aborted.promise]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
