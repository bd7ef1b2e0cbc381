/**
 * The baseline of the transport benchmark: bare libp2p streams on the same
 * Sotto node (TCP, Noise, Yamux, as createNode configures them), framed with
 * Sotto's own framed(), and nothing else: no crypto of Sotto's, no store.
 *
 * - ECHO: the server writes every frame back (round-trip latency).
 * - ACK: the server answers every frame with a 5-byte ack naming its
 *   sequence number (the first 4 bytes of the frame), like /sotto/msg's ACK;
 *   the client keeps up to a window of frames unacknowledged (burst).
 */
import { framed, type FramedStream } from '../../src/node/transport/frames.ts';
import type { SottoNode } from '../../src/node/transport/libp2p.ts';

export const ECHO_PROTOCOL = '/sotto-bench/echo/1.0.0';
export const ACK_PROTOCOL = '/sotto-bench/ack/1.0.0';
/** Largest frame on the benchmark protocols. */
const MAX_FRAME_BYTES = 4096;
const SEQ_BYTES = 4;
const ACK_BYTES = SEQ_BYTES + 1;
/** Limit of a client's reads, so that a broken run fails instead of hanging. */
const READ_TIMEOUT_MS = 10_000;

function wrap(stream: Parameters<typeof framed>[0]): FramedStream {
  return framed(stream, { maxFrameBytes: MAX_FRAME_BYTES, readTimeoutMs: Infinity });
}

/** Reads frames until the stream ends, answering each one; never rejects. */
async function serve(stream: FramedStream, answer: (frame: Uint8Array) => Uint8Array): Promise<void> {
  try {
    for (;;) {
      let frame: Uint8Array;
      try {
        frame = await stream.read();
      } catch {
        break; // the client closed the stream (or it broke)
      }
      await stream.write(answer(frame));
    }
    await stream.close();
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
  }
}

/** Registers ECHO and ACK on `node`. */
export async function serveBaseline(node: SottoNode): Promise<void> {
  await node.handle(ECHO_PROTOCOL, (stream) => serve(wrap(stream), (frame) => frame));
  await node.handle(ACK_PROTOCOL, (stream) =>
    serve(wrap(stream), (frame) => {
      const ack = new Uint8Array(ACK_BYTES);
      ack.set(frame.subarray(0, SEQ_BYTES));
      ack[SEQ_BYTES] = 1;
      return ack;
    }),
  );
}

/** A client stream on one of the baseline protocols. */
export async function openBaseline(node: SottoNode, peerId: string, protocol: string): Promise<FramedStream> {
  return wrap(await node.dialProtocol(peerId, protocol));
}

/** One round trip on an ECHO stream; checks that the same bytes came back. Resolves to milliseconds. */
export async function echoRoundTrip(stream: FramedStream, frame: Uint8Array): Promise<number> {
  const start = performance.now();
  await stream.write(frame);
  const back = await stream.read({ timeoutMs: READ_TIMEOUT_MS });
  const ms = performance.now() - start;
  if (back.length !== frame.length || back.some((b, i) => b !== frame[i])) throw new Error('baseline echo: the frame came back changed');
  return ms;
}

/**
 * Sends `count` frames of `frameBytes` on an ACK stream with at most
 * `window` unacknowledged, and waits for the last ack. Resolves to
 * milliseconds from the first write to the last ack.
 */
export async function ackBurst(stream: FramedStream, count: number, frameBytes: number, window: number): Promise<number> {
  const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const acked = new Uint8Array(count);
  let unacked = 0;
  let windowOpen: (() => void) | undefined;
  const start = performance.now();
  const writer = (async () => {
    for (let seq = 0; seq < count; seq++) {
      while (unacked >= window) await new Promise<void>((resolve) => (windowOpen = resolve));
      const frame = new Uint8Array(frameBytes);
      view(frame).setUint32(0, seq);
      unacked++;
      await stream.write(frame);
    }
  })();
  const reader = (async () => {
    for (let received = 0; received < count; received++) {
      const ack = await stream.read({ timeoutMs: READ_TIMEOUT_MS });
      const seq = ack.length === ACK_BYTES ? view(ack).getUint32(0) : -1;
      if (seq < 0 || seq >= count || acked[seq] === 1) throw new Error(`baseline burst: unexpected ack ${seq}`);
      acked[seq] = 1;
      unacked--;
      windowOpen?.();
      windowOpen = undefined;
    }
  })();
  await Promise.all([writer, reader]);
  return performance.now() - start;
}
