/**
 * Peer memory (src/node/transport/peer-memory.ts) on a hand-moved clock:
 * each kind is bounded on its own, so a flood of strangers' connections
 * never pushes out contacts or mailboxes; peers that keep answering keep
 * their places; peers that stop answering are forgotten after
 * PEER_MEMORY_MAX_FAILURES starts or PEER_MEMORY_MAX_AGE_MS; a peer heard
 * again within PEER_MEMORY_TOUCH_INTERVAL_MS is not rewritten.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PEER_MEMORY_MAX_ADDRESSES,
  PEER_MEMORY_MAX_AGE_MS,
  PEER_MEMORY_MAX_CONTACTS,
  PEER_MEMORY_MAX_DHT_PEERS,
  PEER_MEMORY_MAX_FAILURES,
  PEER_MEMORY_MAX_MAILBOXES,
  PEER_MEMORY_MAX_RELAYS,
  PEER_MEMORY_TOUCH_INTERVAL_MS,
} from '../../src/node/constants.ts';
import { PeerMemory, type MemoryChange, type PeerKind, type RememberedPeer } from '../../src/node/transport/peer-memory.ts';
import { testClock } from '../helpers/context.ts';

const START = 1_700_000_000_000;
const address = (i: number): string => `/ip4/198.51.100.${i % 250}/tcp/${4000 + i}`;
const id = (kind: string, i: number): string => `${kind}-${i}`;

/** A memory holding `count` peers of `kind` that answered at `now`. */
function fill(memory: PeerMemory, kind: PeerKind, count: number, now: number): void {
  for (let i = 0; i < count; i++) memory.answered(id(kind, i), kind, [address(i)], now);
}

function kinds(memory: PeerMemory): Record<string, number> {
  const out: Record<string, number> = {};
  for (const peer of memory.list()) out[peer.kind] = (out[peer.kind] ?? 0) + 1;
  return out;
}

/** Applies a change to a map standing for the store. */
function apply(stored: Map<string, RememberedPeer>, change: MemoryChange): void {
  for (const peerId of change.delete) stored.delete(peerId);
  for (const peer of change.put) stored.set(peer.peerId, peer);
}

test('each kind has its own bound: a flood of strangers fills only the DHT and relay places', () => {
  const clock = testClock(START);
  const { memory } = PeerMemory.load([], clock.now());
  fill(memory, 'contact', PEER_MEMORY_MAX_CONTACTS, clock.now());
  fill(memory, 'mailbox', PEER_MEMORY_MAX_MAILBOXES, clock.now());
  clock.advance(1000);
  for (let i = 0; i < 5000; i++) {
    memory.answered(`stranger-${i}`, 'dht', [address(i)], clock.now());
    memory.answered(`relay-stranger-${i}`, 'relay', [address(i)], clock.now());
  }
  assert.deepEqual(kinds(memory), { contact: PEER_MEMORY_MAX_CONTACTS, mailbox: PEER_MEMORY_MAX_MAILBOXES, dht: PEER_MEMORY_MAX_DHT_PEERS, relay: PEER_MEMORY_MAX_RELAYS });
  for (let i = 0; i < PEER_MEMORY_MAX_CONTACTS; i++) assert.equal(memory.get(id('contact', i))?.kind, 'contact');
  for (let i = 0; i < PEER_MEMORY_MAX_MAILBOXES; i++) assert.equal(memory.get(id('mailbox', i))?.kind, 'mailbox');
  // The first strangers keep their places while they answer: later ones are not remembered.
  assert.ok(memory.get('stranger-0'));
  assert.equal(memory.get(`stranger-${PEER_MEMORY_MAX_DHT_PEERS}`), undefined);
});

test('a peer that keeps answering keeps its place; one that failed at a start gives it to a newcomer', () => {
  const clock = testClock(START);
  const { memory } = PeerMemory.load([], clock.now());
  fill(memory, 'mailbox', PEER_MEMORY_MAX_MAILBOXES, clock.now());
  const refused = memory.answered('new-mailbox', 'mailbox', [address(900)], clock.now());
  assert.deepEqual(refused, { put: [], delete: [] });
  assert.equal(memory.get('new-mailbox'), undefined);

  memory.failed([id('mailbox', 3), id('mailbox', 5)]);
  memory.failed([id('mailbox', 5)]);
  const admitted = memory.answered('new-mailbox', 'mailbox', [address(900)], clock.now());
  // The one that failed most goes.
  assert.deepEqual(admitted.delete, [id('mailbox', 5)]);
  assert.equal(admitted.put[0]?.peerId, 'new-mailbox');
  assert.equal(memory.get(id('mailbox', 5)), undefined);
  assert.equal(memory.get(id('mailbox', 3))?.failures, 1);
  assert.equal(kinds(memory)['mailbox'], PEER_MEMORY_MAX_MAILBOXES);
});

