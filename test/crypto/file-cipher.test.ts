/**
 * The sealed chunks of a file (src/crypto/file-cipher.ts, docs/PROTOCOL.md
 * §25): a round trip with node:crypto and @noble, every way a chunk can be
 * misused refused, and a golden vector frozen here and in PROTOCOL §25.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes, toHex, type Bytes } from '../../src/crypto/bytes.ts';
import { FILE_CHUNK_BYTES } from '../../src/crypto/constants.ts';
import { chunkCount, chunkHash, chunkMatches, chunkPlainBytes, fileIdOf, openChunk, sealChunk } from '../../src/crypto/file-cipher.ts';
import { noblePrimitives } from '../../src/crypto/primitives/noble.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';

/** The golden vector's plaintext: byte i is i mod 251 (600,000 bytes: two full chunks and 75,712 bytes). */
const GOLDEN_SIZE = 600_000;
const goldenPlaintext = (): Bytes => new Uint8Array(GOLDEN_SIZE).map((_, i) => i % 251);
/** The golden vector's key: bytes 0x00, 0x01, …, 0x1f. */
const goldenKey = (): Bytes => new Uint8Array(32).map((_, i) => i);

interface Sealed {
  readonly chunks: Bytes[];
  readonly manifest: Bytes;
  readonly fileId: Bytes;
}

/** Seals `plaintext` whole: every chunk, the manifest and the file id. */
function sealFile(p: Primitives, key: Bytes, plaintext: Bytes): Sealed {
  const size = plaintext.length;
  const chunks: Bytes[] = [];
  for (let i = 0; i < chunkCount(size); i++) chunks.push(sealChunk(p, key, size, i, plaintext.subarray(i * FILE_CHUNK_BYTES, i * FILE_CHUNK_BYTES + chunkPlainBytes(size, i))));
  const manifest = concatBytes(...chunks.map((c) => chunkHash(p, c)));
  return { chunks, manifest, fileId: fileIdOf(p, size, manifest) };
}

const openAll = (p: Primitives, key: Bytes, size: number, chunks: readonly Bytes[]): Bytes => concatBytes(...chunks.map((c, i) => openChunk(p, key, size, i, c)));

