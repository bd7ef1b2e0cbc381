/**
 * `/sotto/file/1.0.0` between real libp2p nodes on loopback (TCP, Noise,
 * Yamux), with in-memory holdings and targets (test/helpers/file-fakes.ts):
 * a 32 MiB file fetched byte-identical with never more than a window
 * outstanding; two holders of one half each; a corrupted chunk refetched
 * from another holder; a holder that stops mid-way; a resume after the only
 * holder comes back; and every refusal of §25 (not allowed before anything
 * is read, unknown file, busy, bad request) and the idle close.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import { fromHex, Writer, type Bytes } from '../../src/crypto/bytes.ts';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { generateIdentity, type IdentityKeyPair } from '../../src/crypto/identity.ts';
import { FILE_MAX_FRAME_BYTES, FILE_MAX_STREAMS_PER_PEER, FILE_PROTOCOL, FILE_STREAM_IDLE_MS, FILE_WINDOW_CHUNKS } from '../../src/node/constants.ts';
import { serveFiles, type FileServer } from '../../src/node/files/transfer-server.ts';
import { fetchFile, type FetchFileInit, type FetchSummary } from '../../src/node/files/transfer-client.ts';
import { decodeFileAnswer, encodeChunksRequest, encodeHaveRequest, encodeManifestRequest, type FileAnswer } from '../../src/node/files/wire.ts';
import type { Scheduler } from '../../src/node/core/core.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import type { FramedStream, Network } from '../../src/node/transport/network.ts';
import { MemoryHoldings, MemoryTarget, patternBytes, sealFile, watchFileStreams, type SealedFile } from '../helpers/file-fakes.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';
import { testClock } from '../helpers/context.ts';

const LOOPBACK = '/ip4/127.0.0.1/tcp/0';
const MiB = 1024 * 1024;

const ctx: CryptoContext = await nodeCryptoContext(() => Date.now());
const primitives = ctx.primitives;
const nodes: SottoNode[] = [];
after(async () => {
  for (const node of nodes) await node.stop().catch(() => {});
});

interface Peer {
  readonly node: SottoNode;
  readonly network: Network;
  readonly identity: IdentityKeyPair;
}

async function peer(identity?: IdentityKeyPair, listen = LOOPBACK): Promise<Peer> {
  const id = identity ?? (await generateIdentity(ctx));
  const node = await createNode({ identity: id, listen: [listen], bootstrap: [] });
  nodes.push(node);
  return { node, network: libp2pNetwork(node), identity: id };
}

/** A holder serving `holdings` (real timers unless a scheduler is given). */
async function holder(holdings: MemoryHoldings, scheduler: Scheduler = realScheduler, identity?: IdentityKeyPair, listen?: string): Promise<Peer & { server: FileServer }> {
  const p = await peer(identity, listen);
  return { ...p, server: await serveFiles({ network: p.network, holdings, scheduler }) };
}

async function connect(from: Peer, to: Peer): Promise<void> {
  await from.node.connect(to.node.addresses()[0]!);
}

function fileOf(bytes: number, seed: number): SealedFile {
  return sealFile(primitives, patternBytes(32, seed), patternBytes(bytes, seed));
}

function range(from: number, to: number): Set<number> {
  return new Set(Array.from({ length: to - from }, (_, i) => from + i));
}

function holderReport(summary: FetchSummary, peerId: string) {
  return summary.holders.find((h) => h.peerId === peerId)!;
}

/** A fetcher and two holders of `file` connected to it, serving the holdings `make` gives for the fetcher's audience; `fetch` asks both. */
async function twoHolders(file: SealedFile, make: (audience: Set<string>) => [MemoryHoldings, MemoryHoldings]) {
  const fetcher = await peer();
  const [holdingsA, holdingsB] = make(new Set([fetcher.node.peerId]));
  const a = await holder(holdingsA);
  const b = await holder(holdingsB);
  await connect(fetcher, a);
  await connect(fetcher, b);
  const target = new MemoryTarget(file);
  const fetch = (extra: Partial<FetchFileInit> = {}): Promise<FetchSummary> => fetchFile({ network: fetcher.network, target, holders: [a.node.peerId, b.node.peerId], primitives, ...extra });
  return { fetcher, a, b, target, fetch };
}

