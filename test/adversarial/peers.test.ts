/**
 * Adversarial peers against a real node (libp2p on loopback): while each
 * attack runs, an honest contact keeps sending, and its send → ack latency
 * is measured beside the quiet baseline. The node under attack must keep
 * serving the honest peer, deliver each of its messages exactly once, and
 * refuse the attacker: garbage frames, oversized frames, streams opened and
 * never finished, a deposit flood beyond the mailbox's bound, and an impostor
 * that uses a known contact's name.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stream } from '@libp2p/interface';
import {
  MAILBOX_PROTOCOL,
  MAILBOX_STRANGER_SHARE_DIVISOR,
  MAX_INBOUND_MAILBOX_STREAMS,
  MAX_INBOUND_MSG_STREAMS,
  MAX_INBOUND_PREKEYS_STREAMS,
  MAX_MAILBOX_FRAME_BYTES,
  MAX_MSG_FRAME_BYTES,
  MSG_PROTOCOL,
  PREKEYS_PROTOCOL,
} from '../../src/node/constants.ts';
import { encodeFrame, framed } from '../../src/node/transport/frames.ts';
import type { SottoNode } from '../../src/node/transport/libp2p.ts';
import { decodeMailboxFrame, encodeMailboxFrame } from '../../src/node/mailbox/wire.ts';
import { seededRandom } from '../helpers/context.ts';
import { LiveParties, type LiveParty } from '../helpers/live-parties.ts';

/** Honest messages sent during each phase (quiet, and each attack). */
const HONEST_MESSAGES = 50;
/** How long one honest send may wait for its ack. */
const SEND_WAIT_MS = 15_000;
/** The victim's mailbox bound in this test: small, so that a flood reaches its stranger share quickly. */
const FLOOD_MAX_TOTAL_BYTES = 4 * 1024 * 1024;
/** Size of each flooded mail item. */
const FLOOD_ITEM_BYTES = 32 * 1024;
/** Deposits the flood attempts: several times what the bound allows. */
const FLOOD_DEPOSITS = 100;
/** Streams the idle attacker opens beyond each protocol's limit. */
const IDLE_STREAMS_OVER = 8;
/** Time for the receiver's resets of streams over the limit to reach the attacker, ms. */
const RESET_SETTLE_MS = 500;

