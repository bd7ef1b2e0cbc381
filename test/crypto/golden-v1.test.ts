/**
 * The version-1 vector files as history (docs/PROTOCOL.md §9, §11, §12a):
 * test/vectors/golden/transcript-v1.json and scenarios-v1.json never change,
 * and this is what version 2 does with their bytes. Every envelope and every
 * bundle is VersionTooOld; every session record decodes and upgrades (§11),
 * a session whose initiator still waits for its answer dropped.
 * test/crypto/pq-ratchet.test.ts carries an upgraded pair on into KEM epochs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { concatBytes, fromHex, toHex } from '../../src/crypto/bytes.ts';
import { decodeBundle } from '../../src/crypto/bundle.ts';
import { decodeEnvelope } from '../../src/crypto/envelope.ts';
import { openSealed } from '../../src/crypto/sealed.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { testContext } from '../helpers/context.ts';
import { specParty, VECTOR_CLOCK_START } from '../helpers/spec-party.ts';

type Hex = string;

const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../vectors/golden/${name}`, import.meta.url), 'utf8')) as T;

const transcript = read<{ bobBundle: Hex; messages: { envelope: Hex }[]; aliceRecord: Hex; bobRecord: Hex }>('transcript-v1.json');
const scenarios = read<{
  skipped: { bobBundle: Hex; first: Hex; reply: Hex; envelopes: Hex[]; bobRecordAfterEach: Hex[] };
  noOneTimePrekey: { bobBundle: Hex; envelope: Hex; aliceRecord: Hex; bobRecord: Hex };
  simultaneous: { aliceBundle: Hex; bobBundle: Hex; envelopes: Hex[]; activeSession: Hex; aliceRecord: Hex; bobRecord: Hex };
  sealed: { bobBundle: Hex; envelope: Hex; sealed: Hex };
}>('scenarios-v1.json');

const envelopes: Hex[] = [
  ...transcript.messages.map((m) => m.envelope),
  scenarios.skipped.first,
  scenarios.skipped.reply,
  ...scenarios.skipped.envelopes,
  scenarios.noOneTimePrekey.envelope,
  ...scenarios.simultaneous.envelopes,
  scenarios.sealed.envelope,
];

const bundles: Hex[] = [transcript.bobBundle, scenarios.skipped.bobBundle, scenarios.noOneTimePrekey.bobBundle, scenarios.simultaneous.aliceBundle, scenarios.simultaneous.bobBundle, scenarios.sealed.bobBundle];

/** §11: the PQ block an upgraded session gets: its parity, sendEpoch 0, one epoch key (0, 32 zero bytes), nothing else. */
function upgradedPqBlock(role: 'initiator' | 'responder'): Uint8Array {
  return concatBytes(Uint8Array.of(role === 'initiator' ? 1 : 0, 0, 0, 0, 0, 1, 0, 0, 0, 0), new Uint8Array(32), Uint8Array.of(0));
}

test('v1 history: every envelope of the v1 files, direct or inside sealed mail, is VersionTooOld', async () => {
  assert.equal(envelopes.length, 6 + 2 + 4 + 1 + 4 + 1);
  for (const hex of envelopes) assert.throws(() => decodeEnvelope(fromHex(hex)), { name: 'VersionTooOldError' }, hex.slice(0, 8));
  // Sealed mail (§17) kept its version: a v2 node opens the v1 file's letter and refuses what is inside.
  const bob = await specParty('sealed:bob', { now: VECTOR_CLOCK_START });
  const opened = await openSealed(testContext('v1-history'), bob.identity, fromHex(scenarios.sealed.sealed));
  assert.equal(toHex(opened.envelope), scenarios.sealed.envelope);
  assert.throws(() => decodeEnvelope(opened.envelope), { name: 'VersionTooOldError' });
});

test('v1 history: every bundle of the v1 files is VersionTooOld', () => {
  for (const hex of bundles) {
    assert.equal(fromHex(hex)[0], 1);
    assert.throws(() => decodeBundle(fromHex(hex)), { name: 'VersionTooOldError' });
  }
});

test('v1 history: a v1 record of one session upgrades to exactly its bytes with version 2 and the fresh PQ block (§11)', () => {
  const single: [string, Hex, 'initiator' | 'responder'][] = [
    ['transcript alice', transcript.aliceRecord, 'initiator'],
    ['transcript bob', transcript.bobRecord, 'responder'],
    ...scenarios.skipped.bobRecordAfterEach.map((hex, i): [string, Hex, 'responder'] => [`skipped bob ${i}`, hex, 'responder']),
    ['no-one-time bob', scenarios.noOneTimePrekey.bobRecord, 'responder'],
  ];
  for (const [name, hex, role] of single) {
    const v1 = fromHex(hex);
    assert.equal(v1[0], 1, name);
    const record = decodeSessionRecord(v1);
    assert.equal(record.sessions.length, 1, name);
    assert.equal(record.sessions[0]!.role, role, name);
    const pq = record.sessions[0]!.ratchet.pq;
    assert.deepEqual({ sendEpoch: pq.sendEpoch, outgoing: pq.outgoing, incoming: pq.incoming, ownSeed: pq.ownSeed }, { sendEpoch: 0, outgoing: null, incoming: null, ownSeed: null }, name);
    assert.equal(toHex(encodeSessionRecord(record)), toHex(concatBytes(Uint8Array.of(2), v1.subarray(1), upgradedPqBlock(role))), name);
  }
});

test('v1 history: an initiator session still in its PREKEY phase is dropped at the upgrade, a record left empty reads as none', () => {
  // Alice sent one message and heard nothing back: her only session is dropped.
  assert.deepEqual(decodeSessionRecord(fromHex(scenarios.noOneTimePrekey.aliceRecord)).sessions, []);
  // After the simultaneous start each kept two sessions, the active one being Bob's (activeSession). Alice's own
  // never heard back, so it goes; Bob's own was answered and stays, with the one Alice started behind it.
  const active = scenarios.simultaneous.activeSession;
  const expected: [Hex, string[]][] = [
    [scenarios.simultaneous.aliceRecord, ['responder']],
    [scenarios.simultaneous.bobRecord, ['initiator', 'responder']],
  ];
  for (const [hex, roles] of expected) {
    assert.equal(fromHex(hex)[1], 2, 'two sessions in the v1 record');
    const record = decodeSessionRecord(fromHex(hex));
    assert.deepEqual(record.sessions.map((s) => s.role), roles);
    assert.equal(toHex(record.sessions[0]!.id), active);
    for (const s of record.sessions) {
      assert.equal(s.pendingPrekey, null);
      assert.equal(s.ratchet.pq.parity, s.role === 'initiator' ? 1 : 0);
      assert.deepEqual(s.ratchet.pq.keys, [{ epoch: 0, key: new Uint8Array(32) }]);
    }
    assert.equal(encodeSessionRecord(record)[0], 2);
  }
});