for (const [label, p] of [
  ['node:crypto', nodePrimitives],
  ['@noble', noblePrimitives],
] as const) {
  describe(`file cipher (${label})`, () => {
    test('a file of two full chunks and a part round-trips, and every chunk matches its manifest entry', () => {
      const plaintext = goldenPlaintext();
      const sealed = sealFile(p, goldenKey(), plaintext);
      assert.equal(sealed.chunks.length, 3);
      assert.deepEqual(sealed.chunks.map((c) => c.length), [FILE_CHUNK_BYTES + 16, FILE_CHUNK_BYTES + 16, GOLDEN_SIZE - 2 * FILE_CHUNK_BYTES + 16]);
      assert.deepEqual(openAll(p, goldenKey(), GOLDEN_SIZE, sealed.chunks), plaintext);
      sealed.chunks.forEach((c, i) => assert.ok(chunkMatches(p, sealed.manifest, i, c)));
      assert.ok(!chunkMatches(p, sealed.manifest, 0, sealed.chunks[1]!), 'chunk 1 is not chunk 0 of the manifest');
      assert.ok(!chunkMatches(p, sealed.manifest, 3, sealed.chunks[2]!), 'no index past the manifest');
    });

    test('an empty file is one empty chunk of 16 sealed bytes, and round-trips', () => {
      const sealed = sealFile(p, goldenKey(), new Uint8Array(0));
      assert.deepEqual(sealed.chunks.map((c) => c.length), [16]);
      assert.equal(openAll(p, goldenKey(), 0, sealed.chunks).length, 0);
    });

    test('the golden vector: F, D and h_0 as PROTOCOL §25 gives them', () => {
      const plaintext = goldenPlaintext();
      const sealed = sealFile(p, goldenKey(), plaintext);
      assert.equal(toHex(sealed.manifest.subarray(0, 32)), '725a10f347773fd6b9d7290ee4f5928c5c19175c5738eebc695eb5a89fed37a4');
      assert.equal(toHex(sealed.manifest.subarray(64, 96)), '6f60b8f108ec37813395630d0a236f2f4768286e1f3b70b4cae1883205b9b61a');
      assert.equal(toHex(sealed.fileId), 'c948bab8fdbfa7f7c8b85d13007874331df128992400990c643cccdc9efbd9d8');
      assert.equal(toHex(p.sha256(plaintext)), '3eec6f2df36b88a1a97c03224253e9d0c59f2696ff7b145203a5d43c736bc7e0');
    });

    test('a chunk moved to another index does not open there', () => {
      const sealed = sealFile(p, goldenKey(), goldenPlaintext());
      assert.throws(() => openChunk(p, goldenKey(), GOLDEN_SIZE, 1, sealed.chunks[0]!), { name: 'AuthenticationError' });
      assert.throws(() => openChunk(p, goldenKey(), GOLDEN_SIZE, 0, sealed.chunks[1]!), { name: 'AuthenticationError' });
    });

    test('a chunk of a file of another size does not open, even where the lengths agree', () => {
      // Chunk 0 of a file of 600,000 bytes and of one of 600,001 bytes have the same length; the size is in the associated data.
      const sealed = sealFile(p, goldenKey(), goldenPlaintext());
      assert.throws(() => openChunk(p, goldenKey(), GOLDEN_SIZE + 1, 0, sealed.chunks[0]!), { name: 'AuthenticationError' });
    });

    test('a truncated file is refused: its chunks do not open as a shorter file, the last one least of all', () => {
      // The first two chunks of the golden file presented as a whole file of two chunks: the size and
      // the last flag are in every chunk's associated data.
      const sealed = sealFile(p, goldenKey(), goldenPlaintext());
      const truncatedSize = 2 * FILE_CHUNK_BYTES;
      assert.throws(() => openChunk(p, goldenKey(), truncatedSize, 0, sealed.chunks[0]!), { name: 'AuthenticationError' });
      assert.throws(() => openChunk(p, goldenKey(), truncatedSize, 1, sealed.chunks[1]!), { name: 'AuthenticationError' });
      // And the last chunk of a file of exactly two chunks does not stand in for chunk 1 of the longer file.
      const twoChunks = goldenPlaintext().subarray(0, truncatedSize);
      const lastOfTwo = sealFile(p, goldenKey(), twoChunks).chunks[1]!;
      assert.throws(() => openChunk(p, goldenKey(), GOLDEN_SIZE, 1, lastOfTwo), { name: 'AuthenticationError' });
    });

    test('an altered byte, a wrong key or a wrong length is refused', () => {
      const sealed = sealFile(p, goldenKey(), goldenPlaintext());
      const altered = sealed.chunks[2]!.slice();
      altered[1234]! ^= 0x01;
      assert.throws(() => openChunk(p, goldenKey(), GOLDEN_SIZE, 2, altered), { name: 'AuthenticationError' });
      assert.ok(!chunkMatches(p, sealed.manifest, 2, altered), 'an altered chunk fails its hash before it is opened');
      const otherKey = goldenKey().map((b) => b ^ 0xff);
      assert.throws(() => openChunk(p, otherKey, GOLDEN_SIZE, 2, sealed.chunks[2]!), { name: 'AuthenticationError' });
      assert.throws(() => openChunk(p, goldenKey(), GOLDEN_SIZE, 2, sealed.chunks[2]!.subarray(1)), { name: 'AuthenticationError' });
    });

    test('fileIdOf is stable and depends on the size and every manifest byte', () => {
      const sealed = sealFile(p, goldenKey(), goldenPlaintext());
      assert.deepEqual(fileIdOf(p, GOLDEN_SIZE, sealed.manifest), sealed.fileId);
      assert.notDeepEqual(fileIdOf(p, GOLDEN_SIZE - 1, sealed.manifest), sealed.fileId);
      const manifest = sealed.manifest.slice();
      manifest[95]! ^= 0x80;
      assert.notDeepEqual(fileIdOf(p, GOLDEN_SIZE, manifest), sealed.fileId);
      assert.throws(() => fileIdOf(p, GOLDEN_SIZE, sealed.manifest.subarray(32)), RangeError);
    });
  });
}
