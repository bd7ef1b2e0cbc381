/**
 * The fast subset of `npm run fuzz`: every decoder with a few hundred random
 * and mutated inputs (the same targets and engine, fewer cases). A failure
 * prints the seed, the case and the input hex, and the command that replays it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFailure, FuzzRng, mutate, runTarget } from '../../fuzz/engine.ts';
import { allocateCases, fuzzTargets } from '../../fuzz/targets.ts';

/** Cases shared among all decoders in npm test (a few seconds on one core). */
const FAST_CASES = 4_000;
const SEED = 'npm-test';

describe('fuzz: every decoder rejects random and mutated input with typed errors only', () => {
  const targets = fuzzTargets();
  const shares = allocateCases(targets, FAST_CASES);
  for (const [i, target] of targets.entries()) {
    test(`${target.name} (${shares[i]} cases, seed ${SEED})`, async () => {
      const report = await runTarget(target, { cases: shares[i]!, seed: SEED });
      assert.equal(report.cases, shares[i], 'every case ran');
      assert.ok(report.mutatedCases > 0 && report.randomCases > 0, 'both random and mutated inputs were tried');
      assert.deepEqual(report.failures.map(formatFailure), []);
      const rejected = Object.values(report.rejections).reduce((a, b) => a + b, 0);
      assert.ok(rejected > 0, 'some inputs were rejected (the decoder checks its input)');
    });
  }
});

describe('fuzz engine', () => {
  test('the same seed gives the same inputs; another seed gives others', () => {
    const inputs = (seed: string) => {
      const rng = new FuzzRng(seed);
      const base = Uint8Array.from({ length: 64 }, (_, i) => i);
      return Array.from({ length: 50 }, () => Buffer.from(mutate(rng, base)).toString('hex'));
    };
    assert.deepEqual(inputs('a'), inputs('a'));
    assert.notDeepEqual(inputs('a'), inputs('b'));
  });

  test('mutations change the input and never modify the original', () => {
    const rng = new FuzzRng('mutate');
    const base = Uint8Array.from({ length: 100 }, (_, i) => i);
    const copy = new Uint8Array(base);
    let changed = 0;
    for (let i = 0; i < 500; i++) if (!Buffer.from(mutate(rng, base)).equals(Buffer.from(base))) changed++;
    assert.deepEqual(base, copy);
    assert.ok(changed > 450, `${changed} of 500 mutations changed the input`);
  });

  test('a decoder that lets a plain error escape, changes state or hangs is reported with seed and input', async () => {
    let state = 0;
    const base = { setup: async () => null, valid: () => [Uint8Array.of(1, 2, 3)], accepts: (err: unknown) => err instanceof RangeError };
    const untyped = await runTarget({ ...base, name: 'untyped', decode: () => JSON.parse('{') }, { cases: 5, seed: 's' });
    assert.equal(untyped.failures.length, 5);
    assert.equal(untyped.failures[0]!.kind, 'untyped-error');
    assert.match(formatFailure(untyped.failures[0]!), /--seed s --only untyped[\s\S]*SyntaxError[\s\S]*input: [0-9a-f]*/);

    const stateful = await runTarget(
      {
        ...base,
        name: 'stateful',
        decode: () => {
          state++;
          throw new RangeError('rejected');
        },
        state: () => String(state),
      },
      { cases: 3, seed: 's' },
    );
    assert.deepEqual(
      stateful.failures.map((f) => f.kind),
      ['state-changed', 'state-changed', 'state-changed'],
    );

    const hang = await runTarget({ ...base, name: 'hang', budgetMs: 20, decode: () => new Promise(() => {}) }, { cases: 1, seed: 's' });
    assert.equal(hang.failures[0]?.kind, 'hang');
  });
});
