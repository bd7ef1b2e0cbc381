/**
 * In-memory stand-ins for the file store in transfer tests: a sealed file
 * (src/crypto/file-cipher.ts), a holder's {@link FileHoldings} that records
 * what it was asked and can serve corrupted chunks, a {@link FetchTarget}
 * that keeps what it was given, and a Network wrapper that watches the
 * fetcher's side of `/sotto/file` streams (chunks asked, answers, the most
 * outstanding at once).
 */
import { toHex, type Bytes } from '../../src/crypto/bytes.ts';
import { chunkCount, chunkHash, fileIdOf, openChunk, sealChunk } from '../../src/crypto/file-cipher.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { FILE_CHUNK_BYTES, FILE_PROTOCOL } from '../../src/node/constants.ts';
import type { FetchTarget, FileHoldings, FileIdHex } from '../../src/node/files/types.ts';
import { bitmapOf, decodeFileAnswer, decodeFileRequest } from '../../src/node/files/wire.ts';
import type { FramedStream, Network } from '../../src/node/transport/network.ts';

/** A file sealed under a key: its chunks, manifest and id. */
export interface SealedFile {
  readonly size: number;
  readonly key: Bytes;
  readonly plaintext: Bytes;
  readonly chunks: readonly Bytes[];
  readonly manifest: Bytes;
  readonly fileId: FileIdHex;
}

/** Seals `plaintext` chunk by chunk under `key`. */
export function sealFile(primitives: Primitives, key: Bytes, plaintext: Bytes): SealedFile {
  const size = plaintext.length;
  const chunks: Bytes[] = [];
  for (let i = 0; i < chunkCount(size); i++) chunks.push(sealChunk(primitives, key, size, i, plaintext.subarray(i * FILE_CHUNK_BYTES, Math.min(size, (i + 1) * FILE_CHUNK_BYTES))));
  const manifest = new Uint8Array(chunks.length * 32);
  chunks.forEach((c, i) => manifest.set(chunkHash(primitives, c), i * 32));
  return { size, key, plaintext, chunks, manifest, fileId: toHex(fileIdOf(primitives, size, manifest)) };
}

/** Deterministic bytes (not random: a test must not depend on Math.random). */
export function patternBytes(length: number, seed = 1): Bytes {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
    out[i + 1] = (x >>> 8) & 0xff;
    out[i + 2] = (x >>> 16) & 0xff;
    out[i + 3] = (x >>> 24) & 0xff;
  }
  return out;
}

/** How one holder holds one file. */
export interface Holding {
  readonly file: SealedFile;
  /** Chunks held (all when undefined). */
  readonly held?: ReadonlySet<number>;
  /** Peers that may fetch it. */
  readonly audience: ReadonlySet<string>;
  /** Chunks served with one byte flipped. */
  readonly corrupt?: ReadonlySet<number>;
}

/** A holder's store in memory, counting every call. */
export class MemoryHoldings implements FileHoldings {
  readonly calls = { manifest: 0, held: 0, readChunk: 0, mayFetch: 0 };
  /** Every chunk index read, in order. */
  readonly reads: number[] = [];
  private readonly files = new Map<FileIdHex, Holding>();

  constructor(holdings: readonly Holding[] = []) {
    for (const h of holdings) this.files.set(h.file.fileId, h);
  }

  async manifest(fileId: FileIdHex): Promise<Bytes | undefined> {
    this.calls.manifest++;
    return this.files.get(fileId)?.file.manifest;
  }

  async held(fileId: FileIdHex): Promise<{ chunks: number; bitmap: Bytes } | undefined> {
    this.calls.held++;
    const h = this.files.get(fileId);
    if (h === undefined) return undefined;
    const n = h.file.chunks.length;
    return { chunks: n, bitmap: bitmapOf(n, h.held ?? h.file.chunks.keys()) };
  }

