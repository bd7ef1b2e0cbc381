/**
 * Assertions shared by the crypto suites: a rejection must carry the named
 * typed error AND leave the party's persisted state byte-identical.
 */
import assert from 'node:assert/strict';
import { encodePrekeyState } from '../../src/crypto/prekeys.ts';
import { encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { SottoError } from '../../src/crypto/errors.ts';
import type { Party } from './parties.ts';

/** The bytes a party would persist: its session record and its prekeys. */
export function snapshot(party: Party): string {
  const record = party.record ? Buffer.from(encodeSessionRecord(party.record)).toString('hex') : 'none';
  return `${record}/${Buffer.from(encodePrekeyState(party.prekeys)).toString('hex')}`;
}

/** Runs `run`, which must throw a typed SottoError, and returns the error's name. */
export function syncErrorName(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof SottoError, String(err));
    return err.name;
  }
  return assert.fail('no error');
}

/** Asserts that `party.receive(envelope)` rejects with `errorName` and changes nothing. */
export async function assertRejected(party: Party, envelope: Uint8Array, errorName: string): Promise<SottoError> {
  const before = snapshot(party);
  const recordBefore = party.record;
  let caught: unknown;
  await party.receive(envelope).then(
    () => assert.fail(`expected ${errorName}, but the message decrypted`),
    (err: unknown) => {
      caught = err;
    },
  );
  assert.ok(caught instanceof SottoError, `expected a typed SottoError, got ${String(caught)}`);
  assert.equal(caught.name, errorName);
  assert.equal(party.record, recordBefore, 'the record object must not be replaced');
  assert.equal(snapshot(party), before, 'persisted state must be byte-identical after a rejection');
  return caught;
}
