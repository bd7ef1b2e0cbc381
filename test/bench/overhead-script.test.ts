/**
 * The overhead case's conversation script (bench/overhead.ts) is what its
 * header documents: deterministic, 2,000 messages of 100 bytes, in cycles of
 * runs of 1 to 4 messages a side, strict ping-pong and one-sided bursts of 20,
 * Alice first; and measureOverhead counts what a conversation put on the wire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureOverhead, OVERHEAD_MESSAGES, OVERHEAD_PLAINTEXT_BYTES, overheadScript, STEADY_AFTER, type ScriptedMessage, type StretchKind } from '../../bench/overhead.ts';
import type { Contender, Conversation, Plaintext } from '../../bench/crypto.ts';

/** The stretches of a cycle as the header states them: messages and, for bursts, the senders. */
const CYCLE_MESSAGES = 200;
const RUNS_MESSAGES = 100;
const PINGPONG_MESSAGES = 40;
const BURST = 20;

/** Consecutive messages of the same sender within one stretch, as [sender, length, stretch]. */
function runsOf(script: readonly ScriptedMessage[]): [string, number, StretchKind][] {
  const out: [string, number, StretchKind][] = [];
  for (const m of script) {
    const last = out.at(-1);
    if (last && last[0] === m.from && last[2] === m.stretch) last[1]++;
    else out.push([m.from, 1, m.stretch]);
  }
  return out;
}

test('the overhead script is deterministic: the same senders and plaintexts on every call', () => {
  const [a, b] = [overheadScript(), overheadScript()];
  assert.equal(a.length, OVERHEAD_MESSAGES);
  assert.deepEqual(a, b);
  assert.ok(a.every((m) => m.plaintext.length === OVERHEAD_PLAINTEXT_BYTES));
  assert.equal(new Set(a.map((m) => Buffer.from(m.plaintext).toString('hex'))).size, a.length, 'every plaintext differs');
});

test('every cycle is 100 messages of runs of 1 to 4 a side, 40 of ping-pong, then bursts of 20 by Alice, Bob, Alice', () => {
  const script = overheadScript();
  assert.equal(script[0]!.from, 'alice', 'Alice, who started the session, sends first');
  for (let start = 0; start < script.length; start += CYCLE_MESSAGES) {
    const cycle = script.slice(start, start + CYCLE_MESSAGES);
    assert.deepEqual(
      cycle.map((m) => m.stretch),
      [...Array<StretchKind>(RUNS_MESSAGES).fill('runs'), ...Array<StretchKind>(PINGPONG_MESSAGES).fill('pingpong'), ...Array<StretchKind>(3 * BURST).fill('bursts')],
    );
    const runs = runsOf(cycle.slice(0, RUNS_MESSAGES));
    assert.equal(runs[0]![0], 'alice');
    assert.ok(runs.every(([, length]) => length >= 1 && length <= 4), 'runs of 1 to 4');
    assert.ok(runs.slice(1).every(([from], i) => from !== runs[i]![0]), 'the sides take turns');
    const pingpong = cycle.slice(RUNS_MESSAGES, RUNS_MESSAGES + PINGPONG_MESSAGES);
    assert.ok(pingpong.every((m, i) => m.from === (i % 2 === 0 ? 'alice' : 'bob')), 'strict ping-pong, Alice first');
    assert.deepEqual(runsOf(cycle.slice(RUNS_MESSAGES + PINGPONG_MESSAGES)).map(([from, length]) => [from, length]), [
      ['alice', BURST],
      ['bob', BURST],
      ['alice', BURST],
    ]);
  }
  const lengths = runsOf(script).filter(([, , stretch]) => stretch === 'runs').map(([, length]) => length);
  assert.deepEqual(new Set(lengths), new Set([1, 2, 3, 4]), 'every run length occurs');
});

test('a shorter script is the start of the long one; a script needs at least one message', () => {
  assert.deepEqual(overheadScript(250), overheadScript().slice(0, 250));
  assert.throws(() => overheadScript(0), RangeError);
  assert.throws(() => overheadScript(1.5), RangeError);
});

/** A contender whose wire messages are as long as the plaintext plus a fixed header, the first three larger. */
function fakeContender(corrupt?: number): Contender {
  return {
    label: 'fake',
    async setup(plaintext) {
      return plaintext;
    },
    async startConversation(): Promise<Conversation> {
      let sent = 0;
      let last = 0;
      const deliver = async (plaintext: Plaintext): Promise<Uint8Array> => {
        last = sent < 3 ? 1000 : plaintext.length + (sent % 2 === 0 ? 10 : 20);
        const out = sent === corrupt ? plaintext.slice(1) : plaintext;
        sent++;
        return out;
      };
      return { aToB: deliver, bToA: deliver, lastMessage: () => ({ bytes: last, prekey: last === 1000 }), recordBytes: () => 0 };
    },
  };
}

test('measureOverhead averages the wire bytes of every message and of the steady part, and counts the agreement headers', async () => {
  const script = overheadScript(100);
  const figures = await measureOverhead(fakeContender(), script);
  assert.equal(figures.messages, 100);
  assert.equal(figures.decrypted, 100);
  assert.equal(figures.first, 1000);
  assert.equal(figures.prekeyMessages, 3);
  assert.equal(figures.min, 110);
  assert.equal(figures.max, 1000);
  // 3 × 1000, then 97 messages of 110 (even index) or 120 (odd): 48 even, 49 odd from index 3 on.
  assert.equal(figures.average, (3 * 1000 + 48 * 110 + 49 * 120) / 100);
  const steady = Array.from({ length: 100 - STEADY_AFTER }, (_, k) => ((STEADY_AFTER + k) % 2 === 0 ? 110 : 120));
  assert.equal(figures.steady, steady.reduce((s, v) => s + v, 0) / steady.length);
  assert.deepEqual(Object.keys(figures.byStretch), ['runs'], 'only the kinds of stretch the script reached');
});

test('measureOverhead refuses a conversation that decrypts a message to something else', async () => {
  await assert.rejects(measureOverhead(fakeContender(42), overheadScript(100)), /message 42 decrypted to something else/);
});
