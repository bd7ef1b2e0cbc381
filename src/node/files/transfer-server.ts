/**
 * The holder's side of `/sotto/file/1.0.0` (docs/PROTOCOL.md §25,
 * "Transfer"): it reads requests one after the other and answers each in
 * order from a {@link FileHoldings} (the store). A fetcher pipelines its
 * requests, so the next one is already waiting while a chunk is sent; the
 * framed stream's backpressure (../transport/frames.ts) bounds what is
 * buffered.
 *
 * What is refused, and when:
 * - `busy`: the peer already has FILE_MAX_STREAMS_PER_PEER file streams
 *   open here (answered before anything is read);
 * - `bad request`: a frame that does not decode, an index ≥ n, a manifest
 *   page with first ≥ n;
 * - `not allowed`: the peer is not in the file's audience — asked at every
 *   request, before anything of the file is read;
 * - `unknown file`: nothing of F is held (or, for MANIFEST, not the whole
 *   manifest).
 * REFUSED ends the stream. A stream with no request for FILE_STREAM_IDLE_MS
 * is closed (the timers come from an injected scheduler).
 */
import { logger } from '@libp2p/logger';
import { toHex, type Bytes } from '../../crypto/bytes.ts';
import { FILE_HASH_BYTES } from '../../crypto/constants.ts';
import { SottoError } from '../../crypto/errors.ts';
import { FILE_MAX_FRAME_BYTES, FILE_MAX_STREAMS_PER_PEER, FILE_PROTOCOL, FILE_STREAM_IDLE_MS, LOG_PREFIX } from '../constants.ts';
import type { Scheduler } from '../core/core.ts';
import type { FramedStream, Network } from '../transport/network.ts';
import { FileStreamIdleError } from './transfer-errors.ts';
import type { FileHoldings, FileIdHex } from './types.ts';
import { decodeFileRequest, encodeBitmap, encodeChunk, encodeHashes, encodeMissing, encodeRefused, type FileRequest, type RefusalReason } from './wire.ts';

const log = logger(`${LOG_PREFIX}:files:server`);

/** Options of {@link serveFiles}. */
export interface FileServerInit {
  /** Where the protocol is registered (inbound streams come with the authenticated peer id). */
  readonly network: Network;
  /** What is served. */
  readonly holdings: FileHoldings;
  /** Timers of the idle close. */
  readonly scheduler: Scheduler;
  /** Idle time before a stream is closed. Default FILE_STREAM_IDLE_MS. */
  readonly idleMs?: number;
  /** Told after each chunk written to a stream (not a MISSING answer): the file, the peer it went to, the chunk's index. */
  readonly onServed?: (fileId: FileIdHex, peerId: string, index: number) => void;
}

/** A running holder. */
export interface FileServer {
  /** File streams from `peerId` being served now. */
  openStreams(peerId: string): number;
  /** Ends every stream being served (the protocol stays registered: a Network cannot unregister; new streams are reset). */
  stop(): void;
}

/** Ends a stream's request loop: a refusal was sent. */
class Refusal extends Error {
  constructor(readonly reason: RefusalReason) {
    super(reason);
  }
}

/** Registers `/sotto/file/1.0.0` on `init.network` and serves `init.holdings`. */
export async function serveFiles(init: FileServerInit): Promise<FileServer> {
  const idleMs = init.idleMs ?? FILE_STREAM_IDLE_MS;
  const perPeer = new Map<string, number>();
  const streams = new Set<FramedStream>();
  let stopped = false;

  const handler = async (stream: FramedStream, peerId: string): Promise<void> => {
    if (stopped) {
      stream.abort(new Error('file server stopped'));
      return;
    }
    const open = perPeer.get(peerId) ?? 0;
    if (open >= FILE_MAX_STREAMS_PER_PEER) {
      log('refused a file stream from %s: busy (%d open)', peerId, open);
      await stream.write(encodeRefused('busy')).catch(() => {});
      await stream.close();
      return;
    }
    perPeer.set(peerId, open + 1);
    streams.add(stream);
    try {
      await serveStream(stream, peerId, init, idleMs);
    } finally {
      streams.delete(stream);
      const left = (perPeer.get(peerId) ?? 1) - 1;
      if (left === 0) perPeer.delete(peerId);
      else perPeer.set(peerId, left);
    }
  };
  await init.network.handle(FILE_PROTOCOL, FILE_MAX_FRAME_BYTES, handler);

  return {
    openStreams: (peerId) => perPeer.get(peerId) ?? 0,
    stop: () => {
      stopped = true;
      for (const stream of streams) stream.abort(new Error('file server stopped'));
    },
  };
}

