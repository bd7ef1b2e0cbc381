/**
 * The fetcher process of the files benchmark, spawned by it with an IPC
 * channel: `node dist/bench-files/fetcher.mjs <dir> <store>`. It starts a
 * Sotto node on loopback and, on request, fetches the holder's file over
 * /sotto/file (fetchFile) or over the bare BULK stream (./bulk.ts) into a
 * new target of the store named (./stores.ts), discarded after, and reports
 * the bytes, the time and its peak RSS during the fetch.
 */
import { nodeCryptoContext } from '../../src/app/context.ts';
import { fromHex } from '../../src/crypto/bytes.ts';
import { chunkCount, openChunk } from '../../src/crypto/file-cipher.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { fetchFile } from '../../src/node/files/transfer-client.ts';
import { createNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import { sendToParent, serveRequests, type RequestMessage } from '../rpc.ts';
import { fetchBulk } from './bulk.ts';
import type { FetcherReady, FetcherRequests, FetchMeasure } from './ipc.ts';
import { sampleRss } from './rss.ts';
import { BENCH_STORES, type BenchTarget } from './stores.ts';

const [dir, storeName] = process.argv.slice(2);
const store = BENCH_STORES[storeName ?? ''];
if (!dir || !store || !process.send) {
  console.error(`usage: node dist/bench-files/fetcher.mjs <dir> <${Object.keys(BENCH_STORES).join('|')}> (spawned by the files benchmark, with an IPC channel)`);
  process.exit(2);
}

const ctx = await nodeCryptoContext(() => Date.now());
const node = await createNode({ identity: await generateIdentity(ctx), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] });
const network = libp2pNetwork(node);
const rss = sampleRss();

async function fetch(args: FetcherRequests['fetch']['args']): Promise<FetchMeasure> {
  const target = await store!.target(dir!, args.fileId, args.size, ctx);
  try {
    rss.reset();
    const start = performance.now();
    let bytes: number;
    let chunks = chunkCount(args.size);
    if (args.case === 'bare stream') {
      bytes = await fetchBulk(node, args.peerId, target);
    } else {
      const summary = await fetchFile({ network, target, holders: [args.peerId], primitives: ctx.primitives });
      if (!summary.complete) throw new Error(`the fetch ended incomplete: ${JSON.stringify(summary.holders)}`);
      bytes = summary.bytes;
      chunks = summary.fetched;
    }
    const ms = performance.now() - start;
    const measure = { bytes, chunks, ms, rss: rss.peaks() };
    if (args.key !== undefined) await verify(target, fromHex(args.key), args.size);
    return measure;
  } finally {
    if (!args.keep) await target.discard();
  }
}

/** Opens every fetched chunk (the holder sealed one plaintext pattern in every chunk) and compares it with the first. */
async function verify(target: BenchTarget, key: Uint8Array, size: number): Promise<void> {
  const first = openChunk(ctx.primitives, key, size, 0, await target.readBack(0));
  for (let i = 1; i < chunkCount(size); i++) {
    const plain = openChunk(ctx.primitives, key, size, i, await target.readBack(i));
    if (!Buffer.from(plain).equals(Buffer.from(first.subarray(0, plain.length)))) throw new Error(`chunk ${i} is not what was sealed`);
  }
}

const close = async (): Promise<void> => {
  rss.stop();
  await node.stop();
};

serveRequests<FetcherRequests>(async (request: RequestMessage<FetcherRequests>) => {
  switch (request.name) {
    case 'connect':
      await node.connect((request.args as FetcherRequests['connect']['args']).address);
      return null;
    case 'fetch':
      return fetch(request.args as FetcherRequests['fetch']['args']);
    case 'stop':
      await close();
      return null;
  }
});
process.on('disconnect', () => {
  void close().finally(() => process.exit(0));
});

sendToParent<FetcherReady>({ ready: true, peerId: node.peerId });
