/**
 * Property test (SECURITY-CHECKLIST.md item 27, crypto half): random
 * interleavings of send, deliver out of order, drop, duplicate and restart
 * between two parties over thousands of steps, across post-quantum ratchet
 * epochs whose KEM parts are themselves lost, reordered and repeated. Every message delivered at
 * all decrypts exactly once (its first delivery succeeds, every later copy is
 * rejected with a typed error and changes nothing), and the sessions stay in
 * sync to the end.
 *
 * The model stays inside the documented limits: a message waits at most
 * MAX_AGE_STEPS actions before it is delivered or dropped, which keeps it
 * within MAX_PREVIOUS_RECEIVING_CHAINS DH steps of its receiver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePrekeyState, encodePrekeyState } from '../../src/crypto/prekeys.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { SottoError } from '../../src/crypto/errors.ts';
import { snapshot } from '../helpers/assertions.ts';
import { pair, type Party } from '../helpers/parties.ts';

/** Deliveries pick among this many oldest messages in flight. */
const REORDER_WINDOW = 6;
/** A message older than this many actions is delivered (or was dropped) before anything else. */
const MAX_AGE_STEPS = 8;
const RUNS = 30;
const MIN_STEPS = 1_000;
const MAX_STEPS = 1_500;
/** Errors a repeated delivery may raise: the key is gone, or its chain is. */
const DUPLICATE_ERRORS = new Set(['DuplicateMessageError', 'HeaderDecryptError']);

type Action = { kind: 'send' | 'deliver' | 'drop' | 'duplicate' | 'restart'; alice: boolean; pick: number };

interface InFlight {
  readonly id: number;
  readonly to: Party;
  readonly envelope: Uint8Array;
  readonly sentAt: number;
}

const action = fc.record({
  kind: fc.oneof(
    { weight: 6, arbitrary: fc.constant('send' as const) },
    { weight: 7, arbitrary: fc.constant('deliver' as const) },
    { weight: 1, arbitrary: fc.constant('drop' as const) },
    { weight: 1, arbitrary: fc.constant('duplicate' as const) },
    { weight: 1, arbitrary: fc.constant('restart' as const) },
  ),
  alice: fc.boolean(),
  pick: fc.nat(REORDER_WINDOW - 1),
});

/** What the runs exercised, so the test fails if the model degenerates. */
const totals = { delivered: 0, repeatsRejected: 0, outOfOrder: 0, dropped: 0, restarts: 0, dhSteps: 0 };
/** Post-quantum epochs completed (PROTOCOL §7a), counted apart: there are fewer of them than of the rest. */
let pqEpochs = 0;

async function run(actions: Action[]): Promise<void> {
  const { alice, bob } = await pair();
  const flight: InFlight[] = [];
  const attempts = new Map<number, number>();
  const texts = new Map<number, string>();
  let nextId = 0;

  const deliver = async (item: InFlight): Promise<void> => {
    const seen = attempts.get(item.id) ?? 0;
    attempts.set(item.id, seen + 1);
    if (seen === 0) {
      if (flight.some((f) => f.to === item.to && f.id < item.id)) totals.outOfOrder++;
      totals.delivered++;
      assert.equal(await item.to.receive(item.envelope), texts.get(item.id), `message ${item.id} decrypts on first delivery`);
      return;
    }
    const before = snapshot(item.to);
    await item.to.receive(item.envelope).then(
      () => assert.fail(`message ${item.id} decrypted twice`),
      (err: unknown) => assert.ok(err instanceof SottoError && DUPLICATE_ERRORS.has(err.name), `repeat of ${item.id}: ${String(err)}`),
    );
    assert.equal(snapshot(item.to), before, 'a rejected copy changes nothing');
    totals.repeatsRejected++;
  };

  for (let step = 0; step < actions.length; step++) {
    // Overdue messages go first (delivered unless the model drops them now).
    while (flight.length > 0 && step - flight[0]!.sentAt > MAX_AGE_STEPS) await deliver(flight.shift()!);
    const a = actions[step]!;
    const [from, to] = a.alice ? [alice, bob] : [bob, alice];
    const index = Math.min(a.pick, flight.length - 1);
    switch (a.kind) {
      case 'send': {
        if (!from.record) break; // Bob cannot write before Alice's first message reached him.
        const id = nextId++;
        texts.set(id, `${from.name} #${id}`);
        flight.push({ id, to, envelope: from.send(texts.get(id)!), sentAt: step });
        break;
      }
      case 'deliver':
        if (index >= 0) await deliver(flight.splice(index, 1)[0]!);
        break;
      case 'drop':
        if (index >= 0) {
          flight.splice(index, 1);
          totals.dropped++;
        }
        break;
      case 'duplicate':
        if (index >= 0) flight.splice(index + 1, 0, { ...flight[index]!, envelope: flight[index]!.envelope.slice() });
        break;
      case 'restart':
        if (from.record) from.record = decodeSessionRecord(encodeSessionRecord(from.record));
        from.prekeys = decodePrekeyState(encodePrekeyState(from.prekeys));
        totals.restarts++;
        break;
    }
  }
  while (flight.length > 0) await deliver(flight.shift()!);
  // Still in sync: a fresh exchange in both directions works.
  totals.dhSteps += (alice.record?.sessions[0]?.ratchet.dhSteps ?? 0) + (bob.record?.sessions[0]?.ratchet.dhSteps ?? 0);
  const newest = (p: Party): number => p.record?.sessions[0]?.ratchet.pq.sendEpoch ?? 0;
  pqEpochs += Math.min(newest(alice), newest(bob));
  if (bob.record) {
    assert.equal(await bob.receive(alice.send('final a')), 'final a');
    assert.equal(await alice.receive(bob.send('final b')), 'final b');
  }
}

test('random send / drop / duplicate / reorder / restart: every delivered message decrypts exactly once', { timeout: 240_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: MIN_STEPS, maxLength: MAX_STEPS }), (actions) => run(actions)),
    { numRuns: RUNS, seed: 20261124, endOnFailure: false },
  );
  // The runs really covered reordering, loss, repeats, restarts and many DH steps.
  assert.ok(totals.delivered > RUNS * 300, `delivered ${totals.delivered}`);
  for (const [what, n] of Object.entries(totals)) assert.ok(n > RUNS * 10, `${what}: ${n}`);
  // And the post-quantum ratchet kept completing epochs through all of it.
  assert.ok(pqEpochs > RUNS * 4, `PQ epochs: ${pqEpochs}`);
});
