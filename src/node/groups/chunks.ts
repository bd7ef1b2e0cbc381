/**
 * Chunks of a group frame too large for one Sotto frame (PROTOCOL.md §24b):
 * an operation on a large tree, a Welcome that carries it. Each chunk is a
 * group frame of its own kind that names the whole frame by its SHA-256,
 * so chunks of one frame find each other on a stream, in a mailbox or in
 * the 1:1 channel, and the whole is checked against that digest before it
 * is decoded:
 *
 *   chunk = u8 version (1) || u8 kind (5) || SHA-256 of the whole frame (32)
 *           || u16 index || u16 count (2..MAX_GROUP_CHUNKS) || u32 total || u32 n || bytes (n)
 *
 * The layout is canonical: count = ceil(total / GROUP_CHUNK_BYTES), every
 * chunk but the last carries exactly GROUP_CHUNK_BYTES, the last the rest;
 * a frame of at most GROUP_CHUNK_BYTES is never chunked.
 */
import { equalBytes, Reader, toHex, Writer, type Bytes } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { GROUP_CHUNK_BYTES, GROUP_WIRE_VERSION, MAX_GROUP_CHUNKED_FRAME_BYTES, MAX_GROUP_CHUNKS } from '../constants.ts';
import { GroupMessageTooLargeError } from '../errors.ts';

/** The frame kind of a chunk (after PROTOCOL §24's kinds 1–4). */
export const GROUP_FRAME_CHUNK = 5;
/** Bytes of a chunk before its part: version, kind, digest, index, count, total, length. */
export const GROUP_CHUNK_HEADER_BYTES = 2 + 32 + 2 + 2 + 4 + 4;

/** One decoded chunk. */
export interface GroupChunk {
  /** SHA-256 of the whole frame. */
  readonly digest: Bytes;
  readonly index: number;
  readonly count: number;
  /** Bytes of the whole frame. */
  readonly total: number;
  readonly part: Bytes;
}

/** True when `bytes` is a chunk frame (by its header; {@link decodeGroupChunk} checks the rest). */
export function isGroupChunk(bytes: Bytes): boolean {
  return bytes.length >= 2 && bytes[0] === GROUP_WIRE_VERSION && bytes[1] === GROUP_FRAME_CHUNK;
}

/**
 * The frames that carry `frame`: itself when it fits GROUP_CHUNK_BYTES,
 * else its chunks in order. Throws GroupMessageTooLargeError over
 * MAX_GROUP_CHUNKED_FRAME_BYTES.
 */
export function splitGroupFrame(sha256: (data: Bytes) => Bytes, frame: Bytes): Bytes[] {
  if (frame.length <= GROUP_CHUNK_BYTES) return [frame];
  if (frame.length > MAX_GROUP_CHUNKED_FRAME_BYTES) throw new GroupMessageTooLargeError('frame', frame.length, MAX_GROUP_CHUNKED_FRAME_BYTES);
  const digest = sha256(frame);
  const count = Math.ceil(frame.length / GROUP_CHUNK_BYTES);
  const chunks: Bytes[] = [];
  for (let index = 0; index < count; index++) {
    const part = frame.subarray(index * GROUP_CHUNK_BYTES, (index + 1) * GROUP_CHUNK_BYTES);
    chunks.push(new Writer(GROUP_CHUNK_HEADER_BYTES + part.length).u8(GROUP_WIRE_VERSION).u8(GROUP_FRAME_CHUNK).fixed(digest, 32).u16(index).u16(count).u32(frame.length).varBytes(part).finish());
  }
  return chunks;
}

