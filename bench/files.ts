/**
 * `npm run bench -- files [--size N[K|M|G]] [--rounds N] [--store NAME] [--json] [--quick]`:
 * a sealed file fetched over /sotto/file between two processes on
 * 127.0.0.1, side by side in the same run with a bare libp2p stream on the
 * same two nodes and connection (TCP, Noise, Yamux) carrying the same
 * sealed bytes (./files/bulk.ts).
 *
 * Two processes, bundled like dist/sotto.mjs (./files/bundle.ts) so their
 * memory is a `sotto` process's: the holder (./files/holder.ts) seals a
 * file of `--size` bytes (default 1 GiB; `--quick` 32 MiB) onto disk and
 * serves it from there; the fetcher (./files/fetcher.ts) writes what it
 * receives at the chunks' offsets into a file, in both cases (`--store
 * disk`, ./files/disk-store.ts; other stores plug in at ./files/stores.ts). This
 * process only directs them. The rounds alternate which case goes first.
 * Printed: each case's throughput (median over the rounds, sealed bytes per
 * second), their ratio against the 50 % target, and both processes' peak
 * RSS during each case against the 200 MB target. With `--quick` the
 * fetched file is opened and compared with what was sealed.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import { join } from 'node:path';
import { chunkCount, chunkSealedBytes } from '../src/crypto/file-cipher.ts';
import { FILE_WINDOW_CHUNKS } from '../src/node/constants.ts';
import { bundleFilesProcesses } from './files/bundle.ts';
import { BENCH_STORES } from './files/stores.ts';
import type { FetcherReady, FetcherRequests, FilesCase, HolderReady, HolderRequests } from './files/ipc.ts';
import { spawnChild, type Child } from './rpc.ts';
import { median, roundTo, textTable } from './stats.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const FULL_SIZE = GiB;
const QUICK_SIZE = 32 * MiB;
const FULL_ROUNDS = 2;
const QUICK_ROUNDS = 1;
/** /sotto/file's throughput against the bare stream's. */
const TARGET_RATIO = 0.5;
/** Peak resident memory of either process. */
const TARGET_RSS_MB = 200;
const MB = 1_000_000;
/** How often the kill case asks the holder how far the fetch is. */
const KILL_POLL_MS = 20;

/** One case of one round. */
interface Run {
  readonly case: FilesCase;
  readonly bytes: number;
  readonly ms: number;
  readonly fetcherRssMB: number;
  readonly holderRssMB: number;
}

/** The options of the files benchmark, or an error message. */
export function parseFilesArgs(args: readonly string[]): { size: number; rounds: number; store: string; json: boolean; quick: boolean } | string {
  const quick = args.includes('--quick');
  const json = args.includes('--json');
  let size = quick ? QUICK_SIZE : FULL_SIZE;
  let rounds = quick ? QUICK_ROUNDS : FULL_ROUNDS;
  let store = Object.keys(BENCH_STORES)[0]!;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json' || arg === '--quick') continue;
    if (arg === '--store') {
      store = args[++i] ?? '';
      if (!(store in BENCH_STORES)) return `--store is one of ${Object.keys(BENCH_STORES).join(', ')}`;
      continue;
    }
    if (arg === '--size' || arg === '--rounds') {
      const value = args[++i];
      const parsed = arg === '--size' ? parseSize(value) : Number(value);
      if (!Number.isSafeInteger(parsed) || parsed < 1) return `${arg} needs a positive whole number, not ${value}`;
      if (arg === '--size') size = parsed;
      else rounds = parsed;
      continue;
    }
    return `unknown option ${arg}`;
  }
  return { size, rounds, store, json, quick };
}

/** "1G" → 2^30, "256M", "64K", "1000" → bytes. */
function parseSize(value: string | undefined): number {
  const m = /^(\d+)([KMG]?)$/i.exec(value ?? '');
  if (!m) return NaN;
  return Number(m[1]) * ({ '': 1, K: 1024, M: MiB, G: GiB } as Record<string, number>)[m[2]!.toUpperCase()]!;
}

