/**
 * The frames of `/sotto/file/1.0.0` byte for byte as docs/PROTOCOL.md §25
 * lays them out, their round trips, and the inputs the decoders reject with
 * DecodeError (or a version error); and the chunk queue a fetch shares
 * among its holders.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../src/crypto/bytes.ts';
import { ChunkQueue } from '../../src/node/files/chunk-queue.ts';
import {
  bitmapHas,
  bitmapOf,
  decodeFileAnswer,
  decodeFileRequest,
  encodeBitmap,
  encodeChunk,
  encodeChunksRequest,
  encodeHashes,
  encodeHaveRequest,
  encodeManifestRequest,
  encodeMissing,
  encodeRefused,
  FILE_MAX_CHUNKS,
} from '../../src/node/files/wire.ts';

const F = Uint8Array.from({ length: 32 }, (_, i) => i);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fHex = hex(F);

function rejects(decode: (b: Uint8Array) => unknown, bytes: Uint8Array, name = 'DecodeError'): void {
  assert.throws(() => decode(bytes), (e: Error) => e.name === name, hex(bytes));
}

describe('/sotto/file frames', () => {
  test('requests have the layout of §25 and round-trip', () => {
    assert.equal(hex(encodeManifestRequest(F, 2048, 7)), `0101${fHex}000008000007`);
    assert.equal(hex(encodeChunksRequest(F, [3, 1])), `0102${fHex}00020000000300000001`);
    assert.equal(hex(encodeHaveRequest(F)), `0103${fHex}`);
    assert.deepEqual(decodeFileRequest(encodeManifestRequest(F, 5, 2048)), { type: 'manifest', fileId: F, first: 5, count: 2048 });
    assert.deepEqual(decodeFileRequest(encodeChunksRequest(F, [0, FILE_MAX_CHUNKS - 1])), { type: 'chunks', fileId: F, indexes: [0, FILE_MAX_CHUNKS - 1] });
    assert.deepEqual(decodeFileRequest(encodeHaveRequest(F)), { type: 'have', fileId: F });
  });

  test('answers have the layout of §25 and round-trip', () => {
    const h = new Uint8Array(64).fill(0xab);
    assert.equal(hex(encodeHashes(4, h)), `011100000004${'0002'}${hex(h)}`);
    assert.equal(hex(encodeChunk(9, new Uint8Array(17).fill(1))), `011200000009${'01'.repeat(17)}`);
    assert.equal(hex(encodeMissing(9)), '011300000009');
    assert.equal(hex(encodeBitmap(10, bitmapOf(10, [0, 3, 9]))), '0114' + '0000000a' + '0902');
    assert.deepEqual([encodeRefused('unknown file'), encodeRefused('not allowed'), encodeRefused('busy'), encodeRefused('bad request')].map(hex), ['011501', '011502', '011503', '011504']);
    assert.deepEqual(decodeFileAnswer(encodeHashes(4, h)), { type: 'hashes', first: 4, hashes: h });
    assert.deepEqual(decodeFileAnswer(encodeMissing(9)), { type: 'missing', index: 9 });
    assert.deepEqual(decodeFileAnswer(encodeRefused('busy')), { type: 'refused', reason: 'busy' });
    const bitmap = decodeFileAnswer(encodeBitmap(10, bitmapOf(10, [0, 3, 9])));
    assert.equal(bitmap.type, 'bitmap');
    if (bitmap.type === 'bitmap') assert.deepEqual([...Array(10).keys()].filter((i) => bitmapHas(bitmap.bitmap, i)), [0, 3, 9]);
  });

  test('the request decoder rejects every malformed request', () => {
    const chunks = (count: number, ...indexes: number[]): Uint8Array => {
      const w = new Writer().u8(1).u8(2).fixed(F, 32).u16(count);
      for (const i of indexes) w.u32(i);
      return w.finish();
    };
    rejects(decodeFileRequest, chunks(0));
    rejects(decodeFileRequest, chunks(9, 0, 1, 2, 3, 4, 5, 6, 7, 8));
    rejects(decodeFileRequest, chunks(2, 1, 1));
    rejects(decodeFileRequest, chunks(2, 1));
    rejects(decodeFileRequest, chunks(1, 1, 2));
    rejects(decodeFileRequest, chunks(1, FILE_MAX_CHUNKS));
    rejects(decodeFileRequest, new Writer().u8(1).u8(1).fixed(F, 32).u32(0).u16(0).finish());
    rejects(decodeFileRequest, new Writer().u8(1).u8(1).fixed(F, 32).u32(0).u16(2049).finish());
    rejects(decodeFileRequest, new Writer().u8(1).u8(1).fixed(F, 32).u32(FILE_MAX_CHUNKS).u16(1).finish());
    rejects(decodeFileRequest, Uint8Array.of(1, 3, ...F, 0));
    rejects(decodeFileRequest, Uint8Array.of(1, 3, ...F.subarray(1)));
    rejects(decodeFileRequest, Uint8Array.of(1, 0x11, ...F));
    rejects(decodeFileRequest, Uint8Array.of(2, 3, ...F), 'VersionTooNewError');
    rejects(decodeFileRequest, Uint8Array.of(0, 3, ...F), 'VersionTooOldError');
  });

  test('the answer decoder rejects every malformed answer', () => {
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x11).u32(0).u16(2).fixed(new Uint8Array(63), 63).finish());
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x11).u32(0).u16(0).finish());
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x12).u32(0).fixed(new Uint8Array(15), 15).finish());
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x12).u32(0).fixed(new Uint8Array(262_161), 262_161).finish());
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x13).u32(FILE_MAX_CHUNKS).finish());
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x13).u32(0).u8(0).finish());
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x14).u32(10).u8(0xff).u8(0x04).finish(), 'DecodeError');
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x14).u32(10).u8(0xff).finish());
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x14).u32(0).finish());
    rejects(decodeFileAnswer, new Writer().u8(1).u8(0x14).u32(FILE_MAX_CHUNKS + 1).finish());
    rejects(decodeFileAnswer, Uint8Array.of(1, 0x15, 0));
    rejects(decodeFileAnswer, Uint8Array.of(1, 0x15, 5));
    rejects(decodeFileAnswer, Uint8Array.of(1, 0x15, 1, 0));
    rejects(decodeFileAnswer, Uint8Array.of(1, 0x02));
  });

  test('encoders refuse what the wire cannot carry', () => {
    assert.throws(() => encodeChunksRequest(F, []), RangeError);
    assert.throws(() => encodeChunksRequest(F, [1, 1]), RangeError);
    assert.throws(() => encodeChunksRequest(F, [...Array(9).keys()]), RangeError);
    assert.throws(() => encodeManifestRequest(F, 0, 2049), RangeError);
    assert.throws(() => encodeHaveRequest(F.subarray(1)), RangeError);
    assert.throws(() => encodeBitmap(10, Uint8Array.of(0, 4)), RangeError);
  });
});

describe('chunk queue', () => {
  test('each holder takes the lowest pending chunk it has; a chunk put back is taken again and counted', async () => {
    const q = new ChunkQueue(10, [1, 2, 5, 7, 8]);
    const a = {};
    const b = {};
    const evenOnly = (i: number): boolean => i % 2 === 0;
    assert.equal(q.take(a, () => true), 1);
    assert.equal(q.take(b, evenOnly), 2);
    assert.equal(q.take(b, evenOnly), 8);
    assert.equal(q.take(b, evenOnly), undefined);
    assert.equal(q.take(a, () => true), 5);
    const changed = q.changed();
    q.putBack(2);
    await changed;
    assert.equal(q.take(a, () => true), 2, 'the cursor went back to the chunk put back');
    assert.equal(q.refetched, 1);
    for (const i of [1, 2, 5, 8]) q.done(i);
    assert.equal(q.finished, false);
    assert.equal(q.take(a, () => true), 7);
    q.done(7);
    assert.equal(q.finished, true);
    assert.throws(() => q.done(7), RangeError);
  });
});
