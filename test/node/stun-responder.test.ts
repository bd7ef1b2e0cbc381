/**
 * The STUN responder of a relay (src/node/transport/stun-responder.ts) on
 * loopback UDP: a relay answers a Binding request at the port number of its
 * TCP listen address with the address and port it saw; a malformed
 * datagram gets nothing; a node that is not a relay runs no responder; and
 * no more than the per-second budget of answers leaves it, whatever is
 * asked.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { multiaddr } from '@multiformats/multiaddr';
import { defaultLogger } from '@libp2p/logger';
import { TypedEventEmitter } from 'main-event';
import type { Libp2pEvents, Startable } from '@libp2p/interface';
import type { TransportManager } from '@libp2p/interface-internal';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { stunResponder } from '../../src/node/transport/stun-responder.ts';
import { testContext } from '../helpers/context.ts';

/** Longest wait for an answer that should come (loopback answers in well under a millisecond). */
const ANSWER_WAIT_MS = 5_000;

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

async function node(name: string, relay: boolean): Promise<SottoNode> {
  const n = await createNode({ identity: await generateIdentity(testContext(`stun-${name}`)), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], relay, webrtc: false });
  cleanup.push(() => n.stop());
  return n;
}

/** A header-only Binding request whose transaction id is twelve bytes of `id`. */
function request(id: number): Uint8Array {
  const bytes = new Uint8Array(20);
  bytes.set([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
  bytes.fill(id, 8);
  return bytes;
}

/** A UDP client on loopback that collects every answer. */
async function client(): Promise<{ socket: Socket; port: number; answers: Buffer[]; next(): Promise<Buffer> }> {
  const socket = createSocket('udp4');
  const answers: Buffer[] = [];
  let waiting: ((b: Buffer) => void) | undefined;
  socket.on('message', (message: Buffer) => {
    answers.push(message);
    waiting?.(message);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  cleanup.push(async () => void socket.close());
  return {
    socket,
    port: socket.address().port,
    answers,
    next: () =>
      new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no STUN answer')), ANSWER_WAIT_MS);
        waiting = (b) => {
          clearTimeout(timer);
          waiting = undefined;
          resolve(b);
        };
      }),
  };
}

/** The port and IPv4 address in an IPv4 XOR-MAPPED-ADDRESS answer. */
function mapped(answer: Buffer): { port: number; address: string } {
  assert.equal(answer.readUInt16BE(20), 0x0020, 'XOR-MAPPED-ADDRESS');
  const cookie = [0x21, 0x12, 0xa4, 0x42];
  return { port: answer.readUInt16BE(26) ^ 0x2112, address: [0, 1, 2, 3].map((i) => answer[28 + i]! ^ cookie[i]!).join('.') };
}

test('a relay answers a Binding request on UDP at its TCP port with the sender\'s address and port; a malformed datagram gets nothing', async () => {
  const relay = await node('relay', true);
  const port = Number(multiaddr(relay.addresses()[0]!).getComponents()[1]!.value);
  assert.deepEqual(relay.libp2p.services.stun!.endpoints(), [`127.0.0.1:${port}`]);
  const udp = await client();
  const first = udp.next();
  udp.socket.send(request(1), port, '127.0.0.1');
  const answer = await first;
  assert.equal(answer.length, 32);
  assert.deepEqual(answer.subarray(8, 20), Buffer.from(request(1).subarray(8)), 'its transaction id');
  assert.deepEqual(mapped(answer), { port: udp.port, address: '127.0.0.1' });
  // A malformed datagram, then a good one: the first answer that comes is the good one's.
  const second = udp.next();
  const malformed = request(2);
  malformed[6] = 0;
  udp.socket.send(malformed, port, '127.0.0.1');
  udp.socket.send(request(3), port, '127.0.0.1');
  assert.deepEqual((await second).subarray(8, 20), Buffer.from(request(3).subarray(8)));
  assert.equal(udp.answers.length, 2);
});

test('a node that is not a relay answers no STUN', async () => {
  const plain = await node('plain', false);
  assert.equal(plain.libp2p.services.stun, undefined);
});

test('no more answers than the per-second budget leave the responder, however many requests come', async () => {
  const udp = await client();
  const budget = 5;
  // The responder's own port: any free one, taken from a socket closed just before.
  const probe = createSocket('udp4');
  probe.bind(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  // The clock reads 0 for the constructor, request 0 and the twenty, then a second later:
  // the responder reads it once per well-formed request, so no timing decides the count.
  let reads = 0;
  const now = (): number => (++reads > 22 ? 1000 : 0);
  const events = new TypedEventEmitter<Libp2pEvents>();
  const transportManager = { getAddrs: () => [multiaddr(`/ip4/127.0.0.1/tcp/${port}`)] } as unknown as TransportManager;
  const service = stunResponder({ answersPerSecond: budget, now })({ transportManager, events, logger: defaultLogger() }) as unknown as Startable & { endpoints(): string[] };
  await service.start();
  await service.afterStart?.();
  cleanup.push(async () => service.stop());
  // Wait until the socket is bound: a first request gets its answer.
  const bound = udp.next();
  udp.socket.send(request(0), port, '127.0.0.1');
  await bound;
  for (let id = 1; id <= 20; id++) udp.socket.send(request(id), port, '127.0.0.1');
  // A second later the budget is back: request 99 is answered, after every earlier answer.
  const barrier = new Promise<void>((resolve) => {
    const check = (message: Buffer): void => {
      if (message[8] === 99) {
        udp.socket.off('message', check);
        resolve();
      }
    };
    udp.socket.on('message', check);
  });
  udp.socket.send(request(99), port, '127.0.0.1');
  await barrier;
  const ids = udp.answers.map((a) => a[8]);
  assert.equal(ids.filter((id) => id !== 0 && id !== 99).length, budget - 1, `answered: ${ids.join(' ')}`);
});