/** Entry point of `npm run bench -- files`. */
export async function runFilesBench(args: readonly string[]): Promise<number> {
  const options = parseFilesArgs(args);
  if (typeof options === 'string') {
    console.error(`${options}\nusage: npm run bench -- files [--size N[K|M|G]] [--rounds N] [--store NAME] [--json] [--quick]`);
    return 1;
  }
  const progress = options.json ? (): void => {} : (line: string): void => console.error(line);
  const dir = await mkdtemp(join(os.tmpdir(), 'sotto-bench-files-'));
  let holder: Child<HolderRequests, HolderReady> | undefined;
  let fetcher: Child<FetcherRequests, FetcherReady> | undefined;
  try {
    const scripts = await bundleFilesProcesses();
    progress(`sealing ${formatBytes(options.size)} in the holder process…`);
    holder = await spawnChild<HolderRequests, HolderReady>(scripts.holder, [dir, String(options.size), options.store], 'holder', { bundled: true });
    fetcher = await spawnChild<FetcherRequests, FetcherReady>(scripts.fetcher, [dir, options.store], 'fetcher', { bundled: true });
    const ready = holder.ready;
    progress(`sealed in ${Math.round(ready.sealMs)} ms`);
    await holder.request('allow', { peerId: fetcher.ready.peerId });
    await fetcher.request('connect', { address: ready.addresses[0]! });
    const idle = { fetcherMB: 0, holderMB: (await holder.request('rss', { reset: true })).phaseMB };

    const runs: Run[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const order: FilesCase[] = round % 2 === 0 ? ['bare stream', '/sotto/file'] : ['/sotto/file', 'bare stream'];
      for (const which of order) {
        await holder.request('rss', { reset: true });
        const measure = await fetcher.request('fetch', { case: which, peerId: ready.peerId, fileId: ready.fileId, size: ready.size, ...(options.quick && which === '/sotto/file' ? { key: ready.key } : {}) });
        const holderRss = await holder.request('rss', { reset: false });
        runs.push({ case: which, bytes: measure.bytes, ms: measure.ms, fetcherRssMB: measure.rss.phaseMB, holderRssMB: holderRss.phaseMB });
        if (round === 0 && which === order[0]) idle.fetcherMB = measure.rss.startMB;
        progress(`round ${round + 1}, ${which}: ${formatBytes(measure.bytes)} in ${Math.round(measure.ms)} ms`);
      }
    }
    const killed = await killHalfway(scripts.fetcher, dir, holder, ready, progress);
    report(runs, options, ready, idle, killed);
    return 0;
  } finally {
    await fetcher?.stop().catch(() => {});
    await holder?.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the kill -9 case measured: chunks served before the kill, after the restart, and how many of them twice. */
interface Killed {
  readonly chunks: number;
  readonly servedBefore: number;
  readonly servedAfter: number;
  readonly twice: number;
}

/**
 * A fetcher writing into the home's file store (`--store home`) is killed
 * with SIGKILL once the holder has served half the chunks; a new fetcher
 * process on the same folder resumes. Counts the chunks the holder served
 * in all, beyond the file's.
 */
async function killHalfway(script: string, dir: string, holder: Child<HolderRequests, HolderReady>, ready: HolderReady, progress: (line: string) => void): Promise<Killed> {
  const folder = join(dir, 'killed');
  await mkdir(folder);
  const chunks = chunkCount(ready.size);
  const start = async (label: string): Promise<Child<FetcherRequests, FetcherReady>> => {
    const child = await spawnChild<FetcherRequests, FetcherReady>(script, [folder, 'home'], label, { bundled: true });
    await holder.request('allow', { peerId: child.ready.peerId });
    await child.request('connect', { address: ready.addresses[0]! });
    return child;
  };
  const fetch = { case: '/sotto/file' as const, peerId: ready.peerId, fileId: ready.fileId, size: ready.size, keep: true };
  progress('kill -9 at 50 %: a fetcher writing into the home store…');
  const victim = await start('fetcher (killed)');
  await holder.request('served', { reset: true });
  const fetching = victim.request('fetch', fetch).catch(() => undefined);
  while ((await holder.request('served', { reset: false })) < chunks / 2) await sleep(KILL_POLL_MS);
  victim.kill();
  await fetching;
  await victim.stop();
  const servedBefore = await holder.request('served', { reset: true });
  progress(`killed after ${servedBefore} of ${chunks} chunks served; a new fetcher resumes on the same folder`);
  const again = await start('fetcher (resumed)');
  try {
    await again.request('fetch', fetch);
  } finally {
    await again.stop();
  }
  const servedAfter = await holder.request('served', { reset: true });
  return { chunks, servedBefore, servedAfter, twice: servedBefore + servedAfter - chunks };
}

function report(runs: readonly Run[], options: { size: number; rounds: number; json: boolean }, ready: HolderReady, idle: { fetcherMB: number; holderMB: number }, killed: Killed): void {
  const of = (which: FilesCase) => runs.filter((r) => r.case === which);
  const throughput = (which: FilesCase): number => median(of(which).map((r) => r.bytes / MB / (r.ms / 1000)));
  const peak = (which: FilesCase, side: 'fetcherRssMB' | 'holderRssMB'): number => Math.max(...of(which).map((r) => r[side]));
  const bare = throughput('bare stream');
  const sotto = throughput('/sotto/file');
  const ratio = sotto / bare;
  const rssPeak = Math.max(peak('/sotto/file', 'fetcherRssMB'), peak('/sotto/file', 'holderRssMB'));
  const sealedBytes = Array.from({ length: chunkCount(ready.size) }, (_, i) => chunkSealedBytes(ready.size, i)).reduce((a, b) => a + b, 0);
  if (options.json) {
    const common = { bench: 'files', size: options.size, sealedBytes, rounds: options.rounds };
    console.log(JSON.stringify({ ...common, case: 'throughput', unit: 'MB/s', sotto: roundTo(sotto, 1), baseline: roundTo(bare, 1), ratio: roundTo(ratio, 3), target: TARGET_RATIO, rule: 'sotto/baseline >= target', met: ratio >= TARGET_RATIO, runs }));
    console.log(
      JSON.stringify({
        ...common,
        case: 'rss',
        unit: 'MB',
        sotto: { fetcher: roundTo(peak('/sotto/file', 'fetcherRssMB'), 1), holder: roundTo(peak('/sotto/file', 'holderRssMB'), 1) },
        baseline: { fetcher: roundTo(peak('bare stream', 'fetcherRssMB'), 1), holder: roundTo(peak('bare stream', 'holderRssMB'), 1) },
        idle: { fetcher: roundTo(idle.fetcherMB, 1), holder: roundTo(idle.holderMB, 1) },
        target: TARGET_RSS_MB,
        rule: 'peak RSS of either process during /sotto/file <= target',
        met: rssPeak <= TARGET_RSS_MB,
      }),
    );
    console.log(JSON.stringify({ ...common, case: 'kill-resume', unit: 'chunks', sotto: killed.twice, ...killed, target: FILE_WINDOW_CHUNKS, rule: 'chunks served twice after a kill -9 at 50 % <= one window', met: killed.twice <= FILE_WINDOW_CHUNKS }));
    return;
  }
  const fmt = (n: number): string => roundTo(n, 1).toFixed(1);
  console.log(`\nfiles: ${formatBytes(options.size)} (${formatBytes(sealedBytes)} sealed), ${options.rounds} round(s), two processes on 127.0.0.1, TCP + Noise + Yamux, received into a file on disk\n`);
  console.log(
    textTable(
      ['case', 'throughput (MB/s, median)', 'fetcher peak RSS (MB)', 'holder peak RSS (MB)'],
      (['bare stream', '/sotto/file'] as const).map((c) => [c, fmt(throughput(c)), fmt(peak(c, 'fetcherRssMB')), fmt(peak(c, 'holderRssMB'))]),
    ),
  );
  console.log(`\n/sotto/file / bare stream: ${(ratio * 100).toFixed(0)} % (target ≥ ${TARGET_RATIO * 100} %: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`);
  console.log(
    `kill -9 of the fetcher at 50 % (home store), then a new one on the same folder: ${killed.twice} chunks served twice (${killed.servedBefore} before the kill, ${killed.servedAfter} after, ${killed.chunks} in the file; target ≤ one window = ${FILE_WINDOW_CHUNKS}: ${killed.twice <= FILE_WINDOW_CHUNKS ? 'met' : 'NOT met'})`,
  );
  console.log(`peak RSS during /sotto/file: ${fmt(rssPeak)} MB (target ≤ ${TARGET_RSS_MB} MB: ${rssPeak <= TARGET_RSS_MB ? 'met' : 'NOT met'}); before the first transfer: fetcher ${fmt(idle.fetcherMB)} MB, holder ${fmt(idle.holderMB)} MB`);
}

function formatBytes(bytes: number): string {
  return bytes >= GiB ? `${roundTo(bytes / GiB, 2)} GiB` : `${roundTo(bytes / MiB, 1)} MiB`;
}