  async readChunk(fileId: FileIdHex, index: number): Promise<Bytes | undefined> {
    this.calls.readChunk++;
    this.reads.push(index);
    const h = this.files.get(fileId);
    if (h === undefined || (h.held !== undefined && !h.held.has(index))) return undefined;
    const chunk = h.file.chunks[index];
    if (chunk === undefined || !h.corrupt?.has(index)) return chunk;
    const bad = new Uint8Array(chunk);
    bad[0]! ^= 0xff;
    return bad;
  }

  async mayFetch(fileId: FileIdHex, peerId: string): Promise<boolean> {
    this.calls.mayFetch++;
    return this.files.get(fileId)?.audience.has(peerId) ?? false;
  }
}

/** An incoming file in memory. */
export class MemoryTarget implements FetchTarget {
  readonly fileId: FileIdHex;
  readonly size: number;
  readonly written: (Bytes | undefined)[];
  /** Every chunk index written, in order. */
  readonly writes: number[] = [];
  private stored: Bytes | undefined;

  constructor(file: Pick<SealedFile, 'fileId' | 'size'>) {
    this.fileId = file.fileId;
    this.size = file.size;
    this.written = new Array<Bytes | undefined>(chunkCount(file.size)).fill(undefined);
  }

  async manifest(): Promise<Bytes | undefined> {
    return this.stored;
  }

  async putManifest(manifest: Bytes): Promise<void> {
    this.stored = manifest;
  }

  async missing(): Promise<number[]> {
    return this.written.flatMap((c, i) => (c === undefined ? [i] : []));
  }

  async writeChunk(index: number, sealed: Bytes): Promise<void> {
    this.written[index] = sealed;
    this.writes.push(index);
  }

  /** The plaintext, every chunk opened under `key`. Throws when a chunk is missing or does not open. */
  open(primitives: Primitives, key: Bytes): Bytes {
    const out = new Uint8Array(this.size);
    this.written.forEach((c, i) => {
      if (c === undefined) throw new Error(`chunk ${i} missing`);
      out.set(openChunk(primitives, key, this.size, i, c), i * FILE_CHUNK_BYTES);
    });
    return out;
  }
}

/** What a watched fetcher asked and got on `/sotto/file` streams. */
export interface FileStreamWatch {
  /** Every chunk index asked (CHUNKS requests), in order, over all streams. */
  readonly asked: number[];
  /** The most chunks asked and not yet answered on one stream at any moment. */
  maxOutstanding: number;
  /** Streams opened. */
  streams: number;
}

/** `network` whose `/sotto/file` streams are watched into the returned record. */
export function watchFileStreams(network: Network): { network: Network; watch: FileStreamWatch } {
  const watch: FileStreamWatch = { asked: [], maxOutstanding: 0, streams: 0 };
  const wrapped: Network = {
    ...network,
    open: async (peerId, protocol, maxFrameBytes, options) => {
      const stream = await network.open(peerId, protocol, maxFrameBytes, options);
      if (protocol !== FILE_PROTOCOL) return stream;
      watch.streams++;
      let outstanding = 0;
      const sent = (frame: Uint8Array): void => {
        const request = decodeFileRequest(frame);
        if (request.type !== 'chunks') return;
        watch.asked.push(...request.indexes);
        outstanding += request.indexes.length;
        watch.maxOutstanding = Math.max(watch.maxOutstanding, outstanding);
      };
      const watched: FramedStream = {
        read: async (o) => {
          const frame = await stream.read(o);
          const answer = decodeFileAnswer(frame);
          if (answer.type === 'chunk' || answer.type === 'missing') outstanding--;
          return frame;
        },
        write: async (frame, o) => {
          sent(frame);
          await stream.write(frame, o);
        },
        writeMany: async (frames, o) => {
          frames.forEach(sent);
          await stream.writeMany(frames, o);
        },
        close: () => stream.close(),
        abort: (err) => stream.abort(err),
      };
      return watched;
    },
  };
  return { network: wrapped, watch };
}
