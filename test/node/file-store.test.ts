/**
 * The file store's contract (docs/FILES.md, "Kept encrypted", "Resumable";
 * src/node/files/types.ts), run against a home's store (chunks on disk) and a
 * page's (chunks in the level store): import, verify and read back byte for
 * byte; a fetch written out of order and resumed after the store is dropped
 * without closing; the quota; a digest that does not match; delete and
 * release; who may fetch.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes, toHex, type Bytes } from '../../src/crypto/bytes.ts';
import { chunkCount, chunkMatches, fileIdOf } from '../../src/crypto/file-cipher.ts';
import { FILE_CHUNK_BYTES, FILE_WINDOW_CHUNKS } from '../../src/node/constants.ts';
import type { SealedFiles } from '../../src/node/files/sealed-files.ts';
import type { FileAudience, FileDescriptor } from '../../src/node/files/types.ts';
import { testContext } from '../helpers/context.ts';
import { diskFileStore, levelFileStore, patternBytes, removeTempDirs, type FileStoreMaker } from '../helpers/file-stores.ts';

after(removeTempDirs);

const BOB: FileAudience = { kind: 'contact', peerId: 'peer-bob' };
const ALICE: FileAudience = { kind: 'contact', peerId: 'peer-alice' };
const C = FILE_CHUNK_BYTES;

/** The whole plaintext of a complete file. */
async function plaintextOf(files: SealedFiles, id: string): Promise<Bytes> {
  const parts: Bytes[] = [];
  for await (const part of files.plaintext(id)) parts.push(part);
  return concatBytes(...parts);
}

/** Copies the manifest and the chunks `indexes` (all by default) of `id` from `from` into `target`, in that order. */
async function copyChunks(from: SealedFiles, id: string, target: Awaited<ReturnType<SealedFiles['target']>>, indexes?: number[]): Promise<void> {
  if (!(await target.manifest())) await target.putManifest((await from.manifest(id))!);
  for (const i of indexes ?? (await target.missing())) await target.writeChunk(i, (await from.readChunk(id, i))!);
}

const MAKERS: [string, FileStoreMaker][] = [
  ['home (disk)', diskFileStore],
  ['page (level)', levelFileStore],
];

