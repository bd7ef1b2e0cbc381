/**
 * The messenger's recurring jobs: each run sets the delay before the next;
 * a failed run is retried after the retry delay; runSoon during a run runs
 * again right after it; nothing runs after stop, not even once a run that
 * was under way ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recurring } from '../../src/node/messaging/recurring.ts';
import { testClock } from '../helpers/context.ts';
import { ManualScheduler, settle } from '../helpers/scheduler.ts';

test('runs at the delays the job returns; a failed run waits the retry delay', async () => {
  const clock = testClock(0);
  const scheduler = new ManualScheduler(clock);
  const runs: number[] = [];
  const job = new Recurring(scheduler, async () => {
    runs.push(clock.now());
    if (runs.length === 2) throw new Error('this run fails');
    return 100;
  }, 7);
  job.start(5);
  await scheduler.advance(300);
  assert.deepEqual(runs, [5, 105, 112, 212]);
});

test('runSoon during a run runs once more right after it; stop during a run schedules nothing', async () => {
  const clock = testClock(0);
  const scheduler = new ManualScheduler(clock);
  let release!: () => void;
  let runs = 0;
  const job = new Recurring(scheduler, async () => {
    runs++;
    if (runs === 1) await new Promise<void>((r) => (release = r));
    return 1_000;
  }, 1_000);
  job.start(0);
  await scheduler.advance(0);
  assert.equal(runs, 1);
  job.runSoon();
  job.runSoon();
  release();
  await scheduler.advance(0);
  assert.equal(runs, 2, 'one more run at once, however often runSoon was asked');
  job.stop();
  assert.equal(scheduler.pending, 0);

  let finish!: () => void;
  const stopping = new Recurring(scheduler, () => new Promise<number>((r) => (finish = () => r(10))), 10);
  stopping.start(0);
  await scheduler.advance(0);
  stopping.stop();
  finish();
  await settle();
  assert.equal(scheduler.pending, 0, 'the run that ended after stop scheduled nothing');
});
