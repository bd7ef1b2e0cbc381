/**
 * What a home's file store does with the file system (docs/FILES.md, "Kept
 * encrypted"; issue "Bad input"): a local file imported, read once, and
 * saved byte for byte; a file that changes while it is read; a disk that
 * fills up; a save that never leaves anything unchecked under its name; a
 * destination that exists; chunks no record names swept at open.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, open, readdir, readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import * as fsPromises from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../src/crypto/bytes.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { FILE_CHUNK_BYTES, FILE_WINDOW_CHUNKS } from '../../src/node/constants.ts';
import type { FileSystem } from '../../src/node/files/disk-chunks.ts';
import type { FileAudience } from '../../src/node/files/types.ts';
import { testContext } from '../helpers/context.ts';
import { diskFileStore, patternBytes, removeTempDirs, sealedPattern, tempDir } from '../helpers/file-stores.ts';

after(removeTempDirs);

const BOB: FileAudience = { kind: 'contact', peerId: 'peer-bob' };
const C = FILE_CHUNK_BYTES;

/** A file system whose handles of paths matching `match` go through `wrap`. */
function wrapHandles(match: (path: string) => boolean, wrap: (handle: FileHandle) => FileHandle): FileSystem {
  return {
    ...fsPromises,
    open: (async (path: string, ...rest: unknown[]) => {
      const handle = await (fsPromises.open as (...a: unknown[]) => Promise<FileHandle>)(path, ...rest);
      return match(String(path)) ? wrap(handle) : handle;
    }) as FileSystem['open'],
  };
}