for (const [kind, make] of MAKERS) {
  describe(`file store contract: ${kind}`, () => {
    for (const size of [0, 1, 1000, C, 3 * C, 3 * C + 1]) {
      test(`${size} bytes: imported, served and read back byte for byte`, async () => {
        const ctx = testContext(`import-${size}`);
        const { files } = await make(ctx);
        const bytes = patternBytes(size, size + 1);
        const d = await files.importBytes('photo.png', bytes, BOB);
        const id = toHex(d.fileId);
        assert.equal(d.name, 'photo.png');
        assert.equal(d.type, 'image/png');
        assert.equal(d.size, size);
        assert.deepEqual(d.sha256, ctx.primitives.sha256(bytes));
        const n = chunkCount(size);
        const manifest = (await files.manifest(id))!;
        assert.deepEqual(fileIdOf(ctx.primitives, size, manifest), d.fileId, 'F is the hash of the manifest');
        for (let i = 0; i < n; i++) assert.ok(chunkMatches(ctx.primitives, manifest, i, (await files.readChunk(id, i))!), `chunk ${i} matches the manifest`);
        assert.equal(await files.readChunk(id, n), undefined);
        assert.deepEqual(await files.held(id), { chunks: n, bitmap: Uint8Array.of(2 ** n - 1) });
        assert.equal(d.inline.length, size <= 32 * 1024 ? size + 16 : 0, 'the one sealed chunk inline for a small file');
        assert.deepEqual(await files.state(id), { state: 'complete' });
        assert.deepEqual(await plaintextOf(files, id), bytes);
      });
    }

    test('a fetch written out of order: pending, partial with the bytes held, complete only after verify', async () => {
      const ctx = testContext('out-of-order');
      const sender = (await make(ctx)).files;
      const { files: receiver } = await make(testContext('receiver'));
      const bytes = patternBytes(5 * C + 77, 9);
      const d = await sender.importBytes('notes.txt', bytes, BOB);
      const id = toHex(d.fileId);
      const target = await receiver.target(d, ALICE, 'm1');
      assert.deepEqual(await receiver.state(id), { state: 'pending' });
      assert.deepEqual(await target.missing(), [0, 1, 2, 3, 4, 5]);
      await copyChunks(sender, id, target, [5, 2, 0]);
      assert.deepEqual(await target.missing(), [1, 3, 4]);
      assert.deepEqual(await receiver.state(id), { state: 'partial', received: 2 * C + 77 });
      assert.deepEqual(await receiver.held(id), { chunks: 6, bitmap: Uint8Array.of(0b100101) }, 'a holder serves what it has');
      await copyChunks(sender, id, target);
      assert.deepEqual(await receiver.state(id), { state: 'partial', received: bytes.length }, 'not complete before the digest is checked');
      assert.deepEqual(await receiver.incomplete().then((f) => f.map((r) => r.id)), [id]);
      assert.deepEqual(await receiver.verify(id), { state: 'complete' });
      assert.deepEqual(await receiver.incomplete(), []);
      assert.deepEqual(await plaintextOf(receiver, id), bytes);
      assert.deepEqual((await receiver.record(id))?.messages, ['m1']);
    });

    test('dropped without closing and reopened (a kill -9): no chunk written is lost, the ones after the last flush kept by their hash; one whose bytes are wrong is missing', async () => {
      const ctx = testContext('resume');
      const sender = (await make(ctx)).files;
      const under = await make(testContext('resume-receiver'));
      const n = 3 * FILE_WINDOW_CHUNKS + 3;
      const bytes = patternBytes(n * C - 5, 4);
      const d = await sender.importBytes('big.bin', bytes, BOB);
      const id = toHex(d.fileId);
      const order = [...Array(n).keys()].reverse();
      const written = order.slice(0, 2 * FILE_WINDOW_CHUNKS + 5);
      await copyChunks(sender, id, await under.files.target(d, ALICE, 'm1'), written);
      await under.store.sync();
      // A power loss can leave a chunk written after the last flush without its bytes: it does not match its hash.
      const damaged = written.at(-1)!;
      const space = (under.files as unknown as { chunks: { write(id: string, index: number, sealed: Uint8Array): Promise<void> } }).chunks;
      await space.write(id, damaged, new Uint8Array((await sender.readChunk(id, damaged))!.length));
      // The old store object is dropped as a killed process drops it: no close, nothing flushed.
      const reopened = await under.reopen();
      const missing = await (await reopened.target(d, ALICE, 'm1')).missing();
      const lost = written.filter((i) => missing.includes(i));
      assert.deepEqual(
        missing.filter((i) => !lost.includes(i)),
        order.slice(written.length).sort((a, b) => a - b),
        'every chunk never written is missing',
      );
      assert.deepEqual(lost, [damaged], 'only the chunk whose bytes do not match is fetched again');
      for (let i = 0; i < n; i++) if (!missing.includes(i)) assert.deepEqual(await reopened.readChunk(id, i), await sender.readChunk(id, i), `chunk ${i} kept`);
      await copyChunks(sender, id, await reopened.target(d, ALICE, 'm1'));
      assert.deepEqual(await reopened.verify(id), { state: 'complete' });
      assert.deepEqual(await plaintextOf(reopened, id), bytes);
    });

    test('a file over the quota fails at once with FileQuotaError and nothing is recorded', async () => {
      const sender = (await make(testContext('quota-sender'))).files;
      const under = await make(testContext('quota'), { quotaBytes: 3 * C });
      const first = await sender.importBytes('a.bin', patternBytes(2 * C, 1), BOB);
      const second = await sender.importBytes('b.bin', patternBytes(C + 1, 2), BOB);
      await under.files.target(first, ALICE, 'm1');
      assert.deepEqual(await under.files.usage(), { usedBytes: 2 * C, quotaBytes: 3 * C });
      await assert.rejects(under.files.target(second, ALICE, 'm2'), (err: Error) => {
        assert.equal(err.name, 'FileQuotaError');
        assert.match(err.message, /^received files would exceed the quota of 0\.75 MiB; delete some or raise it: sotto config set files-quota SIZE$/);
        return true;
      });
      assert.equal(await under.files.state(toHex(second.fileId)), undefined);
      assert.equal(await under.store.getFile(toHex(second.fileId)), undefined);
      assert.deepEqual(await under.files.usage(), { usedBytes: 2 * C, quotaBytes: 3 * C });
      await under.files.target(first, ALICE, 'm3');
      assert.deepEqual((await under.files.record(toHex(first.fileId)))?.messages, ['m1', 'm3'], 'a second message of a file reserves nothing more');
    });

    test('a sender whose digest does not match: failed, never complete, not readable', async () => {
      const sender = (await make(testContext('liar'))).files;
      const { files: receiver } = await make(testContext('liar-receiver'));
      const d = await sender.importBytes('x.bin', patternBytes(2 * C + 3, 5), BOB);
      const lie: FileDescriptor = { ...d, sha256: new Uint8Array(32).fill(7) };
      const id = toHex(d.fileId);
      await copyChunks(sender, id, await receiver.target(lie, ALICE, 'm1'));
      assert.deepEqual(await receiver.verify(id), { state: 'failed', reason: 'digest does not match' });
      assert.deepEqual(await receiver.state(id), { state: 'failed', reason: 'digest does not match' });
      await assert.rejects(plaintextOf(receiver, id), { name: 'FileNotCompleteError' });
      assert.equal(await receiver.held(id), undefined, 'a failed file is not served');
    });

    test('a chunk that does not open under the key: failed with the chunk named', async () => {
      const sender = (await make(testContext('wrong-key'))).files;
      const { files: receiver } = await make(testContext('wrong-key-receiver'));
      const d = await sender.importBytes('x.bin', patternBytes(C + 3, 6), BOB);
      const id = toHex(d.fileId);
      await copyChunks(sender, id, await receiver.target({ ...d, key: new Uint8Array(32).fill(1) }, ALICE, 'm1'));
      assert.deepEqual(await receiver.verify(id), { state: 'failed', reason: 'chunk 0 does not open' });
    });

    test('delete removes chunks and records; release deletes with the last message', async () => {
      const under = await make(testContext('delete'));
      const { files } = under;
      const d = await files.importBytes('a.bin', patternBytes(3 * C, 1), BOB);
      const id = toHex(d.fileId);
      await files.attach(id, 'm1');
      await files.attach(id, 'm2');
      assert.ok((await under.chunkArtefacts()) > 0);
      await files.release(id, 'm1');
      assert.deepEqual(await files.state(id), { state: 'complete' }, 'kept while a message references it');
      assert.deepEqual((await files.record(id))?.messages, ['m2']);
      await files.release(id, 'm2');
      assert.equal(await files.state(id), undefined);
      assert.equal(await files.readChunk(id, 0), undefined);
      assert.deepEqual(await under.store.listFiles(), []);
      assert.equal(await under.store.getFileManifest(id), undefined);
      assert.equal(await under.store.getFileBitmap(id), undefined);
      assert.equal(await under.chunkArtefacts(), 0);
      const other = toHex((await files.importBytes('b.bin', patternBytes(10, 2), BOB)).fileId);
      await files.delete(other);
      assert.equal(await under.chunkArtefacts(), 0);
      assert.deepEqual(await under.store.listFiles(), []);
    });

    test('who may fetch: the contact of a 1:1 file, the current members of a group', async () => {
      const members = new Set(['peer-carol']);
      const { files } = await make(testContext('may-fetch'), { isGroupMember: async (groupId, peerId) => groupId === 'g1' && members.has(peerId) });
      const direct = toHex((await files.importBytes('a.txt', patternBytes(10, 1), BOB)).fileId);
      const group = toHex((await files.importBytes('b.txt', patternBytes(10, 2), { kind: 'group', groupId: 'g1' })).fileId);
      assert.equal(await files.mayFetch(direct, 'peer-bob'), true);
      assert.equal(await files.mayFetch(direct, 'peer-carol'), false);
      assert.equal(await files.mayFetch(group, 'peer-carol'), true);
      members.delete('peer-carol');
      assert.equal(await files.mayFetch(group, 'peer-carol'), false, 'a removed member is refused');
      assert.equal(await files.mayFetch('00'.repeat(32), 'peer-bob'), false, 'an unknown file');
    });

    test('names with a separator or a control character are refused before anything is kept', async () => {
      const under = await make(testContext('names'));
      for (const [name, reason] of [
        ['a/b', 'has a path separator (/ or \\); rename the file'],
        ['a\\b', 'has a path separator (/ or \\); rename the file'],
        ['a\u0007b', 'has a control character; rename the file'],
        ['a\u202eb', 'has a bidirectional control character; rename the file'],
        ['..', 'is ".."; rename the file'],
        ['', 'is empty; name the file'],
      ]) {
        await assert.rejects(under.files.importBytes(name!, patternBytes(10), BOB), (err: Error) => err.name === 'FileNameError' && err.message === `the file name ${reason}`);
      }
      assert.equal(await under.chunkArtefacts(), 0);
      assert.deepEqual(await under.store.listFiles(), []);
    });
  });
}

