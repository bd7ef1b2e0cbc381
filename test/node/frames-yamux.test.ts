/**
 * A framed reader slower than its sender on a real Yamux connection (two
 * libp2p nodes on loopback): the stream is paused and resumed many times
 * and the sender is held back by the Yamux window, so the stream's read
 * buffer never passes Yamux's 4 MiB limit (which resets the stream). In
 * @libp2p/utils 7, resume() hands the buffered data to the reader before it
 * re-opens the window; a reader that pauses again during that hand-over
 * must stay paused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { framed } from '../../src/node/transport/frames.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';

const PROTOCOL = '/sotto-test/flood/1.0.0';
const FRAME_BYTES = 256 * 1024;
/** 16 MiB: four times Yamux's read buffer limit. */
const FRAMES = 64;

const nodes: SottoNode[] = [];
after(async () => {
  for (const node of nodes) await node.stop().catch(() => {});
});

test('a slow reader of a fast sender of large frames pauses the sender; the stream is never reset', { timeout: 60_000 }, async () => {
  const ctx = await nodeCryptoContext(() => Date.now());
  const [sender, reader] = await Promise.all([0, 1].map(async () => createNode({ identity: await generateIdentity(ctx), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] })));
  nodes.push(sender!, reader!);
  await sender!.handle(PROTOCOL, async (raw) => {
    const stream = framed(raw, { maxFrameBytes: FRAME_BYTES });
    for (let i = 0; i < FRAMES; i++) await stream.write(new Uint8Array(FRAME_BYTES).fill(i));
    await stream.close();
  });
  await reader!.connect(sender!.addresses()[0]!);
  const stream = framed(await reader!.dialProtocol(sender!.peerId, PROTOCOL), { maxFrameBytes: FRAME_BYTES });
  let paused = 0;
  for (let i = 0; i < FRAMES; i++) {
    const frame = await stream.read();
    assert.equal(frame.length, FRAME_BYTES);
    assert.equal(frame[0], i);
    if (stream.stream.readStatus === 'paused') paused++;
    // A slow consumer (a disk write): a few event-loop turns per frame.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.ok(paused > 0, 'the reader paused the stream at least once');
  await stream.close();
});
