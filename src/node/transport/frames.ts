/**
 * Length-prefixed frames over a libp2p 3 stream: each frame is an unsigned
 * varint length (multiformats unsigned-varint, at most 3 bytes here) followed
 * by that many bytes.
 *
 * Why not lpStream from @libp2p/utils: it buffers everything the sender sends
 * (up to 4 MiB, then it aborts the stream) and never pushes back, so a sender
 * with many frames in flight breaks the stream. Here the reader pauses the
 * stream when it holds more than about one frame of unread data: Yamux then
 * stops granting window, the sender's `send()` returns false and its write
 * waits for `drain`. Memory per stream stays bounded by the high-water mark
 * plus one muxer window (see YAMUX_MAX_STREAM_WINDOW_BYTES).
 *
 * Limits are checked before allocation: a frame's length is compared with
 * `maxFrameBytes` as soon as its prefix has arrived, and bytes are copied
 * into a frame only once all of it is there.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { FRAME_MIN_READ_HIGH_WATER_BYTES, FRAME_READ_TIMEOUT_MS, FRAME_WRITE_TIMEOUT_MS, MAX_FRAME_BYTES_LIMIT } from '../constants.ts';
import { FrameTimeoutError, FrameTooLargeError, StreamClosedError } from '../errors.ts';

/** Options of {@link framed}. */
export interface FramedInit {
  /** Largest frame read or written, in bytes (1 … MAX_FRAME_BYTES_LIMIT). */
  readonly maxFrameBytes: number;
  /** Default time a read waits for a whole frame (FRAME_READ_TIMEOUT_MS); `Infinity` waits forever. */
  readonly readTimeoutMs?: number;
  /** Default time a write waits for the transport to take more data (FRAME_WRITE_TIMEOUT_MS); `Infinity` waits forever. */
  readonly writeTimeoutMs?: number;
}

/** Options of one read or write. */
export interface FrameOptions {
  /** Aborts the wait; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Overrides the stream's default timeout for this call. */
  readonly timeoutMs?: number;
}

/** A bidirectional stream of length-prefixed frames. */
export interface FramedStream {
  /** The libp2p stream underneath. */
  readonly stream: Stream;
  /**
   * The next frame. Rejects with FrameTooLargeError (and aborts the stream),
   * FrameTimeoutError (the stream stays usable), StreamClosedError (`ended`,
   * `truncated` or `reset`), or the signal's reason. One read at a time:
   * a second concurrent read throws TypeError.
   */
  read(options?: FrameOptions): Promise<Uint8Array>;
  /**
   * Sends one frame; when the transport pushes back, resolves only once it
   * drained. Rejects with FrameTooLargeError (nothing sent), StreamClosedError
   * (`closed` or `reset`), FrameTimeoutError, or the signal's reason.
   */
  write(frame: Uint8Array, options?: FrameOptions): Promise<void>;
  /** Sends several frames in one transport write (fewer syscalls and Noise records); same errors as write. */
  writeMany(frames: readonly Uint8Array[], options?: FrameOptions): Promise<void>;
  /** Closes this side for writing once queued data is sent; reading stays possible. Never rejects. */
  close(options?: { signal?: AbortSignal }): Promise<void>;
  /** Resets the stream at once in both directions. */
  abort(err: Error): void;
}

/**
 * Wraps a libp2p stream (inbound or outbound) into a {@link FramedStream}.
 * Call it as soon as the stream exists: it takes over the stream's `message`
 * events. Throws RangeError for a `maxFrameBytes` outside 1 … MAX_FRAME_BYTES_LIMIT.
 */
