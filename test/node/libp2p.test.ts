/**
 * Sotto's libp2p node (src/node/transport/libp2p.ts) with real nodes, on loopback only
 * (/ip4/127.0.0.1, TCP and WebSockets; no mDNS, which would multicast on every
 * interface): identity and peer id, ping, frames both ways over Yamux with
 * its backpressure, pnet, a circuit relay, argument errors, and bursts of
 * inbound dials and resets that must never reach the process as uncaught
 * errors. Every node is stopped at the end of its test.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Stream } from '@libp2p/interface';
import { generateIdentity, type IdentityKeyPair } from '../../src/crypto/identity.ts';
import { encodeFrame, framed, varintLength, writeVarint } from '../../src/node/transport/frames.ts';
import { checkSwarmKey, createNode, encodeSwarmKey, strayNetworkErrorCount, type NodeConfig, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { KAD_PROTOCOL, YAMUX_MAX_STREAM_WINDOW_BYTES } from '../../src/node/constants.ts';
import { DialFailedError, FrameTimeoutError, FrameTooLargeError, PeerNotFoundError, StreamClosedError } from '../../src/node/errors.ts';
import { peerIdOfIdentity, signingKeyOfPeerId } from '../../src/node/encoding/peer-id.ts';
import { seededRandom, testContext } from '../helpers/context.ts';

const TCP = '/ip4/127.0.0.1/tcp/0';
const WS = '/ip4/127.0.0.1/tcp/0/ws';
const ECHO = '/sotto-test/echo/1.0.0';
const MAX = 64 * 1024;

let identities = 0;
async function identity(): Promise<IdentityKeyPair> {
  return generateIdentity(testContext(`libp2p-test-${identities++}`));
}

/** Every node a test starts; stopped after the suite even when a test fails. */
const running = new Set<SottoNode>();
async function node(config: Partial<NodeConfig> = {}): Promise<SottoNode> {
  const n = await createNode({ identity: await identity(), listen: [TCP, WS], bootstrap: [], ...config });
  running.add(n);
  return n;
}
async function stop(...nodes: SottoNode[]): Promise<void> {
  await Promise.all(nodes.map(async (n) => {
    running.delete(n);
    await n.stop();
  }));
}
after(async () => {
  await stop(...running);
});

function addressOf(n: SottoNode, transport: 'tcp' | 'ws'): string {
  const found = n.addresses().find((a) => (transport === 'ws') === a.includes('/ws/'));
  assert.ok(found, `${transport} address of ${n.peerId}`);
  return found;
}

/** Echo server: answers every frame with its bytes reversed until the client closes. */
async function serveEcho(n: SottoNode): Promise<void> {
  await n.handle(ECHO, async (stream) => {
    const f = framed(stream, { maxFrameBytes: MAX });
    for (;;) {
      let frame: Uint8Array;
      try {
        frame = await f.read();
      } catch (err) {
        if (err instanceof StreamClosedError && err.reason === 'ended') break;
        throw err;
      }
      await f.write(frame.reverse());
    }
    await f.close();
  });
}

/** Collects every uncaught exception and unhandled rejection while `run` runs (and a little after). */
async function withoutStrayErrors(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const record = (err: unknown): void => {
    seen.push(err);
  };
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  const strayBefore = strayNetworkErrorCount();
  try {
    await run();
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  }
  assert.equal(strayNetworkErrorCount(), strayBefore, 'the process guard had nothing to ignore either');
  return seen;
}

describe('identity', () => {
  test("the node's peer id is the one derived from its Sotto identity", async () => {
    const id = await identity();
    const n = await createNode({ identity: id, listen: [TCP], bootstrap: [] });
    running.add(n);
    assert.equal(n.peerId, peerIdOfIdentity(id.public));
    assert.equal(n.libp2p.peerId.toString(), n.peerId);
    assert.deepEqual(signingKeyOfPeerId(n.peerId), id.public.signingKey);
    const addresses = n.addresses();
    assert.ok(addresses.length > 0);
    for (const a of addresses) {
      assert.ok(a.startsWith('/ip4/127.0.0.1/tcp/'), a);
      assert.ok(a.endsWith(`/p2p/${n.peerId}`), a);
    }
    assert.ok(n.libp2p.getProtocols().includes(KAD_PROTOCOL), 'the private DHT protocol is served');
    assert.ok(!n.libp2p.getProtocols().includes('/ipfs/kad/1.0.0'), 'never the public IPFS DHT');
    await stop(n);
  });

  test('an identity whose seed does not give its public key is refused', async () => {
    const id = await identity();
    const other = await identity();
    const forged: IdentityKeyPair = { ...id, public: { ...id.public, signingKey: other.public.signingKey } };
    await assert.rejects(createNode({ identity: forged, listen: [TCP], bootstrap: [] }), { name: 'IdentityKeyMismatchError' });
  });
});

