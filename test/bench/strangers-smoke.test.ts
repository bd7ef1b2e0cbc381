/**
 * Smoke run of `npm run bench -- strangers`: the benchmark runs end to end in
 * its quick mode (a real `sotto start` as the victim, a flood of 50 of the
 * largest texts from one stranger and 20 Sybils) and prints one JSON line
 * per case, with the promised figures and verdicts that follow from them.
 * Its correctness checks must hold (it exits non-zero otherwise). It asserts
 * no timing: speed is the benchmark's job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REQUEST_MAX_MESSAGES_PER_SENDER, REQUESTS_MAX_SENDERS, REQUESTS_MAX_TOTAL_BYTES } from '../../src/node/constants.ts';
import { QUICK_PLAN } from '../../bench/strangers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UNITS: Record<string, string> = {
  'honest-delivered': 'messages',
  'honest-delivery': 'ms',
  'contacts-list': 'ms',
  'chat-first-screen': 'ms',
  'request-senders': 'requests',
  'request-bytes': 'bytes',
  'flooder-stored': 'texts',
  contacts: 'contacts',
  'store-growth-disk': 'bytes',
  'store-growth-compacted': 'bytes',
};
/** Cases compared with the quiet phase, and those that are correctness checks. */
const WITHOUT_FLOOD = ['honest-delivered', 'honest-delivery', 'contacts-list', 'chat-first-screen', 'request-senders', 'request-bytes', 'store-growth-disk'];
const CHECKS = ['honest-delivered', 'request-senders', 'request-bytes', 'flooder-stored', 'contacts'];

interface Line {
  bench: string;
  case: string;
  unit: string;
  withoutFlood?: number;
  duringFlood: number;
  bound: number;
  rule: string;
  met: boolean;
  check: boolean;
  detail?: Record<string, number | null>;
}

test('bench strangers --quick --json: one line per case, verdicts that follow the figures, every correctness check holds', { timeout: 120_000 }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'strangers', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.deepEqual(lines.map((l) => l.case), Object.keys(UNITS));
  const byCase = Object.fromEntries(lines.map((l) => [l.case, l]));
  for (const line of lines) {
    assert.equal(line.bench, 'strangers');
    assert.equal(line.unit, UNITS[line.case], `${line.case}: unit`);
    assert.ok(Number.isFinite(line.duringFlood) && Number.isFinite(line.bound), `${line.case}: measured, with a bound`);
    assert.equal(line.withoutFlood !== undefined, WITHOUT_FLOOD.includes(line.case), `${line.case}: a figure without the flood`);
    assert.equal(line.check, CHECKS.includes(line.case), `${line.case}: a check or a figure`);
    const expected = line.rule === 'duringFlood == bound' ? line.duringFlood === line.bound : line.rule === 'duringFlood <= bound' ? line.duringFlood <= line.bound : undefined;
    assert.notEqual(expected, undefined, `${line.case}: a known rule (${line.rule})`);
    if (line.case !== 'honest-delivered' && line.case !== 'contacts' && line.case !== 'flooder-stored') assert.equal(line.met, expected, `${line.case}: the verdict follows the figures`);
    if (line.check) assert.equal(line.met, true, `${line.case}: ${JSON.stringify(line)}`);
  }
  for (const name of ['honest-delivery', 'contacts-list', 'chat-first-screen']) assert.ok(byCase[name]!.duringFlood > 0 && byCase[name]!.withoutFlood! > 0, `${name}: timed in both phases`);

  const honest = byCase['honest-delivered']!;
  assert.ok(honest.bound >= 1 && honest.duringFlood === honest.bound, 'every honest message sent during the flood is held once');
  assert.equal(honest.withoutFlood, QUICK_PLAN.quietRuns, 'and every one sent without it');
  assert.deepEqual([honest.detail!.notDelivered, honest.detail!.heldTwiceOrMore], [0, 0]);

  const flooder = byCase['flooder-stored']!;
  assert.equal(flooder.bound, REQUEST_MAX_MESSAGES_PER_SENDER);
  assert.equal(flooder.detail!.sent, QUICK_PLAN.floodTexts);
  assert.equal(flooder.duringFlood, flooder.detail!.roomInRequest, 'the flooder filled exactly the room its request has');
  assert.equal(flooder.duringFlood + flooder.detail!.refused!, QUICK_PLAN.floodTexts, 'the rest refused before decryption');

  assert.equal(byCase['request-senders']!.bound, REQUESTS_MAX_SENDERS);
  assert.equal(byCase['request-bytes']!.bound, REQUESTS_MAX_TOTAL_BYTES);
  const senders = byCase['request-senders']!.detail!;
  assert.equal(senders.sybilsStored! + senders.sybilsRefused! + senders.sybilsRejected! + senders.sybilsFailed!, QUICK_PLAN.sybils, 'every Sybil accounted for');
  assert.ok(senders.sybilsStored! > 0, 'Sybils got through as strangers do');
  assert.deepEqual([senders.sybilsEvicted, senders.afterFlood], [0, senders.sybilsStored! + 1], 'the flood is too small to evict anyone: the flooder and every Sybil that got through hold a request');
  assert.equal(byCase.contacts!.duringFlood, 1, 'the honest contact, no stranger');
  assert.ok(byCase['store-growth-compacted']!.detail!.compactedAfter! > byCase['store-growth-compacted']!.detail!.compactedBefore!, 'the requests are on disk');
});
