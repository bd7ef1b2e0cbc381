/**
 * The post-quantum ratchet of protocol v2 (PROTOCOL §7a): how often it
 * completes a KEM epoch, that a compromised state stops reading messages once
 * an epoch completed without it, that lost and late parts do not stall it,
 * that its stored state round-trips, and that version-1 data is handled as
 * §9 and §11 say.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/crypto/bytes.ts';
import { PQ_EPOCH_MAX_AGE_MS, PQ_EPOCH_MAX_MESSAGES } from '../../src/crypto/constants.ts';
import { decodeEnvelope } from '../../src/crypto/envelope.ts';
import { epochKey } from '../../src/crypto/pq-ratchet.ts';
import { decryptMessage } from '../../src/crypto/session.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import type { SessionRecord } from '../../src/crypto/session.ts';
import { assertRejected, snapshot } from '../helpers/assertions.ts';
import { rewriteHeader } from '../helpers/forge.ts';
import { establishedPair, makeParty, pair, type Party } from '../helpers/parties.ts';

const pqOf = (p: Party) => p.record!.sessions[0]!.ratchet.pq;
/** The newest epoch both sides use: an epoch counts once the side that did not make it names it. */
const sharedEpoch = (a: Party, b: Party) => Math.min(pqOf(a).sendEpoch, pqOf(b).sendEpoch);

/**
 * Runs `script` (true: Alice sends, false: Bob) with every message delivered
 * at once, and returns the message numbers at which a new epoch with a KEM
 * secret (epoch 2 on) became the one both sides name.
 */
async function epochTimes(script: boolean[]): Promise<number[]> {
  const { alice, bob } = await pair();
  const times: number[] = [];
  let seen = 1;
  for (let i = 0; i < script.length; i++) {
    const [from, to] = script[i] ? [alice, bob] : [bob, alice];
    if (!from.record) continue;
    const text = `${from.name} ${i}`;
    assert.equal(await to.receive(from.send(text)), text);
    if (alice.record && bob.record && sharedEpoch(alice, bob) > seen) {
      seen = sharedEpoch(alice, bob);
      times.push(i + 1);
    }
  }
  return times;
}

/** Bytes of the PQ block at the end of a stored session (PROTOCOL §11). */
function pqBlockBytes(pq: ReturnType<typeof pqOf>): number {
  const outgoing = pq.outgoing ? 4 + pq.outgoing.bytes.length + 4 + 8 + 4 : 0;
  const incoming = pq.incoming ? 4 + pq.incoming.bytes.length + 4 : 0;
  return 1 + 4 + 1 + pq.keys.length * 36 + 1 + outgoing + incoming + (pq.ownSeed ? 64 : 0);
}

function gaps(times: number[]): number[] {
  return times.map((t, i) => t - (i === 0 ? 0 : times[i - 1]!));
}

describe('PQ ratchet: how often', () => {
  const patterns: [string, boolean[]][] = [
    ['ping-pong', Array.from({ length: 600 }, (_, i) => i % 2 === 0)],
    ['runs of 1 to 4', Array.from({ length: 600 }, (_, i) => Math.floor(i / (1 + (Math.floor(i / 10) % 4))) % 2 === 0)],
    ['three to one', Array.from({ length: 600 }, (_, i) => i % 4 !== 3)],
    ['one to three', Array.from({ length: 600 }, (_, i) => i % 4 === 3)],
  ];
  for (const [name, script] of patterns) {
    test(`${name}: a KEM epoch completes at least once every ${PQ_EPOCH_MAX_MESSAGES} messages from the first`, async () => {
      const times = await epochTimes(script);
      assert.ok(times.length >= Math.floor(script.length / PQ_EPOCH_MAX_MESSAGES) - 1, `epochs at ${times.join(', ')}`);
      for (const gap of gaps(times)) assert.ok(gap <= PQ_EPOCH_MAX_MESSAGES, `an epoch after ${gap} messages (at ${times.join(', ')})`);
    });
  }

  test('a slow conversation re-keys within a day: an epoch a day old goes out whole', async () => {
    const { alice, bob, clock } = await establishedPair();
    const before = sharedEpoch(alice, bob);
    for (let day = 0; day < 3; day++) {
      clock.advance(PQ_EPOCH_MAX_AGE_MS);
      // One message each way a day.
      await bob.receive(alice.send(`day ${day} from alice`));
      await alice.receive(bob.send(`day ${day} from bob`));
    }
    assert.ok(sharedEpoch(alice, bob) >= before + 2, `epoch ${before} → ${sharedEpoch(alice, bob)} over three days of one message each way`);
  });
});

