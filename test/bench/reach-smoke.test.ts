/**
 * Smoke run of `npm run bench -- reach pages`: the pages' part runs end to
 * end in its quick mode (namespaces, a page's node, a second desktop node,
 * pages in headless Chromium) and prints one JSON line per pair with the
 * promised figures and the verdicts that follow from them. It asserts no
 * timing: speed is the benchmark's job. What it does assert is what the
 * pairs are: two pages and a page with a desktop node end on direct
 * connections, pages without a route on relayed ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DELIVERY_TARGET_MS, type ReachLine } from '../../bench/reach.ts';
import { QUICK_PLAN } from '../../bench/reach/pages.ts';
import { canRunBrowsers } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const skip = canRunBrowsers() ? false : 'needs root (network namespaces) and /usr/bin/chromium';

test('bench reach pages --quick --json: one line per pair, the figures promised, verdicts that follow them', { skip, timeout: 300_000 }, () => {
  const lines = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'reach', 'pages', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' })
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ReachLine);
  assert.deepEqual(lines.map((l) => l.pair), ['page↔page', 'page↔desktop', 'page↔page, no route']);
  for (const line of lines) {
    assert.equal(line.bench, 'reach');
    assert.equal(line.part, 'pages');
    assert.equal(line.trials, QUICK_PLAN.trials);
    assert.equal(line.messages, QUICK_PLAN.trials * QUICK_PLAN.messages);
    assert.ok(line.firstConnection > 0 && line.delivery > 0, `${line.pair}: measured`);
    assert.ok(line.deliveryP99 >= line.delivery, `${line.pair}: the tail is at or above the median`);
    assert.equal(line.target, DELIVERY_TARGET_MS);
    assert.equal(line.met, line.delivery <= line.target && line.viaMailbox === 0, `${line.pair}: the verdict follows the figures`);
  }
  assert.deepEqual(lines.map((l) => l.direct), [QUICK_PLAN.trials, QUICK_PLAN.trials, 0], 'direct for page↔page and page↔desktop, relayed without a route');
});
