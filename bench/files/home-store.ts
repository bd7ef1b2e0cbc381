/**
 * The home's own file store in the files benchmark (`--store home`): the
 * holder serves the sealed file as in ./disk-store.ts, and the fetcher
 * writes into a FileStore (src/node/files/file-store.ts) on a level store
 * in the benchmark's directory, as a running node does: chunks at their
 * offsets, flushed and recorded once per window. The same folder opened
 * again (a fetcher restarted after a kill -9) resumes with what was
 * recorded.
 */
import { join } from 'node:path';
import { fromHex } from '../../src/crypto/bytes.ts';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { chunksFileName } from '../../src/node/files/disk-chunks.ts';
import { FileStore } from '../../src/node/files/file-store.ts';
import { openLevelStore } from '../../src/node/store/level.ts';
import type { SottoStore } from '../../src/node/store/store.ts';
import { readSealedChunk } from './disk-store.ts';
import type { BenchTarget } from './stores.ts';
import { open } from 'node:fs/promises';

/** The message id the benchmark's incoming file is recorded under. */
const BENCH_MESSAGE_ID = '00'.repeat(16);

/** A home store opened in `dir/home` (the same one for every call in a process). */
let opened: Promise<{ store: SottoStore; files: FileStore }> | undefined;

function home(dir: string, ctx: CryptoContext): Promise<{ store: SottoStore; files: FileStore }> {
  opened ??= (async () => {
    const store = await openLevelStore(join(dir, 'home', 'db'));
    return { store, files: await FileStore.open({ store, ctx, dir: join(dir, 'home', 'files') }) };
  })();
  return opened;
}

/**
 * The incoming file `fileId` of `size` bytes in the home store under `dir`:
 * created the first time, resumed after (its chunks recorded are not
 * missing). The descriptor's digest and key are not the file's (the
 * benchmark never opens it through the store), so it is never verified.
 */
export async function homeTarget(dir: string, ctx: CryptoContext, fileId: string, size: number): Promise<BenchTarget> {
  const { files } = await home(dir, ctx);
  const descriptor = { name: 'bench.bin', type: '', size, sha256: new Uint8Array(32), fileId: fromHex(fileId), key: new Uint8Array(32), inline: new Uint8Array(0) };
  const target = await files.target(descriptor, { kind: 'contact', peerId: 'bench' }, BENCH_MESSAGE_ID);
  const chunksPath = join(files.folder, chunksFileName(fileId));
  return Object.assign(target, {
    readBack: async (index: number) => {
      const handle = await open(chunksPath, 'r');
      try {
        return await readSealedChunk(handle, { size }, index);
      } finally {
        await handle.close();
      }
    },
    discard: async () => {
      await files.delete(fileId);
    },
  });
}
