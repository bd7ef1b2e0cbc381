/**
 * Smoke run of `npm run bench -- reach`: each part runs end to end in its
 * quick mode (the desktop part: one trial per pair kind on the NAT topology
 * of test/helpers/nat.ts; the pages part: pages in headless Chromium, a
 * second desktop node, pages without a route) and prints one JSON line per
 * pair kind with the promised figures and the verdict that follows from
 * them. It asserts no timing: speed is the benchmark's job. What it does
 * assert is what the pages' pairs are: two pages and a page with a desktop
 * node end on direct connections, pages without a route on relayed ones.
 * Skipped (saying why) without root, ip, iptables or Chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REACH_DELIVERY_TARGET_MS, type ReachLine } from '../../bench/reach.ts';
import { QUICK_PLAN } from '../../bench/reach/pages.ts';
import { canRunBrowsers } from '../helpers/browser.ts';
import { natUnavailable } from '../helpers/nat.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const skip = (await natUnavailable()) ?? false;
const skipPages = canRunBrowsers() ? false : 'needs root (network namespaces) and /usr/bin/chromium';
/** The quick plan: one trial, the first message and five more. */
const QUICK_MESSAGES = 6;

test('bench reach desktop --quick --json: one line per pair kind, every message counted, verdicts that follow the figures', { skip, timeout: 300_000 }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'reach', 'desktop', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as ReachLine);
  assert.deepEqual(lines.map((l) => [l.part, l.pair, l.directPossible]), [
    ['desktop', 'lan', true],
    ['desktop', 'two-nats', true],
    ['desktop', 'symmetric-nat', false],
  ]);
  for (const line of lines) {
    assert.equal(line.bench, 'reach');
    assert.equal(line.unit, 'ms');
    assert.equal(line.trials, 1);
    assert.ok(line.direct >= 0 && line.direct <= line.trials);
    assert.equal(line.directShare, line.direct / line.trials);
    assert.equal(line.messages, QUICK_MESSAGES, `${line.pair}: every message counted`);
    assert.ok(line.firstMessage >= line.firstConnection, `${line.pair}: the first message is delivered once a connection exists`);
    assert.ok(line.deliveryP99 >= line.deliveryP50, `${line.pair}: the tail is at or above the median`);
    assert.equal(line.target, REACH_DELIVERY_TARGET_MS);
    const met = line.deliveryP50 <= line.target && line.notDelivered === 0 && (!line.directPossible || line.direct === line.trials);
    assert.equal(line.met, met, `${line.pair}: the verdict follows the figures`);
  }
});

test('bench reach pages --quick --json: one line per pair, the figures promised, verdicts that follow them', { skip: skipPages, timeout: 300_000 }, () => {
  const lines = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'reach', 'pages', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' })
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ReachLine);
  assert.deepEqual(lines.map((l) => [l.part, l.pair, l.directPossible]), [
    ['pages', 'page↔page', true],
    ['pages', 'page↔desktop', true],
    ['pages', 'page↔page, no route', false],
  ]);
  for (const line of lines) {
    assert.equal(line.trials, QUICK_PLAN.trials);
    assert.equal(line.messages, QUICK_PLAN.trials * QUICK_PLAN.messages, `${line.pair}: every message counted`);
    assert.ok(line.firstConnection > 0 && line.deliveryP50 > 0, `${line.pair}: measured`);
    assert.ok(line.deliveryP99 >= line.deliveryP50, `${line.pair}: the tail is at or above the median`);
    const met = line.deliveryP50 <= line.target && line.notDelivered === 0 && (!line.directPossible || line.direct === line.trials);
    assert.equal(line.met, met, `${line.pair}: the verdict follows the figures`);
  }
  assert.deepEqual(lines.map((l) => l.direct), [QUICK_PLAN.trials, QUICK_PLAN.trials, 0], 'direct for page↔page and page↔desktop, relayed without a route');
});

test('bench reach with an unknown part names the parts and fails', () => {
  assert.throws(
    () => execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'reach', 'nope'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }),
    (err: { status: number; stderr: string }) => err.status === 1 && err.stderr.includes('parts: desktop, pages'),
  );
});
