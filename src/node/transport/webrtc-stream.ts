/**
 * Streams on a WebRTC connection, within a deadline. The dialling side of a
 * WebRTC upgrade can see a connection open that the other side never
 * finished (./webrtc-upgrade.ts); a stream on it waits for its data channel
 * forever, and libp2p picks such a connection first (open, unlimited,
 * direct). So a stream that a WebRTC connection does not open within
 * WEBRTC_STREAM_OPEN_TIMEOUT_MS aborts that connection, and the caller's next
 * attempt takes the relayed connection or dials again.
 */
import type { Connection, Stream } from '@libp2p/interface';
import { SottoError } from '../../crypto/errors.ts';

/** A WebRTC connection opened no stream in time: the other side never finished it. */
export class DeadWebrtcConnectionError extends SottoError {
  override readonly name = 'DeadWebrtcConnectionError';
  constructor(ms: number, options?: ErrorOptions) {
    super(`the WebRTC connection opened no stream within ${ms} ms`, options);
  }
}

/** The open, unlimited WebRTC connection among `connections` (the one libp2p would pick first), if any. */
export function openWebrtcConnection(connections: readonly Connection[]): Connection | undefined {
  return connections.find((c) => c.status === 'open' && c.limits === undefined && c.remoteAddr.getComponents().some((p) => p.name === 'webrtc'));
}

/**
 * A stream on `connection` within `ms`. Past that the connection is aborted
 * and DeadWebrtcConnectionError thrown; the caller's own signal aborting
 * first leaves the connection alone.
 */
export async function streamOrAbort(connection: Connection, protocol: string, options: { signal: AbortSignal; runOnLimitedConnection?: boolean }, ms: number): Promise<Stream> {
  const deadline = AbortSignal.timeout(ms);
  try {
    return await connection.newStream(protocol, { ...options, signal: AbortSignal.any([options.signal, deadline]) });
  } catch (err) {
    if (!deadline.aborted || options.signal.aborted) throw err;
    const dead = new DeadWebrtcConnectionError(ms, { cause: err });
    connection.abort(dead);
    throw dead;
  }
}
