/**
 * A receiver killed with SIGKILL halfway through writing a 64 MiB file
 * (docs/FILES.md, "Resumable"): reopened, its store names as missing
 * exactly the chunks whose bits were not recorded, at most one window of
 * chunks written before the kill is fetched again, every chunk it keeps is
 * intact, and the file completes and saves byte for byte.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../src/crypto/bytes.ts';
import { chunkCount } from '../../src/crypto/file-cipher.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { FILE_WINDOW_CHUNKS } from '../../src/node/constants.ts';
import { FileStore } from '../../src/node/files/file-store.ts';
import { openLevelStore } from '../../src/node/store/level.ts';
import { testContext } from '../helpers/context.ts';
import { removeTempDirs, sealedPattern, tempDir } from '../helpers/file-stores.ts';

after(removeTempDirs);

const SIZE = 64 * 1024 * 1024 + 12_345;
const SEED = 64;

test('kill -9 halfway through a 64 MiB file: resumes with the chunks not recorded, at most one window lost', async (t) => {
  const home = await tempDir();
  const n = chunkCount(SIZE);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../helpers/file-store-child.ts'), home, String(SIZE), String(SEED)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const reported: number[] = [];
  let maxRssKb = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [word, index, rss] = line.split(' ');
    if (word !== 'wrote') continue;
    reported.push(Number(index));
    maxRssKb = Number(rss);
    if (reported.length === Math.floor(n / 2) + 3) {
      child.kill('SIGKILL');
      break;
    }
  }
  assert.equal(await exited, 'SIGKILL', 'the child was killed before it finished');
  t.diagnostic(`the writer's peak RSS by the kill: ${Math.round(maxRssKb / 1024)} MiB, with ${reported.length} of ${n} chunks written`);

  const store = await openLevelStore(join(home, 'db'));
  const files = await FileStore.open({ store, ctx: testContext('file-store-crash'), dir: join(home, 'files') });
  const pattern = sealedPattern(nodePrimitives, SIZE, SEED);
  const id = toHex(pattern.descriptor.fileId);
  const target = await files.target(pattern.descriptor, { kind: 'contact', peerId: 'peer-sender' }, 'm1');
  const missing = await target.missing();
  const lost = reported.filter((i) => missing.includes(i));
  const neverReported = [...Array(n).keys()].filter((i) => !reported.includes(i));
  assert.ok(lost.length < FILE_WINDOW_CHUNKS, `${lost.length} chunks written before the kill are missing: less than one window`);
  assert.ok(
    neverReported.every((i) => missing.includes(i) || i === neverReported[0]),
    'no chunk the writer had not reached is recorded (the one in flight may be)',
  );
  assert.equal(missing.length, n - (reported.length - lost.length) - (missing.includes(neverReported[0]!) ? 0 : 1));
  for (let i = 0; i < n; i++) if (!missing.includes(i)) assert.deepEqual(await files.readChunk(id, i), pattern.sealed(i), `chunk ${i} intact`);
  t.diagnostic(`${lost.length} chunks written before the kill were not recorded and are fetched again`);

  for (const i of missing) await target.writeChunk(i, pattern.sealed(i));
  assert.deepEqual(await files.verify(id), { state: 'complete' });
  const dest = join(home, 'saved.bin');
  await files.save(id, dest);
  assert.deepEqual(nodePrimitives.sha256(await readFile(dest)), pattern.descriptor.sha256, 'saved byte for byte');
  await files.close();
  await store.close();
});
