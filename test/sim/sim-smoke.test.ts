/**
 * Smoke run of `npm run sim -- --churn --quick --json`: 12 real libp2p nodes on
 * loopback under churn (users leave and return, a mailbox vanishes), then a
 * node drains a backlog from its mailboxes. Asserts the invariants only,
 * never a time:
 * - every message held by at least one mailbox that survived its
 *   recipient's absence is delivered (and the mailbox path was taken);
 * - the application sees each message once, from the right sender, with the
 *   right text;
 * - the drain delivers the whole backlog, it is on disk after the drain
 *   recipient is killed, and the mailboxes no longer hold it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Line {
  sim: string;
  metric: string;
  unit: string;
  value: number | null;
  target?: number;
  rule?: string;
  met?: boolean;
  detail?: Record<string, unknown>;
}

test('sim --churn --quick --json: delivery, no duplicates, a complete drain', { timeout: 240_000 }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--churn', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Line);
  const one = (metric: string): Line => {
    const found = lines.filter((l) => l.metric === metric);
    assert.equal(found.length, 1, `one ${metric} line`);
    return found[0]!;
  };
  for (const line of lines) {
    assert.equal(line.sim, 'churn');
    assert.equal(typeof line.unit, 'string', `${line.metric}: unit`);
    if (line.target !== undefined && line.value !== null) {
      assert.equal(line.met, line.rule === 'value >= target' ? line.value >= line.target : line.value <= line.target, `${line.metric}: verdict follows the target`);
    }
  }

  assert.equal(one('nodes').value, 12);
  assert.equal(lines.filter((l) => l.metric === 'mailbox-use').length, one('nodes').detail!['mailboxes']);
  const churn = one('churn-events').detail!;
  assert.ok((churn['leaves'] as number) > 0 && (churn['returns'] as number) + (churn['settleReturns'] as number) > 0, 'users left and came back');
  assert.ok((churn['vanished'] as number) > 0, 'a mailbox vanished');
  assert.ok(one('messages').value! > 0, 'messages were sent');

  const eligible = one('delivery-eligible');
  assert.ok((eligible.detail!['eligible'] as number) > 0, 'some messages went through mailboxes');
  assert.equal(eligible.value, 100, `every eligible message delivered (${JSON.stringify(eligible.detail)})`);

  const duplicates = one('duplicates');
  assert.equal(duplicates.value, 0, 'no message reached the application twice');
  assert.equal(duplicates.detail!['wrongSenderOrText'], 0, 'every message came from its sender with its text');
  assert.equal(duplicates.detail!['unknownIds'], 0, 'no message the simulation did not send');

  const drain = one('drain');
  const detail = drain.detail!;
  assert.ok((detail['messages'] as number) > 0);
  assert.equal(detail['error'], null, 'the drain ran');
  assert.equal(detail['heldByK'], detail['messages'], 'the whole backlog was held by k mailboxes');
  assert.equal(detail['delivered'], detail['messages'], 'the whole backlog reached the application');
  assert.equal(one('drain-complete').value, 100, 'the whole backlog is on disk after SIGKILL');
  assert.equal(detail['leftInMailboxes'], 0, 'the mailboxes deleted what was acknowledged');
  assert.ok(Number.isFinite(drain.value), 'the drain was timed');
});
