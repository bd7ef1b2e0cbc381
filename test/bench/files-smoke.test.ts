/**
 * Smoke run of `npm run bench -- files`: the benchmark runs end to end in its
 * quick mode (32 MiB between two bundled processes on loopback, the fetched
 * file opened and compared with what was sealed) and its JSON lines report
 * both cases' throughput, their ratio and both processes' peak RSS, with the
 * verdicts following the targets; a fetcher killed with SIGKILL halfway
 * and restarted on the same folder fetches again at most the window it had
 * in flight. It asserts no timing: speed is the
 * benchmark's job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const QUICK_BYTES = 32 * 1024 * 1024;

interface Run {
  case: string;
  bytes: number;
  ms: number;
  fetcherRssMB: number;
  holderRssMB: number;
}

test('bench files --quick --json fetches the whole file both ways and reports throughput, ratio and RSS against their targets', { timeout: 300_000 }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'files', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => [l.bench, l.case]), [['files', 'throughput'], ['files', 'rss'], ['files', 'kill-resume']]);
  const [throughput, rss, killed] = lines as [Record<string, unknown> & { runs: Run[] }, Record<string, unknown>, Record<string, number | boolean>];
  assert.equal(throughput.size, QUICK_BYTES);
  assert.deepEqual(throughput.runs.map((r) => r.case).sort(), ['/sotto/file', 'bare stream']);
  const sealed = QUICK_BYTES + 16 * (QUICK_BYTES / (256 * 1024));
  for (const run of throughput.runs) {
    assert.equal(run.bytes, sealed, `${run.case} carried every sealed byte`);
    assert.ok(run.ms > 0 && run.fetcherRssMB > 0 && run.holderRssMB > 0, run.case);
  }
  const ratio = throughput.ratio as number;
  assert.ok(ratio > 0);
  assert.equal(throughput.met, ratio >= (throughput.target as number), 'the throughput verdict follows the target');
  const sotto = rss.sotto as { fetcher: number; holder: number };
  assert.equal(rss.met, Math.max(sotto.fetcher, sotto.holder) <= (rss.target as number), 'the memory verdict follows the target');
  // The fetcher killed at 50 % and a new one on the same folder: every chunk served, the ones twice at most the window in flight.
  const chunks = QUICK_BYTES / (256 * 1024);
  assert.equal(killed.chunks, chunks);
  assert.ok((killed.servedBefore as number) >= chunks / 2 && (killed.servedBefore as number) < chunks, `killed halfway (${String(killed.servedBefore)})`);
  assert.equal(killed.twice, (killed.servedBefore as number) + (killed.servedAfter as number) - chunks);
  assert.ok((killed.twice as number) <= (killed.target as number), `${String(killed.twice)} chunks served twice: at most one window`);
});