describe('file store: writes racing a delete, a manifest of another file', () => {
  for (const [kind, make] of MAKERS) {
    test(`${kind}: a chunk written while its file is deleted leaves no chunk and no record`, async () => {
      const sender = (await make(testContext('race-sender'))).files;
      const under = await make(testContext('race'));
      const d = await sender.importBytes('a.bin', patternBytes(3 * C, 1), BOB);
      const id = toHex(d.fileId);
      const target = await under.files.target(d, ALICE, 'm1');
      const chunk = (await sender.readChunk(id, 0))!;
      const [written] = await Promise.allSettled([target.writeChunk(0, chunk), under.files.delete(id)]);
      if (written.status === 'rejected') assert.equal((written.reason as Error).name, 'UnknownFileError');
      await assert.rejects(target.writeChunk(1, (await sender.readChunk(id, 1))!), { name: 'UnknownFileError' });
      assert.equal(await under.chunkArtefacts(), 0);
      assert.equal(await under.store.getFileBitmap(id), undefined);
      assert.deepEqual(await under.store.listFiles(), []);
    });

    test(`${kind}: a manifest that does not make the file id is refused`, async () => {
      const sender = (await make(testContext('manifest-sender'))).files;
      const { files } = await make(testContext('manifest'));
      const d = await sender.importBytes('a.bin', patternBytes(2 * C, 1), BOB);
      const other = await sender.importBytes('b.bin', patternBytes(2 * C, 2), BOB);
      const target = await files.target(d, ALICE, 'm1');
      await assert.rejects(target.putManifest((await sender.manifest(toHex(other.fileId)))!), RangeError);
      assert.equal(await target.manifest(), undefined);
      await target.putManifest((await sender.manifest(toHex(d.fileId)))!);
      assert.deepEqual(await target.manifest(), await sender.manifest(toHex(d.fileId)));
    });
  }
});