export function framed(stream: Stream, init: FramedInit): FramedStream {
  const maxFrameBytes = init.maxFrameBytes;
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > MAX_FRAME_BYTES_LIMIT) {
    throw new RangeError(`framed: maxFrameBytes must be an integer from 1 to ${MAX_FRAME_BYTES_LIMIT}`);
  }
  const readTimeoutMs = checkTimeout(init.readTimeoutMs ?? FRAME_READ_TIMEOUT_MS, 'readTimeoutMs');
  const writeTimeoutMs = checkTimeout(init.writeTimeoutMs ?? FRAME_WRITE_TIMEOUT_MS, 'writeTimeoutMs');
  const maxPrefixBytes = varintLength(maxFrameBytes);
  const highWater = Math.max(maxFrameBytes + maxPrefixBytes, FRAME_MIN_READ_HIGH_WATER_BYTES);

  const queue = new ByteQueue();
  let paused = false;
  let remoteEnded = stream.remoteWriteStatus !== 'writable';
  let failure: Error | undefined;
  let reading = false;
  let wake: PromiseWithResolvers<void> | undefined;

  const notify = (): void => {
    wake?.resolve();
  };

  /** True while stream.resume() runs: it hands over what it buffered before it re-opens the window. */
  let resuming = false;

  const pauseIfFull = (): void => {
    if (!paused && queue.length > highWater && stream.readStatus === 'readable') {
      stream.pause();
      paused = true;
    }
  };

  const onMessage = (evt: StreamMessageEvent): void => {
    if (failure !== undefined) return;
    const data = evt.data;
    if (data instanceof Uint8Array) queue.push(data);
    else for (const chunk of data) queue.push(chunk);
    // A pause inside resume() would be undone by it (it re-opens the window
    // after handing over): pause once it has returned.
    if (!resuming) pauseIfFull();
    notify();
  };
  const onRemoteEnd = (): void => {
    remoteEnded = true;
    notify();
  };
  const onClose = (evt: StreamCloseEvent): void => {
    remoteEnded = true;
    if (evt.error !== undefined && failure === undefined) failure = new StreamClosedError('reset', { cause: evt.error });
    notify();
  };
  stream.addEventListener('message', onMessage);
  stream.addEventListener('remoteCloseWrite', onRemoteEnd);
  stream.addEventListener('end', onRemoteEnd);
  stream.addEventListener('close', onClose);

  const resumeIfDrained = (): void => {
    if (paused && queue.length <= highWater) {
      paused = false;
      if (stream.readStatus !== 'paused') return;
      // @libp2p/utils 7.4: resume() dispatches the buffered data, then sends
      // Yamux's window update; a pause during the dispatch is overridden
      // by that update, and the sender overflows the 4 MiB read buffer.
      resuming = true;
      try {
        stream.resume();
      } finally {
        resuming = false;
      }
      pauseIfFull();
    }
  };

  /** A whole frame from the queue, or undefined when more bytes are needed. */
  const takeFrame = (): Uint8Array | undefined => {
    const header = queue.peekVarint(maxPrefixBytes);
    if (header === undefined) return undefined;
    if (header === 'too-long' || header.value > maxFrameBytes) {
      const size = header === 'too-long' ? undefined : header.value;
      const err = new FrameTooLargeError(size, maxFrameBytes, 'inbound');
      failure = err;
      queue.clear();
      stream.abort(err);
      throw err;
    }
    if (queue.length < header.bytes + header.value) return undefined;
    queue.skip(header.bytes);
    const frame = queue.take(header.value);
    resumeIfDrained();
    return frame;
  };

  const readFrame = async (options: FrameOptions): Promise<Uint8Array> => {
    options.signal?.throwIfAborted();
    const timeoutMs = checkTimeout(options.timeoutMs ?? readTimeoutMs, 'timeoutMs');
    const interrupted = Promise.withResolvers<never>();
    interrupted.promise.catch(() => undefined);
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => interrupted.reject(new FrameTimeoutError('read', timeoutMs)), timeoutMs) : undefined;
    const onAbort = (): void => interrupted.reject(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        resumeIfDrained();
        const frame = takeFrame();
        if (frame !== undefined) return frame;
        if (failure !== undefined) throw failure;
        if (remoteEnded && stream.readBufferLength === 0) throw new StreamClosedError(queue.length > 0 ? 'truncated' : 'ended');
        wake = Promise.withResolvers<void>();
        await Promise.race([wake.promise, interrupted.promise]);
      }
    } finally {
      wake = undefined;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  };

  return {
    stream,

    async read(options: FrameOptions = {}): Promise<Uint8Array> {
      if (reading) throw new TypeError('framed: read() called while another read() is pending');
      reading = true;
      try {
        return await readFrame(options);
      } finally {
        reading = false;
      }
    },

    write(frame: Uint8Array, options: FrameOptions = {}): Promise<void> {
      return this.writeMany([frame], options);
    },

    async writeMany(frames: readonly Uint8Array[], options: FrameOptions = {}): Promise<void> {
      for (const frame of frames) {
        if (!(frame instanceof Uint8Array)) throw new TypeError('framed: a frame must be a Uint8Array');
        if (frame.length > maxFrameBytes) throw new FrameTooLargeError(frame.length, maxFrameBytes, 'outbound');
      }
      options.signal?.throwIfAborted();
      const timeoutMs = checkTimeout(options.timeoutMs ?? writeTimeoutMs, 'timeoutMs');
      if (failure !== undefined) throw failure;
      if (stream.writeStatus !== 'writable') throw new StreamClosedError(stream.status === 'open' || stream.status === 'closing' ? 'closed' : 'reset');
      const bytes = frames.length === 1 ? encodeFrame(frames[0]!) : concatFrames(frames);
      let accepted: boolean;
      try {
        accepted = stream.send(bytes);
      } catch (err) {
        throw new StreamClosedError(stream.status === 'open' ? 'closed' : 'reset', { cause: err });
      }
      if (accepted) return;
      // Not stream.onDrain(): in @libp2p/utils 7.4.1 its promise is never
      // renewed, so after the first drain it resolves at once for good and
      // applies no backpressure. Wait for the 'drain' events instead.
      const timeout = Number.isFinite(timeoutMs) ? AbortSignal.timeout(timeoutMs) : undefined;
      try {
        while (stream.writableNeedsDrain) {
          if (failure !== undefined) throw failure;
          await nextDrain(stream, [options.signal, timeout]);
        }
      } catch (err) {
        if (options.signal?.aborted === true) throw options.signal.reason;
        if (timeout?.aborted === true) throw new FrameTimeoutError('write', timeoutMs);
        throw err instanceof StreamClosedError ? err : new StreamClosedError('reset', { cause: err });
      }
    },

    async close(options: { signal?: AbortSignal } = {}): Promise<void> {
      if (stream.writeStatus !== 'writable') return;
      try {
        await stream.close(options);
      } catch {
        // Closing a stream that was reset meanwhile: nothing left to do.
      }
    },

    abort(err: Error): void {
      stream.abort(err);
    },
  };
}