describe('PQ ratchet: security', () => {
  test('a state compromise followed by a PQ epoch leaves later messages unreadable, even to a holder of every classical secret', async () => {
    const { alice, bob } = await establishedPair();
    const stolen = decodeSessionRecord(encodeSessionRecord(bob.record!));
    const stolenPq = stolen.sessions[0]!.ratchet.pq;
    const startEpoch = pqOf(bob).sendEpoch;
    // A holder of the stolen PQ state and Bob's current classical state (X25519 broken by a
    // quantum computer: the attacker follows every DH step) decrypts what Alice sends…
    const asAttacker = (): SessionRecord => {
      const real = bob.record!.sessions[0]!;
      return { sessions: [{ ...real, ratchet: { ...real.ratchet, pq: stolenPq } }] };
    };
    const attackerReads = async (envelope: Uint8Array): Promise<boolean> => {
      try {
        await decryptMessage(bob.ctx, { identity: bob.identity, prekeys: bob.prekeys, record: asAttacker() }, envelope);
        return true;
      } catch {
        return false;
      }
    };
    const m0 = alice.send('before any new epoch');
    assert.equal(await attackerReads(m0), true, 'with the stolen PQ state, the current epoch is readable');
    await bob.receive(m0);
    // …until the KEM epochs that began after the theft are in use.
    let i = 0;
    while (pqOf(alice).sendEpoch < startEpoch + 2) {
      assert.ok(i++ < 4 * PQ_EPOCH_MAX_MESSAGES, 'two epochs completed');
      await bob.receive(alice.send(`a${i}`));
      await alice.receive(bob.send(`b${i}`));
    }
    const later = alice.send('after the epoch');
    assert.equal(await attackerReads(later), false, 'the stolen state no longer reads Alice');
    assert.equal(await bob.receive(later), 'after the epoch');
    assert.equal(await alice.receive(bob.send('and Bob too')), 'and Bob too');
  });

  test('old epoch keys are deleted: at most PQ_MAX_KEPT_EPOCHS past epochs are kept', async () => {
    const { alice, bob } = await establishedPair();
    for (let i = 0; pqOf(bob).sendEpoch < 10; i++) {
      assert.ok(i < 20 * PQ_EPOCH_MAX_MESSAGES, 'ten epochs');
      await bob.receive(alice.send(`a${i}`));
      await alice.receive(bob.send(`b${i}`));
    }
    assert.ok(pqOf(bob).keys.length <= 6, `${pqOf(bob).keys.length} epoch keys kept`);
    assert.ok(!pqOf(bob).keys.some((k) => k.epoch === 0), 'epoch 0 key deleted');
    // A message naming a deleted epoch is a DuplicateMessage (its key is gone, §7a), one ahead a DecodeError.
    assert.throws(() => epochKey(pqOf(bob), 0), { name: 'DuplicateMessageError' });
    assert.throws(() => epochKey(pqOf(bob), pqOf(bob).keys.at(-1)!.epoch + 1), { name: 'DecodeError' });
  });

  test('a header naming an epoch the receiver does not hold, or parts beyond the blob, is refused and changes nothing', async () => {
    const { alice, bob } = await establishedPair();
    await bob.receive(alice.send('open the chain'));
    const m = alice.send('stamped');
    await assertRejected(bob, rewriteHeader(alice, m, 'epoch', 4), 'DecodeError');
    assert.equal(await bob.receive(m), 'stamped');
  });
});

describe('PQ ratchet: loss and order', () => {
  test('lost and reordered parts: the parts cycle until the other side has them all', async () => {
    const { alice, bob } = await establishedPair();
    const start = sharedEpoch(alice, bob);
    let dropped = 0;
    const held: Uint8Array[] = [];
    for (let i = 0; i < 3 * PQ_EPOCH_MAX_MESSAGES; i++) {
      const fromAlice = alice.send(`a${i}`);
      const fromBob = bob.send(`b${i}`);
      // Every third message of each side is lost, every fifth held back and delivered late.
      if (i % 3 === 0) dropped += 2;
      else if (i % 5 === 0) held.push(fromAlice);
      else {
        await bob.receive(fromAlice);
        await alice.receive(fromBob);
      }
      if (held.length > 2) await bob.receive(held.shift()!);
    }
    for (const m of held) await bob.receive(m);
    assert.ok(dropped > 50);
    assert.ok(sharedEpoch(alice, bob) >= start + 2, `epochs ${start} → ${sharedEpoch(alice, bob)} despite the losses`);
  });

  test('a repeated message changes no PQ state', async () => {
    const { alice, bob } = await establishedPair();
    const m = alice.send('once');
    assert.equal(await bob.receive(m), 'once');
    const before = snapshot(bob);
    await assertRejected(bob, m, 'DuplicateMessageError');
    assert.equal(snapshot(bob), before);
  });
});

