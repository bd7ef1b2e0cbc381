/**
 * A fetcher's one `/sotto/file` stream to one holder (docs/PROTOCOL.md §25):
 * HAVE, manifest pages, and pipelined CHUNKS whose answers come back in the
 * order asked. Every answer is decoded and matched against what was asked;
 * anything else is a FileProtocolError, a REFUSED is a FileRefusedError, and
 * a holder silent for FILE_ANSWER_TIMEOUT_MS while something is asked is
 * dropped with a FrameTimeoutError.
 */
import type { Bytes } from '../../crypto/bytes.ts';
import { FILE_HASH_BYTES } from '../../crypto/constants.ts';
import { FILE_ANSWER_TIMEOUT_MS, FILE_MANIFEST_PAGE_HASHES, FILE_MAX_FRAME_BYTES, FILE_PROTOCOL } from '../constants.ts';
import { FrameTimeoutError } from '../errors.ts';
import type { FramedStream, Network } from '../transport/network.ts';
import { FileBadDataError, FileProtocolError, FileRefusedError } from './transfer-errors.ts';
import { decodeFileAnswer, encodeChunksRequest, encodeHaveRequest, encodeManifestRequest, type FileAnswer } from './wire.ts';

/** A chunk as a holder answered it: its sealed bytes, or undefined when the holder said MISSING. */
export interface ChunkAnswer {
  readonly index: number;
  readonly sealed: Bytes | undefined;
}

/** One open stream to one holder, for one file. */
export class HolderSession {
  private constructor(
    readonly peerId: string,
    private readonly stream: FramedStream,
    private readonly fileId: Bytes,
    private readonly chunks: number,
    private readonly signal: AbortSignal,
    private readonly answerTimeoutMs: number,
  ) {}

  /** Opens a stream to `peerId` for file `fileId` of `chunks` chunks. Rejects with the network's dial errors. */
  static async open(network: Network, peerId: string, fileId: Bytes, chunks: number, signal: AbortSignal, answerTimeoutMs = FILE_ANSWER_TIMEOUT_MS): Promise<HolderSession> {
    const stream = await network.open(peerId, FILE_PROTOCOL, FILE_MAX_FRAME_BYTES, { signal });
    return new HolderSession(peerId, stream, fileId, chunks, signal, answerTimeoutMs);
  }

  /** Which chunks the holder has: a bitmap of the file's chunks. */
  async have(): Promise<Bytes> {
    await this.stream.write(encodeHaveRequest(this.fileId), { signal: this.signal });
    const answer = await this.answer();
    if (answer.type !== 'bitmap') throw this.unexpected(answer, 'BITMAP');
    // Another chunk count: the holder's file is not the one described (a sender that lied about the size).
    if (answer.chunks !== this.chunks) throw new FileBadDataError(this.peerId, 'manifest');
    return answer.bitmap;
  }

  /** The whole manifest (n × 32 bytes), page by page; not yet checked against the file id. */
  async manifest(): Promise<Bytes> {
    const out = new Uint8Array(this.chunks * FILE_HASH_BYTES);
    for (let first = 0; first < this.chunks; first += FILE_MANIFEST_PAGE_HASHES) {
      const count = Math.min(FILE_MANIFEST_PAGE_HASHES, this.chunks - first);
      await this.stream.write(encodeManifestRequest(this.fileId, first, count), { signal: this.signal });
      const answer = await this.answer();
      if (answer.type !== 'hashes') throw this.unexpected(answer, 'HASHES');
      if (answer.first !== first) throw new FileProtocolError(this.peerId, `hashes from ${answer.first} for ${first}`);
      // Fewer hashes than the file's chunks: the holder's file is not the one described.
      if (answer.hashes.length !== count * FILE_HASH_BYTES) throw new FileBadDataError(this.peerId, 'manifest');
      out.set(answer.hashes, first * FILE_HASH_BYTES);
    }
    return out;
  }

  /** Asks chunks (1..FILE_WINDOW_CHUNKS); their answers come from {@link nextChunk}, in this order. */
  async ask(indexes: readonly number[]): Promise<void> {
    await this.stream.write(encodeChunksRequest(this.fileId, indexes), { signal: this.signal });
  }

  /** The answer to the oldest chunk asked, which must be chunk `expected`. */
  async nextChunk(expected: number): Promise<ChunkAnswer> {
    const answer = await this.answer();
    if (answer.type === 'chunk' || answer.type === 'missing') {
      if (answer.index !== expected) throw new FileProtocolError(this.peerId, `chunk ${answer.index} where ${expected} was due`);
      return { index: answer.index, sealed: answer.type === 'chunk' ? answer.sealed : undefined };
    }
    throw this.unexpected(answer, 'CHUNK or MISSING');
  }

  /** Closes the stream (the holder sees it end). */
  async close(): Promise<void> {
    await this.stream.close();
  }

  /** Resets the stream. */
  abort(err: Error): void {
    this.stream.abort(err);
  }

  private async answer(): Promise<FileAnswer> {
    // One controller and one timer per answer, cleared after: not
    // AbortSignal.any/timeout, whose signals stay registered on the
    // session's signal and in the timer list for 30 s each (thousands in a
    // large fetch, each making the next call slower).
    this.signal.throwIfAborted();
    const read = new AbortController();
    const onAbort = (): void => read.abort(this.signal.reason);
    const timer = setTimeout(() => read.abort(new FrameTimeoutError('read', this.answerTimeoutMs)), this.answerTimeoutMs);
    this.signal.addEventListener('abort', onAbort, { once: true });
    let frame: Bytes;
    try {
      frame = await this.stream.read({ signal: read.signal });
    } finally {
      clearTimeout(timer);
      this.signal.removeEventListener('abort', onAbort);
    }
    const answer = decodeFileAnswer(frame);
    if (answer.type === 'refused') throw new FileRefusedError(this.peerId, answer.reason);
    return answer;
  }

  private unexpected(answer: FileAnswer, wanted: string): FileProtocolError {
    return new FileProtocolError(this.peerId, `${answer.type} where ${wanted} was due`);
  }
}