describe('file store: small files inside their message, a page reading a file', () => {
  for (const [kind, make] of MAKERS) {
    test(`${kind}: an inline chunk is kept and checked at once; one that opens to another digest is failed; one of another file refused`, async () => {
      const sender = (await make(testContext('inline-sender'))).files;
      const under = await make(testContext('inline'));
      const bytes = patternBytes(20_000, 8);
      const d = await sender.importBytes('note.md', bytes, BOB);
      assert.deepEqual(await under.files.storeInline(d, ALICE, 'm1'), { state: 'complete' });
      assert.deepEqual(await plaintextOf(under.files, toHex(d.fileId)), bytes);
      assert.deepEqual(await under.files.storeInline(d, ALICE, 'm2'), { state: 'complete' }, 'the same file in a second message');
      assert.deepEqual((await under.files.record(toHex(d.fileId)))?.messages, ['m1', 'm2']);
      const liar = await sender.importBytes('x.md', patternBytes(100, 9), BOB);
      assert.deepEqual(await under.files.storeInline({ ...liar, sha256: new Uint8Array(32) }, ALICE, 'm3'), { state: 'failed', reason: 'digest does not match' });
      const other = await sender.importBytes('y.md', patternBytes(100, 10), BOB);
      await assert.rejects(under.files.storeInline({ ...other, inline: d.inline }, ALICE, 'm4'), RangeError);
      assert.equal(await under.files.record(toHex(other.fileId)), undefined, 'nothing recorded for it');
      const big = await sender.importBytes('big.bin', patternBytes(C + 1, 1), BOB);
      await assert.rejects(under.files.storeInline(big, ALICE, 'm5'), RangeError);
    });
  }

  test('a page reads a complete file chunk by chunk, as a Blob wants it', async () => {
    const { files } = await levelFileStore(testContext('page-read'));
    const bytes = patternBytes(2 * C + 9, 12);
    const id = toHex((await files.importBytes('photo.webp', bytes, BOB)).fileId);
    const parts: Bytes[] = [];
    for await (const part of files.read(id)) parts.push(part);
    assert.deepEqual(
      parts.map((p) => p.length),
      [C, C, 9],
    );
    assert.deepEqual(concatBytes(...parts), bytes);
  });
});
