/**
 * The baseline of the files benchmark: the same sealed chunks over a bare
 * libp2p stream on the same two nodes and connection (TCP, Noise, Yamux),
 * framed with Sotto's framed() and nothing else: the holder reads each
 * chunk through the same holdings and writes it as one frame as fast as
 * the stream takes it; the fetcher writes each through the same kind of
 * target. No requests, no window, no hash check.
 */
import { chunkCount } from '../../src/crypto/file-cipher.ts';
import { FILE_MAX_FRAME_BYTES } from '../../src/node/constants.ts';
import { framed, type FramedStream } from '../../src/node/transport/frames.ts';
import type { SottoNode } from '../../src/node/transport/libp2p.ts';
import type { FetchTarget } from '../../src/node/files/types.ts';
import type { BenchHolding } from './stores.ts';

export const BULK_PROTOCOL = '/sotto-bench/bulk/1.0.0';

function wrap(stream: Parameters<typeof framed>[0]): FramedStream {
  return framed(stream, { maxFrameBytes: FILE_MAX_FRAME_BYTES, readTimeoutMs: 60_000 });
}

/** Registers BULK on `node`: any frame asks for the whole file, chunk after chunk. */
export async function serveBulk(node: SottoNode, held: BenchHolding): Promise<void> {
  await node.handle(BULK_PROTOCOL, async (raw) => {
    const stream = wrap(raw);
    try {
      await stream.read();
      for (let i = 0; i < chunkCount(held.size); i++) {
        const sealed = await held.holdings.readChunk(held.fileId, i);
        if (sealed === undefined) throw new Error(`chunk ${i} is not held`);
        await stream.write(sealed);
      }
      await stream.close();
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Fetches the whole file over BULK into `target`; resolves to the bytes received. */
export async function fetchBulk(node: SottoNode, peerId: string, target: FetchTarget): Promise<number> {
  const stream = wrap(await node.dialProtocol(peerId, BULK_PROTOCOL));
  await stream.write(Uint8Array.of(1));
  let bytes = 0;
  for (let i = 0; i < chunkCount(target.size); i++) {
    const frame = await stream.read();
    await target.writeChunk(i, frame);
    bytes += frame.length;
  }
  await stream.close();
  return bytes;
}
