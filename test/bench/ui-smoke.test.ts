/**
 * Smoke run of `npm run bench -- ui`: the page part runs end to end in its
 * quick mode (the built page in headless Chromium, a desktop node on
 * loopback, two made profiles) and prints one JSON line per case with the
 * promised figures, the verdicts that follow from them, and a conversation
 * opened on one page of messages. It asserts no timing: speed is the
 * benchmark's job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasChromium } from '../../bench/ui/browser.ts';
import { PAGE_TARGETS, QUICK_PLAN } from '../../bench/ui/page.ts';
import type { UiLine } from '../../bench/ui.ts';
import { HISTORY_PAGE_MESSAGES } from '../../src/app/web/conversation.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const skip = hasChromium() ? false : 'needs /usr/bin/chromium';
const bench = (...args: string[]): string => execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'ui', ...args], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });

test('bench ui page --quick --json: one line per case, both conversations measured, verdicts that follow the figures', { skip, timeout: 300_000 }, () => {
  const lines = bench('page', '--quick', '--json')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as UiLine);
  assert.deepEqual(
    lines.map((l) => [l.part, l.case]),
    [
      ['page', 'open'],
      ['page', 'new-message'],
    ],
  );
  const samples = { open: QUICK_PLAN.opens, 'new-message': QUICK_PLAN.newMessages };
  const targets = { open: PAGE_TARGETS.openMs, 'new-message': PAGE_TARGETS.newMessageMs };
  for (const line of lines) {
    const name = line.case as keyof typeof samples;
    assert.equal(line.bench, 'ui');
    assert.equal(line.unit, 'ms');
    assert.equal(line.shortMessages, QUICK_PLAN.shortMessages);
    assert.equal(line.longMessages, QUICK_PLAN.longMessages);
    assert.ok(line.short > 0 && line.long > 0, `${line.case}: both conversations measured`);
    assert.ok(line.longP90 >= line.long, `${line.case}: the tail is at or above the median`);
    assert.equal(line.samples, samples[name]);
    assert.equal(line.target, targets[name]);
    assert.equal(line.met, line.long <= line.target, `${line.case}: the verdict follows the target`);
  }
  assert.equal(lines[0]!.detail?.['drawnMessages'], Math.min(HISTORY_PAGE_MESSAGES, QUICK_PLAN.longMessages), 'the long conversation opened on one page of messages');
});

test('bench ui chat --quick --json: the first screen and keystrokes, both homes measured, verdicts that follow the figures', { timeout: 300_000 }, () => {
  const lines = bench('chat', '--quick', '--json')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as UiLine);
  assert.deepEqual(
    lines.map((l) => [l.part, l.case]),
    [
      ['chat', 'first-screen'],
      ['chat', 'keystroke'],
      ['chat', 'keystroke-long-draft'],
    ],
  );
  for (const line of lines) {
    assert.ok(line.short > 0 && line.long > 0, `${line.case}: both homes measured`);
    assert.ok(line.longMessages > line.shortMessages, `${line.case}: the long home is the longer`);
    assert.equal(line.met, line.long <= line.target, `${line.case}: the verdict follows the target`);
  }
  assert.equal(lines[0]!.samples, 1);
  assert.ok(lines[1]!.samples > 1 && lines[2]!.samples === lines[1]!.samples, 'keys timed one by one');
});

test('bench ui with an unknown part lists the parts and fails', () => {
  assert.throws(
    () => bench('nope'),
    (err: { status: number; stderr: string }) => err.status === 1 && /unknown part nope; parts: page, chat/.test(err.stderr),
  );
});