const live = new LiveParties();

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Latencies of one phase. */
interface Phase {
  readonly name: string;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

describe('adversarial peers: the node under attack keeps serving honest peers', { timeout: 300_000 }, () => {
  let alice: LiveParty;
  let bob: LiveParty;
  let mallory: SottoNode;
  let sent = 0;
  const phases: Phase[] = [];
  const random = seededRandom('adversarial peers');

  /** Alice sends HONEST_MESSAGES to bob, one after another, and returns the send → ack latencies. */
  async function honestPhase(name: string): Promise<Phase> {
    const times: number[] = [];
    for (let i = 0; i < HONEST_MESSAGES; i++) {
      const began = performance.now();
      const result = await alice.messenger.send('bob', `honest ${sent++}`, { waitMs: SEND_WAIT_MS });
      assert.equal(result.status, 'delivered', `${name}: honest message ${i} not delivered (${result.status})`);
      times.push(performance.now() - began);
    }
    times.sort((a, b) => a - b);
    const phase = { name, p50: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1)! };
    phases.push(phase);
    return phase;
  }

  /** Runs `attack` until the honest phase is over; returns what the attack returned. */
  async function during<T>(name: string, attack: (stop: AbortSignal) => Promise<T>): Promise<T> {
    const stop = new AbortController();
    const running = attack(stop.signal);
    try {
      await honestPhase(name);
    } finally {
      stop.abort();
    }
    return running;
  }

  /** Every honest message so far reached bob exactly once, in order. */
  function assertHonestMailIntact(): void {
    assert.deepEqual(
      bob.inbox.filter((m) => m.peerId === alice.messenger.peerId).map((m) => m.text),
      Array.from({ length: sent }, (_, i) => `honest ${i}`),
    );
  }

  before(async () => {
    bob = await live.party('bob', [], { mailbox: true, maxTotalBytes: FLOOD_MAX_TOTAL_BYTES });
    const bobAddress = bob.node.addresses()[0]!;
    alice = await live.party('alice', [bobAddress]);
    mallory = (await live.attacker([bobAddress])).node;
    await alice.messenger.addContact('bob', bob.messenger.peerId);
    await bob.messenger.addContact('alice', alice.messenger.peerId);
    // The session starts outside the measured phases (a prekey fetch and the PQXDH agreement).
    assert.equal((await alice.messenger.send('bob', `honest ${sent++}`, { waitMs: SEND_WAIT_MS })).status, 'delivered');
  });

  after(async () => {
    // The figures docs/SECURITY.md quotes: honest latency beside the quiet baseline.
    console.log(['# honest send → ack latency during each attack (ms)', ...phases.map((p) => `#   ${p.name.padEnd(18)} p50 ${p.p50.toFixed(1)}  p99 ${p.p99.toFixed(1)}  max ${p.max.toFixed(1)}`)].join('\n'));
    await live.stop();
  });

  test('quiet baseline', async () => {
    await honestPhase('quiet');
    assertHonestMailIntact();
  });

  test('garbage frames: random bytes, valid lengths with random content, lying length prefixes', async () => {
    const outcomes = await during('garbage frames', async (stop) => {
      let streams = 0;
      let refused = 0;
      while (!stop.aborted) {
        const kind = streams % 3;
        try {
          const stream = await mallory.dialProtocol(bob.messenger.peerId, MSG_PROTOCOL);
          streams++;
          const body = random(1 + (streams % 2048));
          const bytes = kind === 0 ? body : kind === 1 ? encodeFrame(body) : new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, ...body]);
          stream.send(bytes);
          await stream.close().catch(() => {});
        } catch {
          refused++;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      return { streams, refused };
    });
    assert.ok(outcomes.streams > 0, 'the attack ran');
    assertHonestMailIntact();
    assert.equal((await bob.messenger.contacts()).length, 1, 'garbage created no contact');
  });

  test('oversized frames are refused before they are read', async () => {
    const results = await during('oversized frames', async (stop) => {
      let aborted = 0;
      let attempts = 0;
      while (!stop.aborted) {
        attempts++;
        const stream = framed(await mallory.dialProtocol(bob.messenger.peerId, MSG_PROTOCOL), { maxFrameBytes: MAX_MAILBOX_FRAME_BYTES });
        // A frame one byte over the receiver's limit: it must reset the stream, not buffer it.
        await stream.write(random(MAX_MSG_FRAME_BYTES + 1)).catch(() => {});
        await stream.read({ timeoutMs: 5_000 }).then(
          () => {},
          (err: Error) => {
            if (err.name === 'StreamClosedError') aborted++;
          },
        );
      }
      return { attempts, aborted };
    });
    assert.ok(results.attempts > 0);
    assert.equal(results.aborted, results.attempts, 'every oversized frame ended its stream');
    assertHonestMailIntact();
  });

  test('streams opened and never finished: at most the named limit per protocol is held, and the honest peer is served', async () => {
    const limits = [
      [MSG_PROTOCOL, MAX_INBOUND_MSG_STREAMS],
      [PREKEYS_PROTOCOL, MAX_INBOUND_PREKEYS_STREAMS],
      [MAILBOX_PROTOCOL, MAX_INBOUND_MAILBOX_STREAMS],
    ] as const;
    const held = await during('idle streams', async () => {
      const open: Record<string, Stream[]> = {};
      for (const [protocol, limit] of limits) {
        open[protocol] = [];
        // Over the limit by IDLE_STREAMS_OVER: libp2p resets those as they arrive.
        for (let i = 0; i < limit + IDLE_STREAMS_OVER; i++) {
          try {
            open[protocol].push(await mallory.dialProtocol(bob.messenger.peerId, protocol));
          } catch {
            // refused at negotiation: also fine
          }
        }
      }
      await new Promise((r) => setTimeout(r, RESET_SETTLE_MS));
      return open;
    });
    for (const [protocol, limit] of limits) {
      const stillOpen = held[protocol]!.filter((stream) => stream.status === 'open');
      assert.ok(stillOpen.length > 0 && stillOpen.length <= limit, `${protocol}: ${stillOpen.length} idle streams held open (limit ${limit})`);
      for (const stream of held[protocol]!) stream.abort(new Error('attack over'));
    }
    assertHonestMailIntact();
  });

  test('a deposit flood (no passes) beyond the stranger share is refused; nothing held is lost and honest mail flows', async () => {
    const flood = await during('deposit flood', async () => {
      const stream = framed(await mallory.dialProtocol(bob.messenger.peerId, MAILBOX_PROTOCOL), { maxFrameBytes: MAX_MAILBOX_FRAME_BYTES });
      const answers: Record<string, number> = {};
      for (let i = 0; i < FLOOD_DEPOSITS; i++) {
        await stream.write(encodeMailboxFrame({ type: 'deposit', mailboxKey: random(32), item: random(FLOOD_ITEM_BYTES) }));
        const answer = decodeMailboxFrame(await stream.read());
        const key = answer.type === 'refused' ? `refused:${answer.reason}` : answer.type;
        answers[key] = (answers[key] ?? 0) + 1;
      }
      await stream.close();
      return answers;
    });
    const held = bob.mailbox!.usage();
    assert.ok((flood.receipt ?? 0) > 0, 'deposits within the bound were taken');
    assert.ok((flood['refused:stranger-quota'] ?? 0) > 0, `the flood was refused: ${JSON.stringify(flood)}`);
    assert.equal(held.items, flood.receipt, 'every receipted item is still held');
    assert.ok(held.bytes <= FLOOD_MAX_TOTAL_BYTES / MAILBOX_STRANGER_SHARE_DIVISOR, 'strangers fill only their share of the mailbox');
    assertHonestMailIntact();
  });

  test("an impostor using a known contact's name is kept apart from that contact: a request, its name only a claim", async () => {
    const impostor = await live.party('alice', [bob.node.addresses()[0]!]);
    await impostor.messenger.addContact('bob', bob.messenger.peerId);
    assert.equal((await impostor.messenger.send('bob', 'it is me, alice, new phone', { waitMs: SEND_WAIT_MS })).status, 'delivered');
    assert.deepEqual((await bob.messenger.contacts()).map((c) => [c.name, c.peerId]), [['alice', alice.messenger.peerId]], 'not a contact');
    const request = bob.messenger.requests().find((r) => r.peerId === impostor.messenger.peerId);
    assert.ok(request, 'the impostor is a message request');
    assert.equal(request.claimedName, 'alice', 'the name it claims, shown as a claim');
    await assert.rejects(bob.messenger.acceptRequest(impostor.messenger.peerId), { name: 'RequestNameRequiredError' }, "it cannot be accepted under the known contact's name");
    assert.deepEqual((await bob.messenger.history('alice')).map((m) => m.text), Array.from({ length: sent }, (_, i) => `honest ${i}`), "nothing of the impostor's in alice's conversation");
    await honestPhase('after the attacks');
    assertHonestMailIntact();
  });
});