describe('PQ ratchet: stored state and version 1', () => {
  test('the stored record round-trips in every phase of an epoch, and refuses bad PQ fields', async () => {
    const { alice, bob } = await establishedPair();
    const phases = new Set<string>();
    for (let i = 0; i < 2 * PQ_EPOCH_MAX_MESSAGES; i++) {
      for (const p of [alice, bob]) {
        const pq = pqOf(p);
        phases.add(`${pq.outgoing ? 'out' : '-'}/${pq.incoming ? 'in' : '-'}/${pq.ownSeed ? 'seed' : '-'}`);
        const bytes = encodeSessionRecord(p.record!);
        assert.deepEqual(encodeSessionRecord(decodeSessionRecord(bytes)), bytes);
        p.record = decodeSessionRecord(bytes);
      }
      await bob.receive(alice.send(`a${i}`));
      await alice.receive(bob.send(`b${i}`));
    }
    assert.ok(phases.has('out/-/seed') && phases.has('-/in/seed'), [...phases].join(' '));
    // The PQ block is the record's tail: parity, send epoch, key count.
    const bytes = encodeSessionRecord(bob.record!);
    const at = bytes.length - pqBlockBytes(pqOf(bob));
    const corrupt = (offset: number, value: number) => {
      const b = bytes.slice();
      b[at + offset] = value;
      return b;
    };
    assert.throws(() => decodeSessionRecord(corrupt(0, 2)), { name: 'DecodeError' }, 'parity 2');
    assert.throws(() => decodeSessionRecord(corrupt(5, 0)), { name: 'DecodeError' }, 'no epoch key');
    assert.throws(() => decodeSessionRecord(corrupt(5, 7)), { name: 'DecodeError' }, 'more epoch keys than kept');
  });

  test('a version-1 envelope is refused with VersionTooOld, and nothing changes', async () => {
    const vectors = JSON.parse(readFileSync(new URL('../vectors/golden/transcript-v1.json', import.meta.url), 'utf8')) as { messages: { envelope: string }[] };
    const { bob } = await establishedPair();
    for (const m of vectors.messages) await assertRejected(bob, fromHex(m.envelope), 'VersionTooOldError');
  });

  test('version-1 session records upgrade: the two sides carry on in v2 and complete KEM epochs', async () => {
    const vectors = JSON.parse(readFileSync(new URL('../vectors/golden/transcript-v1.json', import.meta.url), 'utf8')) as { aliceRecord: string; bobRecord: string };
    const alice = await makeParty('alice');
    const bob = await makeParty('bob');
    alice.record = decodeSessionRecord(fromHex(vectors.aliceRecord));
    bob.record = decodeSessionRecord(fromHex(vectors.bobRecord));
    assert.equal(pqOf(alice).parity, 1);
    assert.equal(pqOf(bob).parity, 0);
    assert.deepEqual(pqOf(alice).keys[0]!.key, new Uint8Array(32), 'an upgraded session starts from the all-zero epoch key');
    for (let i = 0; i < PQ_EPOCH_MAX_MESSAGES; i++) {
      const a = alice.send(`upgraded a${i}`);
      assert.equal(decodeEnvelope(a).type, 'message');
      assert.equal(await bob.receive(a), `upgraded a${i}`);
      assert.equal(await alice.receive(bob.send(`upgraded b${i}`)), `upgraded b${i}`);
    }
    assert.ok(sharedEpoch(alice, bob) >= 2, `epoch ${sharedEpoch(alice, bob)}`);
  });

  test('a version-1 initiator session still waiting for its answer is dropped at the upgrade', async () => {
    const { alice } = await pair();
    const v2 = encodeSessionRecord(alice.record!);
    assert.equal(alice.record!.sessions[0]!.pendingPrekey !== null, true);
    // The same record as version 1 wrote it: no PQ block at the end of the session.
    const v1 = Uint8Array.of(1, ...v2.subarray(1, v2.length - pqBlockBytes(pqOf(alice))));
    assert.deepEqual(decodeSessionRecord(v1).sessions, []);
  });
});
