/**
 * Length-prefixed frames (src/node/transport/frames.ts) over in-memory libp2p stream
 * pairs from @libp2p/utils: round trips, limits checked before allocation,
 * timeouts, every way a stream ends, and the reader pausing the stream.
 * Frames over real Yamux connections are in libp2p.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stream } from '@libp2p/interface';
import { streamPair } from '@libp2p/utils';
import { encodeFrame, framed, varintLength, writeVarint } from '../../src/node/transport/frames.ts';
import { FRAME_MIN_READ_HIGH_WATER_BYTES, MAX_FRAME_BYTES_LIMIT } from '../../src/node/constants.ts';
import { FrameTimeoutError, FrameTooLargeError, StreamClosedError } from '../../src/node/errors.ts';

const MAX = 1024;

async function pair(): Promise<[Stream, Stream]> {
  return streamPair();
}

function bytes(length: number, fill = 7): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

describe('varint length prefix', () => {
  // Examples from the multiformats unsigned-varint spec.
  const vectors: [number, string][] = [[0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [255, 'ff01'], [300, 'ac02'], [16384, '808001']];
  for (const [value, hex] of vectors) {
    test(`${value} encodes as ${hex}`, () => {
      const out = new Uint8Array(10);
      const n = writeVarint(out, value);
      assert.equal(Buffer.from(out.subarray(0, n)).toString('hex'), hex);
      assert.equal(varintLength(value), n);
    });
  }
});

describe('framed', () => {
  test('frames cross both ways, including empty and maximum-size frames', async () => {
    const [a, b] = await pair();
    const fa = framed(a, { maxFrameBytes: MAX });
    const fb = framed(b, { maxFrameBytes: MAX });
    const sent = [bytes(0), bytes(1, 1), bytes(300, 2), bytes(MAX, 3)];
    for (const frame of sent) await fa.write(frame);
    for (const frame of sent) assert.deepEqual(await fb.read(), frame);
    await fb.write(bytes(5, 9));
    assert.deepEqual(await fa.read(), bytes(5, 9));
  });

  test('a frame split across many chunks and several frames in one chunk both parse', async () => {
    const [a, b] = await pair();
    const fb = framed(b, { maxFrameBytes: MAX });
    const one = encodeFrame(bytes(200, 4));
    for (const byte of one) a.send(Uint8Array.of(byte));
    assert.deepEqual(await fb.read(), bytes(200, 4));
    const two = new Uint8Array([...encodeFrame(bytes(3, 5)), ...encodeFrame(bytes(4, 6))]);
    a.send(two);
    assert.deepEqual(await fb.read(), bytes(3, 5));
    assert.deepEqual(await fb.read(), bytes(4, 6));
  });

  test('an inbound frame over the limit is refused from its length prefix alone, without allocating it', async () => {
    const [a, b] = await pair();
    const fb = framed(b, { maxFrameBytes: MAX });
    const declared = 16_000; // over the limit, but a length the 2-byte prefix can state
    const header = new Uint8Array(varintLength(declared));
    writeVarint(header, declared);
    a.send(header);
    a.send(bytes(100));
    await assert.rejects(fb.read(), (err: unknown) => {
      assert.ok(err instanceof FrameTooLargeError);
      assert.equal(err.name, 'FrameTooLargeError');
      assert.equal(err.size, declared);
      assert.equal(err.limit, MAX);
      assert.equal(err.direction, 'inbound');
      return true;
    });
    assert.equal(b.status, 'aborted', 'the stream cannot be resynchronised, so it is aborted');
    await assert.rejects(fb.read(), { name: 'FrameTooLargeError' });
  });

  test('a frame declaring 1 GiB is refused at once, and nothing of that size is allocated', async () => {
    const [a, b] = await pair();
    const fb = framed(b, { maxFrameBytes: MAX_FRAME_BYTES_LIMIT });
    const declared = 2 ** 30;
    const header = new Uint8Array(varintLength(declared));
    writeVarint(header, declared);
    const before = process.memoryUsage().arrayBuffers;
    const reading = fb.read();
    a.send(header);
    a.send(bytes(100));
    // The prefix is longer than any length up to the limit: refused before its value is even used.
    await assert.rejects(reading, (err: unknown) => err instanceof FrameTooLargeError && err.size === undefined && err.limit === MAX_FRAME_BYTES_LIMIT);
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'no buffer of the declared size was allocated');
  });

  test('a length prefix longer than any allowed length is refused', async () => {
    const [a, b] = await pair();
    const fb = framed(b, { maxFrameBytes: MAX }); // any length ≤ 1024 fits in 2 varint bytes
    a.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    await assert.rejects(fb.read(), (err: unknown) => err instanceof FrameTooLargeError && err.size === undefined);
  });

  test('an outbound frame over the limit is refused and nothing is sent', async () => {
    const [a, b] = await pair();
    const fa = framed(a, { maxFrameBytes: MAX });
    const fb = framed(b, { maxFrameBytes: MAX });
    await assert.rejects(fa.write(bytes(MAX + 1)), (err: unknown) => err instanceof FrameTooLargeError && err.direction === 'outbound' && err.size === MAX + 1);
    await fa.write(bytes(2, 1));
    assert.deepEqual(await fb.read(), bytes(2, 1), 'the next frame is the first the remote sees');
  });

  test('a read times out with FrameTimeoutError and the stream stays usable', async () => {
    const [a, b] = await pair();
    const fa = framed(a, { maxFrameBytes: MAX });
    const fb = framed(b, { maxFrameBytes: MAX, readTimeoutMs: 40 });
    const started = performance.now();
    await assert.rejects(fb.read(), (err: unknown) => err instanceof FrameTimeoutError && err.operation === 'read' && err.timeoutMs === 40);
    assert.ok(performance.now() - started >= 35);
    a.send(encodeFrame(bytes(10)).subarray(0, 5)); // half a frame, then the timeout
    await assert.rejects(fb.read({ timeoutMs: 20 }), { name: 'FrameTimeoutError' });
    a.send(encodeFrame(bytes(10)).subarray(5));
    assert.deepEqual(await fb.read(), bytes(10));
    await fa.write(bytes(1));
    assert.deepEqual(await fb.read(), bytes(1));
  });

  test("the caller's signal aborts a read with the signal's reason", async () => {
    const [, b] = await pair();
    const fb = framed(b, { maxFrameBytes: MAX });
    const controller = new AbortController();
    const reading = fb.read({ signal: controller.signal });
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await assert.rejects(reading, (err) => err === reason);
  });

  test('the remote closing between frames ends the stream; in the middle of one truncates it', async () => {
    const [a, b] = await pair();
    const fa = framed(a, { maxFrameBytes: MAX });
    const fb = framed(b, { maxFrameBytes: MAX });
    await fa.write(bytes(3));
    await fa.close();
    assert.deepEqual(await fb.read(), bytes(3), 'frames sent before the close are still delivered');
    await assert.rejects(fb.read(), (err: unknown) => err instanceof StreamClosedError && err.reason === 'ended');

    const [c, d] = await pair();
    const fd = framed(d, { maxFrameBytes: MAX });
    c.send(encodeFrame(bytes(50)).subarray(0, 20));
    await c.close();
    await assert.rejects(fd.read(), (err: unknown) => err instanceof StreamClosedError && err.reason === 'truncated');
  });

  test('a reset stream fails reads and writes with StreamClosedError(reset)', async () => {
    const [a, b] = await pair();
    const fb = framed(b, { maxFrameBytes: MAX });
    const reading = fb.read();
    a.abort(new Error('remote gave up'));
    await assert.rejects(reading, (err: unknown) => err instanceof StreamClosedError && err.reason === 'reset');
    await assert.rejects(fb.write(bytes(1)), (err: unknown) => err instanceof StreamClosedError && err.reason === 'reset');
  });

  test('writing after close fails with StreamClosedError(closed); close twice is harmless', async () => {
    const [a] = await pair();
    const fa = framed(a, { maxFrameBytes: MAX });
    await fa.close();
    await fa.close();
    await assert.rejects(fa.write(bytes(1)), (err: unknown) => err instanceof StreamClosedError && err.reason === 'closed');
  });

  test('one read at a time', async () => {
    const [a, b] = await pair();
    const fb = framed(b, { maxFrameBytes: MAX });
    const first = fb.read();
    await assert.rejects(fb.read(), TypeError);
    a.send(encodeFrame(bytes(1)));
    assert.deepEqual(await first, bytes(1));
  });

  test('the reader pauses the stream above its high-water mark and resumes once frames are read', async () => {
    const [a, b] = await pair();
    const fb = framed(b, { maxFrameBytes: MAX });
    const frames = Math.ceil(FRAME_MIN_READ_HIGH_WATER_BYTES / MAX) + 8;
    for (let i = 0; i < frames; i++) a.send(encodeFrame(bytes(MAX, i & 0xff)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(b.readStatus, 'paused', 'unread data above the high-water mark pauses the stream');
    for (let i = 0; i < frames; i++) assert.deepEqual(await fb.read(), bytes(MAX, i & 0xff));
    assert.equal(b.readStatus, 'readable');
  });

  test('bad limits and timeouts are argument errors', async () => {
    const [a] = await pair();
    assert.throws(() => framed(a, { maxFrameBytes: 0 }), RangeError);
    assert.throws(() => framed(a, { maxFrameBytes: MAX_FRAME_BYTES_LIMIT + 1 }), RangeError);
    assert.throws(() => framed(a, { maxFrameBytes: 1.5 }), RangeError);
    assert.throws(() => framed(a, { maxFrameBytes: MAX, readTimeoutMs: 0 }), RangeError);
  });
});