/** The target holds exactly the file's plaintext. */
function assertIdentical(target: MemoryTarget, file: SealedFile, message = 'byte-identical'): void {
  assert.ok(Buffer.from(target.open(primitives, file.key)).equals(Buffer.from(file.plaintext)), message);
}

/** Opens a raw `/sotto/file` stream from `from` to `to`. */
async function rawStream(from: Peer, to: Peer): Promise<FramedStream> {
  return from.network.open(to.node.peerId, FILE_PROTOCOL, FILE_MAX_FRAME_BYTES, { signal: AbortSignal.timeout(10_000) });
}

async function answerOf(stream: FramedStream): Promise<FileAnswer> {
  return decodeFileAnswer(await stream.read({ signal: AbortSignal.timeout(10_000) }));
}

/** The stream ends (the holder closed it): the next read rejects with StreamClosedError `ended`. */
async function assertEnded(stream: FramedStream): Promise<void> {
  await assert.rejects(stream.read({ signal: AbortSignal.timeout(10_000) }), (e: Error & { reason?: string }) => e.name === 'StreamClosedError' && e.reason === 'ended');
}

describe('/sotto/file between libp2p nodes on loopback', () => {
  const big = fileOf(32 * MiB + 12_345, 7);

  test('a 32 MiB file is fetched byte-identical from one holder, never more than a window outstanding', { timeout: 120_000 }, async () => {
    const fetcher = await peer();
    const h = await holder(new MemoryHoldings([{ file: big, audience: new Set([fetcher.node.peerId]) }]));
    await connect(fetcher, h);
    const { network, watch } = watchFileStreams(fetcher.network);
    const target = new MemoryTarget(big);
    const progress: number[] = [];
    const summary = await fetchFile({ network, target, holders: [h.node.peerId], primitives, onProgress: (p) => progress.push(p.chunksHeld) });
    assert.equal(summary.complete, true);
    assert.equal(summary.fetched, big.chunks.length);
    assert.equal(summary.refetched, 0);
    assert.deepEqual(await target.manifest(), big.manifest);
    assertIdentical(target, big);
    assert.equal(watch.asked.length, big.chunks.length, 'each chunk asked once');
    assert.equal(watch.maxOutstanding, FILE_WINDOW_CHUNKS, 'the window is kept full and never exceeded');
    assert.deepEqual(progress, Array.from({ length: big.chunks.length }, (_, i) => i + 1));
    assert.deepEqual(holderReport(summary, h.node.peerId), { peerId: h.node.peerId, outcome: 'done', chunks: big.chunks.length, bytes: big.chunks.reduce((s, c) => s + c.length, 0) });
  });

  test('two holders of one half each: both serve their half', { timeout: 60_000 }, async () => {
    const file = fileOf(8 * MiB, 11);
    const n = file.chunks.length;
    const { a, b, target, fetch } = await twoHolders(file, (audience) => [new MemoryHoldings([{ file, audience, held: range(0, n / 2) }]), new MemoryHoldings([{ file, audience, held: range(n / 2, n) }])]);
    const summary = await fetch();
    assert.equal(summary.complete, true);
    assert.equal(holderReport(summary, a.node.peerId).chunks, n / 2);
    assert.equal(holderReport(summary, b.node.peerId).chunks, n / 2);
    assertIdentical(target, file);
  });

  test('a corrupted chunk is dropped and fetched from the other holder; the bad holder gets no more requests', { timeout: 60_000 }, async () => {
    const file = fileOf(8 * MiB, 13);
    let badHoldings!: MemoryHoldings;
    const { a: bad, target, fetch } = await twoHolders(file, (audience) => [(badHoldings = new MemoryHoldings([{ file, audience, corrupt: new Set([5]) }])), new MemoryHoldings([{ file, audience }])]);
    const summary = await fetch();
    assert.equal(summary.complete, true);
    const badReport = holderReport(summary, bad.node.peerId);
    assert.equal(badReport.outcome, 'bad data');
    assert.equal(badReport.reason, 'FileBadDataError');
    assert.ok(summary.refetched >= 1, 'chunk 5 was asked again');
    assert.ok(badHoldings.reads.includes(5), 'the bad holder served chunk 5');
    assert.equal(target.writes.filter((i) => i === 5).length, 1, 'chunk 5 written once');
    assertIdentical(target, file, 'the good copy of chunk 5 was written');
    assert.ok(badHoldings.reads.length <= badHoldings.reads.indexOf(5) + FILE_WINDOW_CHUNKS, 'nothing asked of the bad holder after its window at the bad chunk');
  });

  test('a chunk a holder answers MISSING (its bitmap said otherwise) comes from another holder', { timeout: 60_000 }, async () => {
    const file = fileOf(4 * MiB, 31);
    const { a, target, fetch } = await twoHolders(file, (audience) => {
      const liar = new MemoryHoldings([{ file, audience }]);
      const read = liar.readChunk.bind(liar);
      liar.readChunk = async (fileId, index) => (index === 2 ? undefined : read(fileId, index));
      return [liar, new MemoryHoldings([{ file, audience }])];
    });
    const summary = await fetch();
    assert.equal(summary.complete, true);
    assert.equal(holderReport(summary, a.node.peerId).outcome, 'done', 'a MISSING is not a fault');
    assert.equal(summary.refetched, 1);
    assertIdentical(target, file);
  });

  test('an aborted fetch rejects with the signal\'s reason and keeps what it wrote', { timeout: 60_000 }, async () => {
    const file = fileOf(8 * MiB, 37);
    const fetcher = await peer();
    const h = await holder(new MemoryHoldings([{ file, audience: new Set([fetcher.node.peerId]) }]));
    await connect(fetcher, h);
    const target = new MemoryTarget(file);
    const abort = new AbortController();
    const reason = new Error('user cancelled');
    await assert.rejects(
      fetchFile({ network: fetcher.network, target, holders: [h.node.peerId], primitives, signal: abort.signal, onProgress: (p) => p.chunksHeld === 5 && abort.abort(reason) }),
      (e) => e === reason,
    );
    assert.ok(target.writes.length >= 5 && target.writes.length < file.chunks.length);
    await waitFor(() => h.server.openStreams(fetcher.node.peerId) === 0);
  });

  test('a manifest that does not make the file id is dropped with its holder; the manifest comes from the next', { timeout: 60_000 }, async () => {
    const file = fileOf(2 * MiB, 41);
    let liar!: MemoryHoldings;
    const { a, target, fetch } = await twoHolders(file, (audience) => {
      liar = new MemoryHoldings([{ file, audience }]);
      liar.manifest = async () => {
        const forged = new Uint8Array(file.manifest);
        forged[0]! ^= 1;
        return forged;
      };
      return [liar, new MemoryHoldings([{ file, audience }])];
    });
    const summary = await fetch();
    assert.equal(summary.complete, true);
    assert.equal(holderReport(summary, a.node.peerId).outcome, 'bad data');
    assert.equal(holderReport(summary, a.node.peerId).chunks, 0);
    assert.deepEqual(await target.manifest(), file.manifest);
    assert.equal(liar.calls.readChunk, 0, 'no chunk asked of the holder whose manifest was wrong');
  });

  test('a holder that stops mid-way: the rest comes from the other', { timeout: 60_000 }, async () => {
    const file = fileOf(16 * MiB, 17);
    const n = file.chunks.length;
    const { a, b, target, fetch } = await twoHolders(file, (audience) => [new MemoryHoldings([{ file, audience }]), new MemoryHoldings([{ file, audience }])]);
    let stopped = false;
    const summary = await fetch({
      onProgress: (p) => {
        if (!stopped && p.chunksHeld >= n / 4) {
          stopped = true;
          void b.node.stop();
        }
      },
    });
    assert.equal(summary.complete, true);
    const bReport = holderReport(summary, b.node.peerId);
    assert.equal(bReport.outcome, 'gone');
    assert.ok(bReport.chunks > 0 && bReport.chunks < n / 2, `b served ${bReport.chunks} before it stopped`);
    assert.equal(holderReport(summary, a.node.peerId).chunks + bReport.chunks, n);
    assertIdentical(target, file);
  });

  test('the only holder stops mid-way; once it is back, a second fetch asks only what is missing', { timeout: 60_000 }, async () => {
    const file = fileOf(16 * MiB, 19);
    const n = file.chunks.length;
    const fetcher = await peer();
    const holdings = new MemoryHoldings([{ file, audience: new Set([fetcher.node.peerId]) }]);
    const first = await holder(holdings);
    const address = first.node.addresses()[0]!;
    await connect(fetcher, first);
    const { network, watch } = watchFileStreams(fetcher.network);
    const target = new MemoryTarget(file);
    let stopped: Promise<void> | undefined;
    const interrupted = await fetchFile({
      network,
      target,
      holders: [first.node.peerId],
      primitives,
      onProgress: (p) => {
        if (stopped === undefined && p.chunksHeld >= n / 2) stopped = first.node.stop();
      },
    });
    await stopped;
    assert.equal(interrupted.complete, false);
    assert.equal(holderReport(interrupted, first.node.peerId).outcome, 'gone');
    const left = await target.missing();
    assert.equal(interrupted.missing, left.length);
    assert.ok(left.length > 0 && left.length <= n / 2);
    const askedBefore = watch.asked.length;

    const port = address.split('/')[4]!;
    const again = await holder(holdings, realScheduler, first.identity, `/ip4/127.0.0.1/tcp/${port}`);
    await connect(fetcher, again);
    const resumed = await fetchFile({ network, target, holders: [again.node.peerId], primitives });
    assert.equal(resumed.complete, true);
    assert.deepEqual(watch.asked.slice(askedBefore), left, 'the second fetch asked exactly the missing chunks, once each');
    assert.ok(watch.asked.length <= n + FILE_WINDOW_CHUNKS, `${watch.asked.length} chunks asked in all for ${n}: at most one window twice`);
    assertIdentical(target, file);
  });
});