describe('two nodes', () => {
  test('connect, ping, and exchange frames both ways over TCP and over WebSockets', async () => {
    const a = await node();
    const b = await node({ bootstrap: [addressOf(a, 'tcp')] });
    await serveEcho(a);
    assert.equal(await b.bootstrap(), 1);
    const rtt = await b.libp2p.services.ping.ping(a.libp2p.peerId);
    assert.ok(rtt >= 0 && rtt < 1000, `ping ${rtt} ms`);

    const stream = await b.dialProtocol(a.peerId, ECHO);
    const f = framed(stream, { maxFrameBytes: MAX });
    for (const size of [0, 1, 1000, MAX]) {
      const frame = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      await f.write(frame);
      assert.deepEqual(await f.read(), frame.slice().reverse());
    }
    await f.close();
    await assert.rejects(f.read(), (err: unknown) => err instanceof StreamClosedError && err.reason === 'ended');

    // WebSockets: a third node that knows only a's /ws address.
    const c = await node();
    assert.equal(await c.connect(addressOf(a, 'ws')), a.peerId);
    assert.ok(c.libp2p.getConnections(a.libp2p.peerId).some((conn) => conn.remoteAddr.toString().includes('/ws')));
    const fc = framed(await c.dialProtocol(a.peerId, ECHO), { maxFrameBytes: MAX });
    await fc.write(Uint8Array.of(1, 2, 3));
    assert.deepEqual(await fc.read(), Uint8Array.of(3, 2, 1));
    await fc.close();
    await stop(a, b, c);
  });

  test('a frame over the limit is refused by the receiver, a silent peer times the read out', async () => {
    const a = await node();
    const b = await node();
    const received: unknown[] = [];
    await a.handle(ECHO, async (stream) => {
      const f = framed(stream, { maxFrameBytes: 1024, readTimeoutMs: 100 });
      try {
        await f.read();
      } catch (err) {
        received.push(err);
      }
    });
    await b.connect(addressOf(a, 'tcp'));

    // Over the limit: the prefix announces 10,000 bytes to a reader that takes 1,024.
    const big = await b.dialProtocol(a.peerId, ECHO);
    const header = new Uint8Array(varintLength(10_000));
    writeVarint(header, 10_000);
    big.send(header);
    big.send(new Uint8Array(100));
    // Silent: nothing is ever sent.
    await b.dialProtocol(a.peerId, ECHO);
    await waitFor(() => received.length === 2);
    const tooLarge = received.find((e) => e instanceof FrameTooLargeError);
    const timedOut = received.find((e) => e instanceof FrameTimeoutError);
    assert.ok(tooLarge instanceof FrameTooLargeError && tooLarge.size === 10_000 && tooLarge.limit === 1024, String(received));
    assert.ok(timedOut instanceof FrameTimeoutError && timedOut.timeoutMs === 100, String(received));
    await waitFor(() => big.status !== 'open');
    assert.equal(big.status, 'reset', 'the sender of the oversized frame sees its stream reset');
    await stop(a, b);
  });

  for (const pnet of [false, true]) {
    test(`a reader that does not read pushes back on the writer through Yamux${pnet ? ' (with a swarm key)' : ''}; memory stays bounded`, async () => {
      const swarmKey = pnet ? encodeSwarmKey(seededRandom('backpressure')(32)) : undefined;
      const a = await node({ swarmKey });
      const b = await node({ swarmKey });
      let serverStream: Stream | undefined;
      let startReading!: () => void;
      const mayRead = new Promise<void>((resolve) => {
        startReading = resolve;
      });
      const total = 8 * 1024 * 1024;
      let received = 0;
      await a.handle(ECHO, async (stream) => {
        serverStream = stream;
        const f = framed(stream, { maxFrameBytes: MAX });
        await mayRead;
        while (received < total) received += (await f.read()).length;
        await f.write(Uint8Array.of(1));
      });
      await b.connect(addressOf(a, 'tcp'));
      const f = framed(await b.dialProtocol(a.peerId, ECHO), { maxFrameBytes: MAX, writeTimeoutMs: 30_000 });
      let written = 0;
      const writing = (async () => {
        while (written < total) {
          await f.write(new Uint8Array(MAX));
          written += MAX;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 400));
      const heldAt = written;
      assert.ok(heldAt < total / 2, `the writer is held back (${heldAt} of ${total} bytes written)`);
      assert.ok(serverStream !== undefined);
      assert.ok(serverStream.readBufferLength <= YAMUX_MAX_STREAM_WINDOW_BYTES, `unread bytes at the receiver: ${serverStream.readBufferLength}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(written, heldAt, 'and stays held while the reader does not read');
      startReading();
      await writing;
      assert.deepEqual(await f.read(), Uint8Array.of(1));
      assert.equal(received, total);
      await stop(a, b);
    });
  }

  test('dialling by peer id: unknown protocol, self, unknown peer, malformed id', async () => {
    const a = await node();
    const b = await node({ bootstrap: [addressOf(a, 'tcp')] });
    await b.bootstrap();
    await assert.rejects(b.dialProtocol(a.peerId, '/sotto-test/nobody/1.0.0'), (err: unknown) => err instanceof DialFailedError && err.reason === 'protocol');
    await assert.rejects(b.dialProtocol(b.peerId, ECHO), (err: unknown) => err instanceof DialFailedError && err.reason === 'self');
    const stranger = peerIdOfIdentity((await identity()).public);
    const started = performance.now();
    await assert.rejects(b.dialProtocol(stranger, ECHO, { timeoutMs: 3000 }), (err: unknown) => err instanceof DialFailedError && (err.reason === 'unreachable' || err.reason === 'timeout'));
    assert.ok(performance.now() - started < 3500);
    await assert.rejects(b.findPeer(stranger, { timeoutMs: 2000 }), (err: unknown) => err instanceof PeerNotFoundError && err.peerId === stranger);
    await assert.rejects(b.dialProtocol('12D3KooWnot-a-peer-id', ECHO), { name: 'InvalidPeerIdError' });
    await assert.rejects(b.findPeer('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'), { name: 'InvalidPeerIdError' });
    await stop(a, b);
  });

  test('configuration errors are argument errors', async () => {
    const id = await identity();
    await assert.rejects(createNode({ identity: id, listen: [TCP], bootstrap: ['/ip4/127.0.0.1/tcp/4001'] }), RangeError);
    await assert.rejects(createNode({ identity: id, listen: ['/p2p-circuit'], bootstrap: [] }), RangeError);
    await assert.rejects(createNode({ identity: id, listen: ['not a multiaddr'], bootstrap: [] }), TypeError);
    await assert.rejects(createNode({ identity: id, listen: [TCP], bootstrap: [], swarmKey: new TextEncoder().encode('/key/swarm/psk/1.0.0/\n/base16/\n1234\n') }), { name: 'InvalidSwarmKeyError' });
  });
});

describe('pnet', () => {
  test('nodes with the same swarm key connect; another key or none cannot, and nothing crashes', async () => {
    const random = seededRandom('swarm keys');
    const key = encodeSwarmKey(random(32));
    const otherKey = encodeSwarmKey(random(32));
    assert.equal(checkSwarmKey(key), key);
    assert.equal(new TextDecoder().decode(key).split('\n')[0], '/key/swarm/psk/1.0.0/');

    const stray = await withoutStrayErrors(async () => {
      const a = await node({ swarmKey: key });
      const b = await node({ swarmKey: key });
      const wrong = await node({ swarmKey: otherKey });
      const none = await node();
      await serveEcho(a);

      assert.equal(await b.connect(addressOf(a, 'tcp')), a.peerId);
      assert.equal(await b.connect(addressOf(a, 'ws')) , a.peerId);
      const f = framed(await b.dialProtocol(a.peerId, ECHO), { maxFrameBytes: MAX });
      await f.write(Uint8Array.of(1, 2));
      assert.deepEqual(await f.read(), Uint8Array.of(2, 1));
      await f.close();

      const attempts: [SottoNode, SottoNode, 'tcp' | 'ws'][] = [
        [wrong, a, 'tcp'], [wrong, a, 'ws'], [none, a, 'tcp'], [none, a, 'ws'], [a, none, 'tcp'], [a, wrong, 'ws'],
      ];
      // Some directions fail at once (reset, EOF); in others the keyed side
      // decrypts garbage and waits, so the dial ends at its timeout.
      for (const [from, to, transport] of attempts) {
        const started = performance.now();
        await assert.rejects(from.connect(addressOf(to, transport), { timeoutMs: 1500 }), (err: unknown) => {
          assert.ok(err instanceof DialFailedError, String(err));
          assert.ok(err.cause instanceof Error, 'the libp2p failure is the cause');
          return true;
        });
        const ms = performance.now() - started;
        assert.ok(ms < 2000, `${transport} failure took ${ms.toFixed(0)} ms`);
        assert.equal(from.libp2p.getConnections(to.libp2p.peerId).length, 0);
      }
      // The keyed pair still works afterwards.
      assert.ok((await b.libp2p.services.ping.ping(a.libp2p.peerId)) >= 0);
      await stop(a, b, wrong, none);
    });
    assert.deepEqual(stray, []);
  });
});

describe('circuit relay', () => {
  test('a node reserves a slot on a relay and is reached through it; an unreachable relay is not fatal', async () => {
    const relay = await node({ relay: true, listen: [TCP] });
    const behind = await node({ listen: [TCP], relays: [addressOf(relay, 'tcp')] });
    await serveEcho(behind);
    await behind.libp2p.handle(`${ECHO}-limited`, async (stream) => {
      const f = framed(stream, { maxFrameBytes: MAX });
      await f.write((await f.read()).reverse());
      await f.close();
    }, { runOnLimitedConnection: true });
    const circuit = behind.addresses().find((a) => a.includes('/p2p-circuit/p2p/'));
    assert.ok(circuit !== undefined, `relay address in ${behind.addresses().join(' ')}`);
    assert.ok(behind.addresses().some((a) => a.includes('/p2p-circuit/webrtc/')), 'reachable by WebRTC through the relay too');

    const outside = await node({ listen: [TCP] });
    assert.equal(await outside.connect(circuit), behind.peerId);
    const connection = outside.libp2p.getConnections(behind.libp2p.peerId)[0];
    assert.ok(connection !== undefined && connection.limits !== undefined, 'a relayed connection is limited');
    const f = framed(await connection.newStream(`${ECHO}-limited`, { runOnLimitedConnection: true }), { maxFrameBytes: MAX });
    await f.write(Uint8Array.of(7, 8, 9));
    assert.deepEqual(await f.read(), Uint8Array.of(9, 8, 7));

    const deadRelay = `/ip4/127.0.0.1/tcp/1/p2p/${relay.peerId}`;
    const lonely = await node({ listen: [TCP], relays: [deadRelay] });
    assert.ok(lonely.addresses().some((a) => a.startsWith('/ip4/127.0.0.1/tcp/')), 'still listens on TCP');
    await stop(relay, behind, outside, lonely);
  });
});

describe('bursts of inbound dials', () => {
  test('30 nodes dialling one node at once all connect, and resets and refusals never escape', async () => {
    const stray = await withoutStrayErrors(async () => {
      const target = await node();
      const dialers = await Promise.all(Array.from({ length: 30 }, () => node({ listen: [] })));
      const tcpAddr = addressOf(target, 'tcp');
      const wsAddr = addressOf(target, 'ws');
      const results = await Promise.allSettled(dialers.map((d, i) => d.connect(i % 2 === 0 ? tcpAddr : wsAddr)));
      assert.deepEqual(results.filter((r) => r.status === 'rejected'), [], 'every dial of the burst succeeds');
      await waitFor(() => target.libp2p.getConnections().length === 30);

      // Raw sockets: reset at once, reset after garbage, reset halfway through a handshake.
      const ports = [tcpAddr, wsAddr].map((a) => Number(a.split('/')[4]));
      await Promise.all(Array.from({ length: 60 }, (_, i) => rawAbuse(ports[i % 2]!, i % 3)));

      // Dials that arrive while the target stops.
      const late = await Promise.all(Array.from({ length: 10 }, () => node({ listen: [] })));
      const dialling = Promise.allSettled(late.map((d) => d.connect(tcpAddr, { timeoutMs: 3000 })));
      await stop(target);
      await dialling;
      await stop(...dialers, ...late);
    });
    assert.deepEqual(stray, []);
  });

  test('a malformed WebSocket frame from a peer closes that socket and nothing else', async () => {
    // @libp2p/websockets 10.1.21 leaves the ws 'error' event unhandled: without
    // the listener createNode adds, this ends the process (WS_ERR_UNEXPECTED_RSV_2_3).
    const stray = await withoutStrayErrors(async () => {
      const target = await node();
      await serveEcho(target);
      const port = Number(addressOf(target, 'ws').split('/')[4]);
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
          setTimeout(() => socket.write(Uint8Array.of(0xff, 0xff, 0, 0, 0, 0)), 50);
        });
        socket.resume(); // read what comes back, so that the server's close reaches us
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
      });
      const peer = await node({ listen: [] });
      assert.equal(await peer.connect(addressOf(target, 'ws')), target.peerId, 'the node still accepts WebSocket peers');
      await stop(target, peer);
    });
    assert.deepEqual(stray, []);
  });

  test('a node that refuses a burst (default rate limit of 5 a second per host) fails those dials cleanly', async () => {
    const stray = await withoutStrayErrors(async () => {
      const target = await node({ inboundConnectionThreshold: 5 });
      const dialers = await Promise.all(Array.from({ length: 30 }, () => node({ listen: [] })));
      const results = await Promise.allSettled(dialers.map((d) => d.connect(addressOf(target, 'tcp'), { timeoutMs: 5000 })));
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(refused.length >= 20, `${refused.length} of 30 refused`);
      for (const r of refused) assert.ok(r.reason instanceof DialFailedError, String(r.reason));
      await stop(target, ...dialers);
    });
    assert.deepEqual(stray, []);
  });
});

describe('process guard', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const script = (afterStart: string): string => `
    const { createNode } = await import(${JSON.stringify(new URL('../../src/node/transport/libp2p.ts', import.meta.url).href)});
    const { generateIdentity } = await import(${JSON.stringify(new URL('../../src/crypto/identity.ts', import.meta.url).href)});
    const { testContext } = await import(${JSON.stringify(new URL('../helpers/context.ts', import.meta.url).href)});
    const node = await createNode({ identity: await generateIdentity(testContext('guard')), listen: ['${TCP}'], bootstrap: [] });
    ${afterStart}
    await new Promise((resolve) => setTimeout(resolve, 200));
    await node.stop();
    console.log('survived');
  `;
  const run = (code: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', code], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
      });
    });

  test('a stray ECONNRESET or libp2p stream error does not end the process', async () => {
    const result = await run(script(`
      setTimeout(() => { throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }); }, 10);
      setTimeout(() => { Promise.reject(Object.assign(new Error('stream reset'), { name: 'StreamResetError' })); }, 20);
    `));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /survived/);
  });

  test('any other uncaught error still ends the process with status 1', async () => {
    const result = await run(script(`setTimeout(() => { throw new TypeError('a real bug'); }, 10);`));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /a real bug/);
    assert.doesNotMatch(result.stdout, /survived/);
  });
});

async function rawAbuse(port: number, kind: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.on('connect', () => {
      if (kind === 0) socket.resetAndDestroy();
      else if (kind === 1) {
        socket.write('GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' + 'x'.repeat(500));
        setTimeout(() => socket.resetAndDestroy(), 5);
      } else {
        socket.write(encodeFrame(new TextEncoder().encode('/multistream/1.0.0\n')));
        setTimeout(() => socket.resetAndDestroy(), 20);
      }
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