/** Bytes of the unsigned varint of `value` (value ≥ 0, safe integer). */
export function varintLength(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}

/** Writes the unsigned varint of `value` at the start of `out`; returns its length. */
export function writeVarint(out: Uint8Array, value: number): number {
  let i = 0;
  while (value >= 0x80) {
    out[i++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[i++] = value;
  return i;
}

/** Several frames, each with its length prefix, in one buffer. */
function concatFrames(frames: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const frame of frames) length += varintLength(frame.length) + frame.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const frame of frames) {
    at += writeVarint(out.subarray(at), frame.length);
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}

/** One frame's bytes (length prefix and body), for tests and for callers that batch writes. */
export function encodeFrame(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(frame.length) + frame.length);
  out.set(frame, writeVarint(out, frame.length));
  return out;
}

/**
 * Resolves at the stream's next 'drain' event; rejects when it closes first
 * or a signal fires. Let the stream's own drain handler run first (it
 * resumes sending in a microtask), so the caller sees the state after it.
 */
function nextDrain(stream: Stream, signals: readonly (AbortSignal | undefined)[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const active = signals.filter((s): s is AbortSignal => s !== undefined);
    const cleanup = (): void => {
      stream.removeEventListener('drain', onDrain);
      stream.removeEventListener('close', onClose);
      for (const s of active) s.removeEventListener('abort', onAbort);
    };
    const onDrain = (): void => {
      cleanup();
      queueMicrotask(resolve);
    };
    const onClose = (evt: StreamCloseEvent): void => {
      cleanup();
      reject(new StreamClosedError(evt.error === undefined ? 'closed' : 'reset', { cause: evt.error }));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new Error('aborted'));
    };
    if (stream.status !== 'open') {
      reject(new StreamClosedError('reset'));
      return;
    }
    for (const s of active) {
      if (s.aborted) {
        reject(new Error('aborted'));
        return;
      }
      s.addEventListener('abort', onAbort, { once: true });
    }
    stream.addEventListener('drain', onDrain);
    stream.addEventListener('close', onClose);
  });
}

function checkTimeout(ms: number, what: string): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms <= 0) throw new RangeError(`framed: ${what} must be a positive number of milliseconds or Infinity`);
  return ms;
}

/** Received bytes not yet read, as the chunks they arrived in (no copy until a frame is taken). */
class ByteQueue {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already consumed. */
  private offset = 0;
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  clear(): void {
    this.chunks.length = 0;
    this.offset = 0;
    this.length = 0;
  }

  /**
   * Decodes the varint at the front without consuming it: undefined when it
   * is incomplete, 'too-long' when it runs past `maxBytes` bytes.
   */
  peekVarint(maxBytes: number): { value: number; bytes: number } | 'too-long' | undefined {
    let value = 0;
    let scale = 1;
    let index = 0;
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      for (let i = c === 0 ? this.offset : 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        value += (byte & 0x7f) * scale;
        index++;
        if ((byte & 0x80) === 0) return { value, bytes: index };
        if (index >= maxBytes) return 'too-long';
        scale *= 0x80;
      }
    }
    return undefined;
  }

  skip(n: number): void {
    this.consume(n, undefined);
  }

  /** Removes and returns the next `n` bytes as one new array. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.consume(n, out);
    return out;
  }

  private consume(n: number, out: Uint8Array | undefined): void {
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[0]!;
      const available = chunk.length - this.offset;
      const count = Math.min(available, n - written);
      out?.set(chunk.subarray(this.offset, this.offset + count), written);
      written += count;
      if (count === available) {
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset += count;
      }
    }
    this.length -= n;
  }
}
