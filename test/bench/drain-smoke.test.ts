/**
 * Smoke run of `npm run bench -- drain`: the benchmark runs end to end in its
 * quick mode (1,000 messages through three mailboxes on loopback libp2p) and
 * its JSON line reports a complete drain: every message stored once, in the
 * order the sender sent it, every 'message' event once, nothing left on the
 * mailboxes. It asserts no timing: speed is the benchmark's job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const QUICK_MESSAGES = 1000;
const MAILBOXES = 3;

interface Line {
  bench: string;
  case: string;
  unit: string;
  sotto: number;
  target: number;
  rule: string;
  met: boolean;
  messages: number;
  fetched: number;
  stored: number;
  inOrder: boolean;
  events: number;
  mailboxItemsLeft: number;
  breakdown: Record<string, number | null>;
}

test('bench drain --quick --json drains every message once, in order, and empties the mailboxes', { timeout: 180_000 }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'drain', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.equal(lines.length, 1);
  const line = lines[0]!;
  assert.equal(line.bench, 'drain');
  assert.equal(line.case, 'drain');
  assert.equal(line.unit, 'ms');
  assert.equal(line.messages, QUICK_MESSAGES);
  assert.equal(line.stored, QUICK_MESSAGES, 'every message on disk after a reopen');
  assert.equal(line.inOrder, true, 'once each, in the order sent');
  assert.equal(line.events, QUICK_MESSAGES, "one 'message' event each");
  assert.equal(line.mailboxItemsLeft, 0, 'the mailboxes deleted everything');
  assert.ok(line.fetched >= QUICK_MESSAGES && line.fetched <= MAILBOXES * QUICK_MESSAGES, `fetched ${line.fetched}`);
  assert.ok(Number.isFinite(line.sotto) && line.sotto > 0, 'a time was measured');
  assert.equal(line.met, line.sotto <= line.target, 'the verdict follows the target');
  for (const [part, value] of Object.entries(line.breakdown)) assert.ok(value === null || (Number.isFinite(value) && value >= 0), `breakdown ${part}`);
});
