/**
 * Streams on a WebRTC connection within a deadline
 * (src/node/transport/webrtc-stream.ts): a connection that opens no stream
 * in time is aborted, one that opens it is kept, the caller's own abort
 * leaves the connection alone, and only an open, unlimited WebRTC
 * connection is picked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { openWebrtcConnection, streamOrAbort } from '../../src/node/transport/webrtc-stream.ts';

const WEBRTC = multiaddr('/ip4/11.77.0.1/tcp/4001/p2p/12D3KooWQi7TshN4fwfwLsLwdXL287qNp7Aa5nrZxJsCxSADyywP/p2p-circuit/webrtc/p2p/12D3KooWLR7WqpPM8ZikSABvkjkJPXsnMCNQnLheDkUPrwvVqepd');
const RELAYED = multiaddr('/ip4/11.77.0.1/tcp/4001/p2p/12D3KooWQi7TshN4fwfwLsLwdXL287qNp7Aa5nrZxJsCxSADyywP/p2p-circuit/p2p/12D3KooWLR7WqpPM8ZikSABvkjkJPXsnMCNQnLheDkUPrwvVqepd');
/** Short enough for a unit test; the node uses WEBRTC_STREAM_OPEN_TIMEOUT_MS. */
const DEADLINE_MS = 50;

function fake(options: { live: boolean; remoteAddr?: typeof WEBRTC; limited?: boolean; status?: string }): Connection & { aborted?: Error } {
  const c = {
    remoteAddr: options.remoteAddr ?? WEBRTC,
    status: options.status ?? 'open',
    limits: options.limited ? { bytes: 1n } : undefined,
    aborted: undefined as Error | undefined,
    abort(err: Error) {
      c.aborted = err;
      c.status = 'closed';
    },
    newStream: (_protocol: string, { signal }: { signal: AbortSignal }) =>
      options.live ? Promise.resolve({ id: 's' }) : new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })),
  };
  return c as unknown as Connection & { aborted?: Error };
}

/** AbortSignal.timeout's timer does not keep the process alive on its own: a test waiting only on it needs one that does. */
async function keepingAlive<T>(work: Promise<T>): Promise<T> {
  const alive = setInterval(() => {}, DEADLINE_MS);
  try {
    return await work;
  } finally {
    clearInterval(alive);
  }
}

test('a WebRTC connection that opens no stream within the deadline is aborted with DeadWebrtcConnectionError', async () => {
  const dead = fake({ live: false });
  await assert.rejects(keepingAlive(streamOrAbort(dead, '/sotto/msg/1.0.0', { signal: new AbortController().signal }, DEADLINE_MS)), { name: 'DeadWebrtcConnectionError' });
  assert.equal(dead.aborted?.name, 'DeadWebrtcConnectionError');
  assert.equal(dead.status, 'closed');
});

test('a live WebRTC connection gives its stream and stays open', async () => {
  const live = fake({ live: true });
  assert.deepEqual(await streamOrAbort(live, '/sotto/msg/1.0.0', { signal: new AbortController().signal }, DEADLINE_MS), { id: 's' });
  assert.equal(live.aborted, undefined);
  assert.equal(live.status, 'open');
});

test("the caller's own abort ends the wait and leaves the connection alone", async () => {
  const slow = fake({ live: false });
  const caller = new AbortController();
  const pending = streamOrAbort(slow, '/sotto/msg/1.0.0', { signal: caller.signal }, 10 * DEADLINE_MS);
  caller.abort(new Error('the caller gave up'));
  await assert.rejects(pending, /the caller gave up/);
  assert.equal(slow.aborted, undefined);
  assert.equal(slow.status, 'open');
});

test('only an open, unlimited WebRTC connection is picked', () => {
  const relayed = fake({ live: true, remoteAddr: RELAYED, limited: true });
  const closing = fake({ live: true, status: 'closing' });
  const webrtc = fake({ live: true });
  assert.equal(openWebrtcConnection([relayed, closing]), undefined);
  assert.equal(openWebrtcConnection([relayed, closing, webrtc]), webrtc);
});