/** Answers the requests of one stream until it ends, idles, or a request is refused. */
async function serveStream(stream: FramedStream, peerId: string, init: FileServerInit, idleMs: number): Promise<void> {
  const { scheduler } = init;
  for (;;) {
    let frame: Bytes;
    const idle = new AbortController();
    const timer = scheduler.setTimeout(() => idle.abort(new FileStreamIdleError(idleMs)), idleMs);
    try {
      frame = await stream.read({ signal: idle.signal });
    } catch {
      // Idle, or the fetcher closed its side (or reset the stream): close ours, so the fetcher sees the end.
      if (idle.signal.aborted) log('closed an idle file stream from %s', peerId);
      await stream.close();
      return;
    } finally {
      scheduler.clearTimeout(timer);
    }
    try {
      await answer(stream, peerId, frame, init);
    } catch (err) {
      if (err instanceof Refusal) {
        log('refused a file request from %s: %s', peerId, err.reason);
        await stream.write(encodeRefused(err.reason)).catch(() => {});
        await stream.close();
        return;
      }
      if (err instanceof SottoError) {
        // The stream closed or reset under a write (the fetcher is gone), or
        // the fetcher stopped reading (a write timed out): end it.
        log('file stream from %s ended: %s', peerId, err.message);
        stream.abort(err);
        return;
      }
      throw err;
    }
  }
}

/** Answers one request frame; throws Refusal for what §25 refuses. */
async function answer(stream: FramedStream, peerId: string, frame: Bytes, init: FileServerInit): Promise<void> {
  const { holdings } = init;
  let request: FileRequest;
  try {
    request = decodeFileRequest(frame);
  } catch (err) {
    if (err instanceof SottoError) throw new Refusal('bad request');
    throw err;
  }
  const fileId = toHex(request.fileId);
  // Asked at every request, not once per stream: a member removed from the
  // file's group while its stream is open is refused from its next request.
  if (!(await holdings.mayFetch(fileId, peerId))) throw new Refusal('not allowed');
  const held = await holdings.held(fileId);
  if (held === undefined) throw new Refusal('unknown file');
  const n = held.chunks;
  switch (request.type) {
    case 'have':
      await stream.write(encodeBitmap(n, held.bitmap));
      return;
    case 'manifest': {
      if (request.first >= n) throw new Refusal('bad request');
      const manifest = await holdings.manifest(fileId);
      if (manifest === undefined || manifest.length !== n * FILE_HASH_BYTES) throw new Refusal('unknown file');
      const count = Math.min(request.count, n - request.first);
      await stream.write(encodeHashes(request.first, manifest.subarray(request.first * FILE_HASH_BYTES, (request.first + count) * FILE_HASH_BYTES)));
      return;
    }
    case 'chunks': {
      if (request.indexes.some((i) => i >= n)) throw new Refusal('bad request');
      for (const index of request.indexes) {
        const sealed = await holdings.readChunk(fileId, index);
        await stream.write(sealed === undefined ? encodeMissing(index) : encodeChunk(index, sealed));
        if (sealed !== undefined) init.onServed?.(fileId, peerId, index);
      }
      return;
    }
  }
}