/** Decodes one chunk from untrusted bytes, checking its layout is the canonical one. Throws DecodeError, VersionTooOld/New. */
export function decodeGroupChunk(bytes: Bytes): GroupChunk {
  const what = 'group chunk';
  const r = new Reader(bytes, what);
  readVersion(r, what, GROUP_WIRE_VERSION);
  if (r.u8('kind') !== GROUP_FRAME_CHUNK) throw new DecodeError(what, 'not a chunk');
  const digest = r.fixed(32, 'digest');
  const index = r.u16('index');
  const count = r.u16('count');
  const total = r.u32('total');
  if (total <= GROUP_CHUNK_BYTES || total > MAX_GROUP_CHUNKED_FRAME_BYTES) throw new DecodeError(what, `whole frame of ${total} bytes outside ${GROUP_CHUNK_BYTES + 1}..${MAX_GROUP_CHUNKED_FRAME_BYTES}`);
  if (count !== Math.ceil(total / GROUP_CHUNK_BYTES) || count > MAX_GROUP_CHUNKS) throw new DecodeError(what, `count ${count} does not match ${total} bytes`);
  if (index >= count) throw new DecodeError(what, `index ${index} of ${count}`);
  const expected = index < count - 1 ? GROUP_CHUNK_BYTES : total - (count - 1) * GROUP_CHUNK_BYTES;
  const part = r.varBytes('part', expected);
  r.end();
  if (part.length !== expected) throw new DecodeError(what, `chunk ${index} holds ${part.length} bytes, expected ${expected}`);
  return { digest, index, count, total, part };
}

/**
 * The whole frame from all its chunks (in any order; each index once), its
 * SHA-256 checked against the digest they name. Throws DecodeError when
 * they disagree, one is missing or doubled, or the digest does not match.
 */
export function joinGroupChunks(sha256: (data: Bytes) => Bytes, chunks: readonly GroupChunk[]): Bytes {
  const what = 'group chunks';
  const first = chunks[0];
  if (!first) throw new DecodeError(what, 'no chunk');
  if (chunks.length !== first.count) throw new DecodeError(what, `${chunks.length} of ${first.count} chunks`);
  const frame = new Uint8Array(first.total);
  const seen = new Set<number>();
  for (const chunk of chunks) {
    if (!equalBytes(chunk.digest, first.digest) || chunk.count !== first.count || chunk.total !== first.total) throw new DecodeError(what, 'chunks of different frames');
    if (seen.has(chunk.index)) throw new DecodeError(what, `chunk ${chunk.index} twice`);
    seen.add(chunk.index);
    frame.set(chunk.part, chunk.index * GROUP_CHUNK_BYTES);
  }
  if (!equalBytes(sha256(frame), first.digest)) throw new DecodeError(what, 'the whole frame does not match its digest');
  return frame;
}

/**
 * Collects chunks of several frames (a mailbox's items, a sender's
 * invitation records): `add` files one under its frame's digest, and
 * `complete` lists the frames whose chunks are all there, whole and
 * checked. Chunks that fail to decode or join are reported in `bad`.
 */
interface ChunkSet<Source> {
  readonly chunks: Map<number, GroupChunk>;
  readonly sources: Source[];
}

export class GroupChunkSets<Source> {
  private readonly sets = new Map<string, ChunkSet<Source>>();

  /** Files chunk `bytes` from `source`; false (nothing filed) when it does not decode. */
  add(bytes: Bytes, source: Source): boolean {
    let chunk: GroupChunk;
    try {
      chunk = decodeGroupChunk(bytes);
    } catch {
      return false;
    }
    const key = `${toHex(chunk.digest)}/${chunk.count}/${chunk.total}`;
    const set: ChunkSet<Source> = this.sets.get(key) ?? { chunks: new Map(), sources: [] };
    this.sets.set(key, set);
    if (!set.chunks.has(chunk.index)) set.chunks.set(chunk.index, chunk);
    set.sources.push(source);
    return true;
  }

  /** Each frame whose chunks are all filed, joined (frames whose digest does not match are in `bad`), with the sources of its chunks. */
  complete(sha256: (data: Bytes) => Bytes): { frames: { frame: Bytes; sources: Source[] }[]; bad: Source[][]; incomplete: Source[][] } {
    const frames: { frame: Bytes; sources: Source[] }[] = [];
    const bad: Source[][] = [];
    const incomplete: Source[][] = [];
    for (const set of this.sets.values()) {
      const chunks = [...set.chunks.values()];
      if (chunks.length < chunks[0]!.count) {
        incomplete.push(set.sources);
        continue;
      }
      try {
        frames.push({ frame: joinGroupChunks(sha256, chunks), sources: set.sources });
      } catch {
        bad.push(set.sources);
      }
    }
    return { frames, bad, incomplete };
  }
}