describe('/sotto/file refusals', () => {
  const file = fileOf(3 * 256 * 1024 + 5, 23);
  const n = file.chunks.length;
  const fileId = fromHex(file.fileId);

  test('a stranger is refused `not allowed` and nothing of the file is read; an unknown file is refused `unknown file`', { timeout: 60_000 }, async () => {
    const stranger = await peer();
    const holdings = new MemoryHoldings([{ file, audience: new Set(['someone-else']) }]);
    const h = await holder(holdings);
    await connect(stranger, h);
    const target = new MemoryTarget(file);
    const summary = await fetchFile({ network: stranger.network, target, holders: [h.node.peerId], primitives });
    assert.equal(summary.complete, false);
    assert.deepEqual(holderReport(summary, h.node.peerId), { peerId: h.node.peerId, outcome: 'refused', reason: 'not allowed', chunks: 0, bytes: 0 });
    assert.deepEqual(holdings.calls, { manifest: 0, held: 0, readChunk: 0, mayFetch: 1 });
    assert.equal(await target.manifest(), undefined);

    const other = fileOf(1000, 29);
    const unknown = await fetchFile({ network: stranger.network, target: new MemoryTarget(other), holders: [h.node.peerId], primitives });
    assert.equal(holderReport(unknown, h.node.peerId).reason, 'not allowed', 'a file not held is not allowed either: the audience is the file\'s');
    const open = new MemoryHoldings([{ file, audience: new Set([stranger.node.peerId]) }]);
    open.mayFetch = async () => true;
    const h2 = await holder(open);
    await connect(stranger, h2);
    const none = await fetchFile({ network: stranger.network, target: new MemoryTarget(other), holders: [h2.node.peerId], primitives });
    assert.equal(holderReport(none, h2.node.peerId).outcome, 'refused');
    assert.equal(holderReport(none, h2.node.peerId).reason, 'unknown file');
  });

  test('a peer removed from the audience while its stream is open is refused from its next request', { timeout: 60_000 }, async () => {
    const member = await peer();
    const audience = new Set([member.node.peerId]);
    const h = await holder(new MemoryHoldings([{ file, audience }]));
    await connect(member, h);
    const s = await rawStream(member, h);
    await s.write(encodeChunksRequest(fileId, [0]));
    assert.deepEqual(await answerOf(s), { type: 'chunk', index: 0, sealed: file.chunks[0] });
    audience.delete(member.node.peerId);
    await s.write(encodeChunksRequest(fileId, [1]));
    assert.deepEqual(await answerOf(s), { type: 'refused', reason: 'not allowed' });
    await assertEnded(s);
    await s.close();
  });

  test(`past ${FILE_MAX_STREAMS_PER_PEER} open streams a peer is refused \`busy\`; a closed stream frees its place`, { timeout: 60_000 }, async () => {
    const fetcher = await peer();
    const h = await holder(new MemoryHoldings([{ file, audience: new Set([fetcher.node.peerId]) }]));
    await connect(fetcher, h);
    const streams: FramedStream[] = [];
    for (let i = 0; i < FILE_MAX_STREAMS_PER_PEER; i++) {
      const s = await rawStream(fetcher, h);
      await s.write(encodeHaveRequest(fileId));
      assert.equal((await answerOf(s)).type, 'bitmap');
      streams.push(s);
    }
    assert.equal(h.server.openStreams(fetcher.node.peerId), FILE_MAX_STREAMS_PER_PEER);
    const extra = await rawStream(fetcher, h);
    assert.deepEqual(await answerOf(extra), { type: 'refused', reason: 'busy' });
    await assertEnded(extra);
    await extra.close();
    await streams[0]!.close();
    await assertEnded(streams[0]!);
    const later = await rawStream(fetcher, h);
    await later.write(encodeHaveRequest(fileId));
    assert.equal((await answerOf(later)).type, 'bitmap');
    for (const s of [...streams.slice(1), later]) await s.close();
  });

  test('bad requests are refused `bad request` and end the stream', { timeout: 60_000 }, async () => {
    const fetcher = await peer();
    const holdings = new MemoryHoldings([{ file, audience: new Set([fetcher.node.peerId]) }]);
    const h = await holder(holdings);
    await connect(fetcher, h);
    const duplicate = new Writer(48).u8(1).u8(2).fixed(fileId, 32).u16(2).u32(1).u32(1).finish();
    const cases: [string, Bytes][] = [
      ['an index past the file', encodeChunksRequest(fileId, [0, n])],
      ['a manifest page that starts past the file', encodeManifestRequest(fileId, n, 1)],
      ['one index twice', duplicate],
      ['nine chunks at once', new Writer(80).u8(1).u8(2).fixed(fileId, 32).u16(9).u32(0).u32(1).u32(2).u32(3).u32(0).u32(0).u32(0).u32(0).u32(0).finish()],
      ['an unknown type', Uint8Array.of(1, 9, ...fileId)],
      ['a truncated frame', Uint8Array.of(1, 1, 0)],
    ];
    for (const [what, frame] of cases) {
      const s = await rawStream(fetcher, h);
      await s.write(frame);
      assert.deepEqual(await answerOf(s), { type: 'refused', reason: 'bad request' }, what);
      await assertEnded(s);
      await s.close();
    }
    assert.equal(holdings.calls.readChunk, 0, 'no chunk read for a bad request');
  });

  test('answers come in the order asked: HASHES (a short last page), CHUNK and MISSING', { timeout: 60_000 }, async () => {
    const fetcher = await peer();
    const h = await holder(new MemoryHoldings([{ file, audience: new Set([fetcher.node.peerId]), held: new Set([0, 2, 3]) }]));
    await connect(fetcher, h);
    const s = await rawStream(fetcher, h);
    await s.writeMany([encodeManifestRequest(fileId, 1, 100), encodeChunksRequest(fileId, [3, 1, 0]), encodeHaveRequest(fileId)]);
    assert.deepEqual(await answerOf(s), { type: 'hashes', first: 1, hashes: file.manifest.subarray(32) });
    assert.deepEqual(await answerOf(s), { type: 'chunk', index: 3, sealed: file.chunks[3] });
    assert.deepEqual(await answerOf(s), { type: 'missing', index: 1 });
    assert.deepEqual(await answerOf(s), { type: 'chunk', index: 0, sealed: file.chunks[0] });
    assert.deepEqual(await answerOf(s), { type: 'bitmap', chunks: n, bitmap: Uint8Array.of(0b1101) });
    await s.close();
  });

  test(`a stream with no request for FILE_STREAM_IDLE_MS is closed by the holder`, { timeout: 60_000 }, async () => {
    const fetcher = await peer();
    const scheduler = new ManualScheduler(testClock());
    const h = await holder(new MemoryHoldings([{ file, audience: new Set([fetcher.node.peerId]) }]), scheduler);
    await connect(fetcher, h);
    const s = await rawStream(fetcher, h);
    await s.write(encodeHaveRequest(fileId));
    assert.equal((await answerOf(s)).type, 'bitmap');
    await waitFor(() => scheduler.pending === 1);
    await scheduler.advance(FILE_STREAM_IDLE_MS - 1);
    assert.equal(h.server.openStreams(fetcher.node.peerId), 1, 'still open just before the idle time');
    await scheduler.advance(1);
    await assertEnded(s);
    await s.close();
    await waitFor(() => h.server.openStreams(fetcher.node.peerId) === 0);
  });
});

/** Waits (bounded) until `condition` holds. */
async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