/** A handle whose `method` runs `before` first each time it is called. */
function hooked(handle: FileHandle, method: 'read' | 'write' | 'datasync', before: (args: unknown[]) => Promise<void>): FileHandle {
  return new Proxy(handle, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        await before(args);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A file system whose chunks files fail `method` with ENOSPC whenever `full()` says so. */
function fillingDisk(method: 'write' | 'datasync', full: () => boolean): FileSystem {
  return wrapHandles(
    (path) => path.endsWith('.chunks'),
    (handle) =>
      hooked(handle, method, async () => {
        if (full()) throw Object.assign(new Error(`ENOSPC: no space left on device, ${method}`), { code: 'ENOSPC' });
      }),
  );
}

async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

for (const size of [0, C, 3 * C, 3 * C + 1]) {
  test(`a local file of ${size} bytes: imported and saved byte for byte, into a folder under its own name`, async () => {
    const { files } = await diskFileStore(testContext(`disk-${size}`));
    const dir = await tempDir();
    const source = join(dir, 'holiday photo.jpg');
    const bytes = patternBytes(size, size + 3);
    await writeFile(source, bytes);
    const d = await files.importFile(source, BOB);
    assert.equal(d.name, 'holiday photo.jpg');
    assert.equal(d.type, 'image/jpeg');
    const out = await tempDir();
    assert.equal(await files.save(toHex(d.fileId), out), join(out, 'holiday photo.jpg'));
    assert.deepEqual(await readFile(join(out, 'holiday photo.jpg')), Buffer.from(bytes));
    assert.deepEqual(await filesIn(out), ['holiday photo.jpg'], 'no temporary file left');
  });
}

test('a destination that exists is refused and left as it was; overwrite replaces it', async () => {
  const { files } = await diskFileStore(testContext('exists'));
  const id = toHex((await files.importBytes('a.txt', patternBytes(1000, 1), BOB)).fileId);
  const out = await tempDir();
  const dest = join(out, 'a.txt');
  await writeFile(dest, 'mine');
  await assert.rejects(files.save(id, dest), (err: Error) => err.name === 'FileExistsError' && err.message === `${dest} exists already`);
  await assert.rejects(files.save(id, out), { name: 'FileExistsError' }, 'the same inside a folder');
  assert.equal(await readFile(dest, 'utf8'), 'mine');
  await files.save(id, dest, { overwrite: true });
  assert.deepEqual(await readFile(dest), Buffer.from(patternBytes(1000, 1)));
  assert.deepEqual(await filesIn(out), ['a.txt']);
});

test('a file name with a control character is refused with a clear message, nothing kept', async () => {
  const under = await diskFileStore(testContext('bad-name'));
  const dir = await tempDir();
  const source = join(dir, 'report\u0001.pdf');
  await writeFile(source, 'x');
  await assert.rejects(under.files.importFile(source, BOB), (err: Error) => err.name === 'FileNameError' && err.message === 'the file name has a control character; rename the file');
  assert.equal(await under.chunkArtefacts(), 0);
  assert.deepEqual(await under.store.listFiles(), []);
});

for (const [change, act] of [
  ['grows', (path: string) => appendFile(path, 'more')],
  ['shrinks', (path: string) => truncate(path, C + 10)],
  ['is rewritten in place (same size, new time)', (path: string) => utimes(path, new Date(), new Date(Date.UTC(2030, 0, 1)))],
] as const) {
  test(`a file that ${change} while it is read fails with FileChangedError and leaves nothing`, async () => {
    const dir = await tempDir();
    const source = join(dir, 'log.txt');
    await writeFile(source, patternBytes(3 * C + 5, 2));
    let reads = 0;
    const fs = wrapHandles(
      (path) => path === source,
      (handle) =>
        hooked(handle, 'read', async () => {
          if (++reads === 2) await act(source);
        }),
    );
    const under = await diskFileStore(testContext(`changed-${change}`), { fs });
    await assert.rejects(under.files.importFile(source, BOB), (err: Error) => err.name === 'FileChangedError' && err.message.startsWith(`${source} changed while it was read`));
    assert.ok(reads >= 2, 'the change came while the file was read');
    assert.equal(await under.chunkArtefacts(), 0, 'no sealed chunks left');
    assert.deepEqual(await under.store.listFiles(), []);
  });
}

test('a disk that fills up: FileDiskFullError, the chunk not recorded, the file partial; it resumes when there is room', async () => {
  let full = false;
  const fs = fillingDisk('write', () => full);
  const under = await diskFileStore(testContext('enospc'), { fs });
  const pattern = sealedPattern(nodePrimitives, 4 * C, 7);
  const id = toHex(pattern.descriptor.fileId);
  const target = await under.files.target(pattern.descriptor, BOB, 'm1');
  await target.writeChunk(0, pattern.sealed(0));
  full = true;
  await assert.rejects(target.writeChunk(1, pattern.sealed(1)), (err: Error) => err.name === 'FileDiskFullError' && err.message === `the disk is full: file ${id} stays partial until there is room`);
  assert.deepEqual(await target.missing(), [1, 2, 3]);
  assert.deepEqual(await under.files.state(id), { state: 'partial', received: C });
  assert.deepEqual(await under.files.verify(id), { state: 'partial', received: C }, 'not complete');
  full = false;
  for (const i of [1, 2, 3]) await target.writeChunk(i, pattern.sealed(i));
  assert.deepEqual(await under.files.verify(id), { state: 'complete' });
});

test('a disk that fills up only when the window is flushed: the window is missing again, FileDiskFullError', async () => {
  let full = false;
  const fs = fillingDisk('datasync', () => full);
  const under = await diskFileStore(testContext('enospc-flush'), { fs });
  const n = FILE_WINDOW_CHUNKS + 2;
  const pattern = sealedPattern(nodePrimitives, n * C, 8);
  const id = toHex(pattern.descriptor.fileId);
  const target = await under.files.target(pattern.descriptor, BOB, 'm1');
  for (let i = 0; i < FILE_WINDOW_CHUNKS - 1; i++) await target.writeChunk(i, pattern.sealed(i));
  full = true;
  await assert.rejects(target.writeChunk(FILE_WINDOW_CHUNKS - 1, pattern.sealed(FILE_WINDOW_CHUNKS - 1)), { name: 'FileDiskFullError' });
  assert.deepEqual(await target.missing(), [...Array(n).keys()], 'the chunks of the window that was not flushed are fetched again');
  assert.deepEqual(await under.files.state(id), { state: 'pending' });
  assert.equal(await under.store.getFileBitmap(id), undefined, 'nothing recorded');
  full = false;
  for (let i = 0; i < n; i++) await target.writeChunk(i, pattern.sealed(i));
  assert.deepEqual(await under.files.verify(id), { state: 'complete' });
});

test('a disk that fills up during an import: FileDiskFullError and nothing left', async () => {
  let writes = 0;
  const fs = fillingDisk('write', () => ++writes === 2);
  const under = await diskFileStore(testContext('enospc-import'), { fs });
  await assert.rejects(under.files.importBytes('a.bin', patternBytes(3 * C, 1), BOB), { name: 'FileDiskFullError' });
  assert.equal(await under.chunkArtefacts(), 0);
  assert.deepEqual(await under.store.listFiles(), []);
});

test('a chunk altered on disk after it was checked: the save fails, nothing under the destination, the file failed', async () => {
  const under = await diskFileStore(testContext('altered'));
  const id = toHex((await under.files.importBytes('a.bin', patternBytes(3 * C, 1), BOB)).fileId);
  const chunksFile = join(under.files.folder, `${id}.chunks`);
  const handle = await open(chunksFile, 'r+');
  await handle.write(Uint8Array.of(0xff ^ (await readFile(chunksFile))[2 * C + 40]!), 0, 1, 2 * (C + 16) + 40);
  await handle.close();
  const out = await tempDir();
  await assert.rejects(under.files.save(id, join(out, 'a.bin')), { name: 'FileDigestError' });
  assert.deepEqual(await filesIn(out), [], 'nothing under the final name, no temporary file');
  assert.deepEqual(await under.files.state(id), { state: 'failed', reason: 'digest does not match' });
  await assert.rejects(under.files.save(id, join(out, 'a.bin')), { name: 'FileNotCompleteError' });
});

test('a file not complete is not saved', async () => {
  const under = await diskFileStore(testContext('partial-save'));
  const pattern = sealedPattern(nodePrimitives, 2 * C, 3);
  const target = await under.files.target(pattern.descriptor, BOB, 'm1');
  await target.writeChunk(1, pattern.sealed(1));
  const out = await tempDir();
  await assert.rejects(under.files.save(toHex(pattern.descriptor.fileId), join(out, 'x')), (err: Error) => err.name === 'FileNotCompleteError' && /is partial, not complete$/.test(err.message));
  assert.deepEqual(await filesIn(out), []);
});

test('at open, chunks that no record names (an import or a delete cut short) are deleted', async () => {
  const under = await diskFileStore(testContext('sweep'));
  const kept = toHex((await under.files.importBytes('a.bin', patternBytes(10, 1), BOB)).fileId);
  await writeFile(join(under.files.folder, 'import-0011.chunks'), 'half an import');
  await writeFile(join(under.files.folder, `${'ab'.repeat(32)}.chunks`), 'a deleted file');
  await mkdir(join(under.files.folder, 'other'), { recursive: true });
  const reopened = await under.reopen();
  assert.deepEqual(await filesIn(reopened.folder), [`${kept}.chunks`, 'other']);
  assert.deepEqual(await reopened.state(kept), { state: 'complete' });
});

test('a 64 MiB file: imported and saved byte for byte, one chunk in memory at a time (RSS noted)', async (t) => {
  const { files } = await diskFileStore(testContext('big'));
  const dir = await tempDir();
  const source = join(dir, 'big.bin');
  const size = 64 * 1024 * 1024 + 1;
  const pattern = sealedPattern(nodePrimitives, size, 11);
  const handle = await open(source, 'w');
  for (let i = 0; i * C < size; i++) await handle.write(pattern.plain(i));
  await handle.close();
  const before = process.memoryUsage().rss;
  const d = await files.importFile(source, BOB);
  assert.deepEqual(d.sha256, pattern.descriptor.sha256);
  const dest = join(dir, 'saved.bin');
  await files.save(toHex(d.fileId), dest);
  assert.equal((await stat(dest)).size, size);
  const hasher = nodePrimitives.sha256Hasher();
  const saved = await open(dest, 'r');
  for await (const piece of saved.readableWebStream() as AsyncIterable<Uint8Array>) hasher.update(piece);
  await saved.close();
  assert.deepEqual(hasher.digest(), d.sha256);
  t.diagnostic(`RSS ${Math.round(before / 2 ** 20)} MiB before the import, ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB after import and save of ${Math.round(size / 2 ** 20)} MiB`);
});