test('a peer is forgotten after PEER_MEMORY_MAX_FAILURES failed starts; answering resets the count', () => {
  const clock = testClock(START);
  const { memory } = PeerMemory.load([], clock.now());
  memory.answered('carol', 'mailbox', [address(1)], clock.now());
  for (let i = 1; i < PEER_MEMORY_MAX_FAILURES; i++) {
    const change = memory.failed(['carol']);
    assert.equal(change.put[0]?.failures, i);
  }
  clock.advance(1000);
  const back = memory.answered('carol', 'mailbox', [], clock.now());
  assert.equal(back.put[0]?.failures, 0, 'answering again resets the failures');
  assert.deepEqual(back.put[0]?.addresses, [address(1)], 'no new address keeps the remembered ones');
  for (let i = 1; i < PEER_MEMORY_MAX_FAILURES; i++) memory.failed(['carol']);
  assert.deepEqual(memory.failed(['carol']), { put: [], delete: ['carol'] });
  assert.equal(memory.get('carol'), undefined);
});

test('loading ages out peers unheard for PEER_MEMORY_MAX_AGE_MS, and trims kinds to their bounds', () => {
  const clock = testClock(START);
  const stored = new Map<string, RememberedPeer>();
  const { memory } = PeerMemory.load([], clock.now());
  apply(stored, memory.answered('old-contact', 'contact', [address(1)], clock.now()));
  clock.advance(PEER_MEMORY_MAX_AGE_MS / 2);
  apply(stored, memory.answered('recent-dht', 'dht', [address(2)], clock.now()));
  // Written by hand, beyond the bound (a store written under another bound).
  for (let i = 0; i < PEER_MEMORY_MAX_RELAYS + 3; i++) {
    stored.set(`relay-${i}`, { peerId: `relay-${i}`, kind: 'relay', addresses: [address(i)], firstSeenAt: clock.now(), lastSeenAt: clock.now() - i, failures: 0 });
  }
  clock.advance(PEER_MEMORY_MAX_AGE_MS / 2 + 1);
  const loaded = PeerMemory.load([...stored.values()], clock.now());
  assert.equal(loaded.memory.get('old-contact'), undefined, 'unheard for longer than the age bound');
  assert.ok(loaded.memory.get('recent-dht'));
  assert.equal(kinds(loaded.memory)['relay'], PEER_MEMORY_MAX_RELAYS);
  // The most recently heard relays stay; the rest are deleted from the store too.
  assert.deepEqual(new Set(loaded.change.delete), new Set(['old-contact', ...Array.from({ length: 3 }, (_, i) => `relay-${PEER_MEMORY_MAX_RELAYS + i}`)]));
});

test('a peer heard again within PEER_MEMORY_TOUCH_INTERVAL_MS with nothing new is not written again', () => {
  const clock = testClock(START);
  const { memory } = PeerMemory.load([], clock.now());
  assert.equal(memory.answered('bob', 'contact', [address(1)], clock.now()).put.length, 1);
  clock.advance(PEER_MEMORY_TOUCH_INTERVAL_MS - 1);
  assert.equal(memory.answered('bob', 'contact', [address(1)], clock.now()).put.length, 0);
  assert.equal(memory.answered('bob', 'contact', [address(2)], clock.now()).put.length, 1, 'new addresses are written');
  clock.advance(PEER_MEMORY_TOUCH_INTERVAL_MS);
  const touched = memory.answered('bob', 'contact', [address(2)], clock.now());
  assert.equal(touched.put[0]?.lastSeenAt, clock.now());
});

test('a kind only rises: a mailbox seen again as a DHT peer stays a mailbox; a contact outranks all', () => {
  const clock = testClock(START);
  const { memory } = PeerMemory.load([], clock.now());
  memory.answered('carol', 'dht', [address(1)], clock.now());
  memory.answered('carol', 'mailbox', [], clock.now());
  memory.answered('carol', 'dht', [address(1)], clock.now());
  assert.equal(memory.get('carol')?.kind, 'mailbox');
  memory.answered('carol', 'contact', [], clock.now());
  assert.equal(memory.get('carol')?.kind, 'contact');
  assert.equal(kinds(memory)['mailbox'], undefined, 'it left its old place');
});

test('addresses are bounded, without repeats; a peer with none is not remembered; dial order is by kind', () => {
  const clock = testClock(START);
  const { memory } = PeerMemory.load([], clock.now());
  const many = Array.from({ length: 20 }, (_, i) => address(i));
  memory.answered('dave', 'dht', [address(0), ...many, 'x'.repeat(5000)], clock.now());
  assert.deepEqual(memory.get('dave')?.addresses, many.slice(0, PEER_MEMORY_MAX_ADDRESSES));
  assert.deepEqual(memory.answered('nobody', 'dht', [], clock.now()), { put: [], delete: [] });
  memory.answered('r', 'relay', [address(3)], clock.now());
  clock.advance(1);
  memory.answered('m', 'mailbox', [address(4)], clock.now());
  memory.answered('c', 'contact', [address(5)], clock.now());
  clock.advance(1);
  memory.answered('d2', 'dht', [address(6)], clock.now());
  assert.deepEqual(memory.list().map((p) => p.peerId), ['c', 'm', 'd2', 'dave', 'r']);
});
