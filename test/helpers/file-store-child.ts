/**
 * A receiver writing a file into a home's file store until it is killed
 * (test/node/file-store-crash.test.ts):
 *
 *   node --import tsx test/helpers/file-store-child.ts HOME SIZE SEED
 *
 * It writes the chunks of sealedPattern(SIZE, SEED) in a scattered order and
 * prints `wrote <index> <maxRSS kB>` after each write returns, then `done`.
 */
import { join } from 'node:path';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { chunkCount } from '../../src/crypto/file-cipher.ts';
import { FileStore } from '../../src/node/files/file-store.ts';
import { openLevelStore } from '../../src/node/store/level.ts';
import { testContext } from './context.ts';
import { sealedPattern, scatteredOrder } from './file-stores.ts';

const [home, size, seed] = process.argv.slice(2) as [string, string, string];
const store = await openLevelStore(join(home, 'db'));
const files = await FileStore.open({ store, ctx: testContext('file-store-child'), dir: join(home, 'files') });
const pattern = sealedPattern(nodePrimitives, Number(size), Number(seed));
const target = await files.target(pattern.descriptor, { kind: 'contact', peerId: 'peer-sender' }, 'm1');
for (const i of scatteredOrder(chunkCount(Number(size)))) {
  await target.writeChunk(i, pattern.sealed(i));
  process.stdout.write(`wrote ${i} ${process.resourceUsage().maxRSS}\n`);
}
process.stdout.write('done\n');
await files.close();
await store.close();
