/**
 * The holder process of the files benchmark, spawned by it with an IPC
 * channel: `node dist/bench-files/holder.mjs <dir> <size> <store>`. It seals
 * a file of <size> bytes into <dir> under a fresh key in the store named
 * (./stores.ts), starts a Sotto node on loopback that serves it over
 * /sotto/file and over the bare BULK protocol (./bulk.ts), reports "ready"
 * with its peer id, addresses, the file id and key, then answers the
 * benchmark's requests until "stop".
 */
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import { toHex } from '../../src/crypto/bytes.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { FILE_CHUNK_BYTES } from '../../src/node/constants.ts';
import { serveFiles } from '../../src/node/files/transfer-server.ts';
import type { FileHoldings } from '../../src/node/files/types.ts';
import { createNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import { sendToParent, serveRequests, type RequestMessage } from '../rpc.ts';
import { BENCH_STORES } from './stores.ts';
import { BULK_PROTOCOL, serveBulk } from './bulk.ts';
import type { HolderReady, HolderRequests } from './ipc.ts';
import { sampleRss } from './rss.ts';

const [dir, sizeArg, storeName] = process.argv.slice(2);
const size = Number(sizeArg);
const store = BENCH_STORES[storeName ?? ''];
if (!dir || !Number.isSafeInteger(size) || !store || !process.send) {
  console.error(`usage: node dist/bench-files/holder.mjs <dir> <size> <${Object.keys(BENCH_STORES).join('|')}> (spawned by the files benchmark, with an IPC channel)`);
  process.exit(2);
}

const ctx = await nodeCryptoContext(() => Date.now());
const key = ctx.randomBytes(32);
const sealStart = performance.now();
const held = await store.hold(dir, ctx.primitives, size, key, ctx.randomBytes(FILE_CHUNK_BYTES));
const sealMs = performance.now() - sealStart;
const node = await createNode({ identity: await generateIdentity(ctx), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] });
let served = 0;
const counted: FileHoldings = {
  manifest: (id) => held.holdings.manifest(id),
  held: (id) => held.holdings.held(id),
  mayFetch: (id, peerId) => held.holdings.mayFetch(id, peerId),
  readChunk: async (id, index) => {
    const chunk = await held.holdings.readChunk(id, index);
    if (chunk) served++;
    return chunk;
  },
};
const server = await serveFiles({ network: libp2pNetwork(node), holdings: counted, scheduler: realScheduler });
await serveBulk(node, held);
const rss = sampleRss();

const close = async (): Promise<void> => {
  rss.stop();
  server.stop();
  await node.stop();
  await held.close();
};

serveRequests<HolderRequests>(async (request: RequestMessage<HolderRequests>) => {
  switch (request.name) {
    case 'allow':
      held.allow((request.args as HolderRequests['allow']['args']).peerId);
      return null;
    case 'rss': {
      const peaks = rss.peaks();
      if ((request.args as HolderRequests['rss']['args']).reset) rss.reset();
      return peaks;
    }
    case 'served': {
      const count = served;
      if ((request.args as HolderRequests['served']['args']).reset) served = 0;
      return count;
    }
    case 'stop':
      await close();
      return null;
  }
});
process.on('disconnect', () => {
  void close().finally(() => process.exit(0));
});

sendToParent<HolderReady>({ ready: true, peerId: node.peerId, addresses: node.addresses(), fileId: held.fileId, size, key: toHex(key), sealMs, bulk: BULK_PROTOCOL });
