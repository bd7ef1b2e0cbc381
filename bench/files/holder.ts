/**
 * The holder process of the files benchmark, spawned by it with an IPC
 * channel: `node --import tsx bench/files/holder.ts <dir> <size>`. It seals
 * a file of <size> bytes into <dir> under a fresh key, starts a Sotto node
 * on loopback that serves it over /sotto/file (./disk-store.ts's holdings)
 * and over the bare BULK protocol (./bulk.ts), reports "ready" with its
 * peer id, addresses, the file id and key, then answers the benchmark's
 * requests until "stop".
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import { toHex } from '../../src/crypto/bytes.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { FILE_CHUNK_BYTES } from '../../src/node/constants.ts';
import { serveFiles } from '../../src/node/files/transfer-server.ts';
import { createNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import { sendToParent, serveRequests, type RequestMessage } from '../rpc.ts';
import { DiskHoldings, writeSealedFile } from './disk-store.ts';
import { BULK_PROTOCOL, serveBulk } from './bulk.ts';
import type { HolderReady, HolderRequests } from './ipc.ts';
import { sampleRss } from './rss.ts';

const [dir, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg);
if (!dir || !Number.isSafeInteger(size) || !process.send) {
  console.error('usage: node --import tsx bench/files/holder.ts <dir> <size> (spawned by the files benchmark, with an IPC channel)');
  process.exit(2);
}

const ctx = await nodeCryptoContext(() => Date.now());
const key = ctx.randomBytes(32);
const sealStart = performance.now();
const file = await writeSealedFile(ctx.primitives, join(dir, 'sealed'), size, key, ctx.randomBytes(FILE_CHUNK_BYTES));
const sealMs = performance.now() - sealStart;
const handle = await open(file.path, 'r');
const audience = new Set<string>();
const node = await createNode({ identity: await generateIdentity(ctx), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] });
const server = await serveFiles({ network: libp2pNetwork(node), holdings: new DiskHoldings(file, handle, audience), scheduler: realScheduler });
await serveBulk(node, file, handle);
const rss = sampleRss();

const close = async (): Promise<void> => {
  rss.stop();
  server.stop();
  await node.stop();
  await handle.close();
};

serveRequests<HolderRequests>(async (request: RequestMessage<HolderRequests>) => {
  switch (request.name) {
    case 'allow':
      audience.add((request.args as HolderRequests['allow']['args']).peerId);
      return null;
    case 'rss': {
      const peaks = rss.peaks();
      if ((request.args as HolderRequests['rss']['args']).reset) rss.reset();
      return peaks;
    }
    case 'stop':
      await close();
      return null;
  }
});
process.on('disconnect', () => {
  void close().finally(() => process.exit(0));
});

sendToParent<HolderReady>({ ready: true, peerId: node.peerId, addresses: node.addresses(), fileId: file.fileId, size, key: toHex(key), sealMs, bulk: BULK_PROTOCOL });
