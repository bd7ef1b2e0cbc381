/**
 * `npm run sim -- --trend [12,25,50,100] [--json]`: how DHT lookups grow with
 * the network. For each size, a fresh network of real libp2p nodes in this
 * process (createNode with the bundle-record hooks, as `sotto start`; no
 * messenger), each bootstrapped to 3 random earlier nodes; after a warm-up,
 * sequential probes between random nodes: findPeer (no cache) and
 * getClosestPeers of a random key, timed, with the queries each sent.
 * No churn: this is the lookup cost of a stable network of that size.
 */
import { roundTo, textTable } from '../bench/stats.ts';
import { nodeCryptoContext } from '../src/app/context.ts';
import type { CryptoContext } from '../src/crypto/context.ts';
import { generateIdentity } from '../src/crypto/identity.ts';
import { bundleRecordDhtHooks } from '../src/node/bundles/bundle-record.ts';
import { createNode, type SottoNode } from '../src/node/transport/libp2p.ts';
import { quantiles } from './analysis.ts';
import { sleep, wallNow } from './clock.ts';
import { Rng, seededBytes } from './rng.ts';

const FANOUT = 3;
const PROBES = 30;
const PROBE_TIMEOUT_MS = 10_000;
/** Warm-up: a base plus a little per node (routing tables fill as nodes ping each other). */
const WARM_BASE_MS = 5000;
const WARM_PER_NODE_MS = 50;

interface TrendRow {
  readonly nodes: number;
  readonly findPeer: ReturnType<typeof quantiles> & { failed: number };
  readonly closest: ReturnType<typeof quantiles> & { failed: number; meanQueries: number; meanFound: number };
  readonly rssPerNodeMiB: number;
  readonly buildMs: number;
}

async function measure(size: number, seed: number, base: CryptoContext, progress: (line: string) => void): Promise<TrendRow> {
  const rng = new Rng(seed).fork(`trend:${size}`);
  const hooks = bundleRecordDhtHooks(base);
  const nodes: SottoNode[] = [];
  const rssBefore = process.memoryUsage().rss;
  const began = wallNow();
  try {
    for (let i = 0; i < size; i++) {
      const identity = await generateIdentity({ ...base, randomBytes: seededBytes(seed, `trend:${size}:${i}`) });
      const bootstrap = rng.sample(nodes, FANOUT).map((n) => n.addresses()[0]!);
      nodes.push(await createNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, dhtValidators: hooks.validators, dhtSelectors: hooks.selectors }));
    }
    const buildMs = wallNow() - began;
    await sleep(WARM_BASE_MS + WARM_PER_NODE_MS * size);
    const rssPerNodeMiB = (process.memoryUsage().rss - rssBefore) / size / (1024 * 1024);
    progress(`trend: ${size} nodes up in ${Math.round(buildMs)} ms; probing`);
    const findMs: number[] = [];
    let findFailed = 0;
    const closestMs: number[] = [];
    const queries: number[] = [];
    const found: number[] = [];
    let closestFailed = 0;
    for (let i = 0; i < PROBES; i++) {
      const [a, b] = rng.sample(nodes, 2) as [SottoNode, SottoNode];
      let start = wallNow();
      try {
        await a.findPeer(b.peerId, { timeoutMs: PROBE_TIMEOUT_MS });
        findMs.push(wallNow() - start);
      } catch {
        findFailed++;
      }
      const key = Uint8Array.from({ length: 32 }, () => rng.int(256));
      start = wallNow();
      let q = 0;
      let f = 0;
      try {
        for await (const event of a.libp2p.services.dht.getClosestPeers(key, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })) {
          if (event.name === 'SEND_QUERY') q++;
          else if (event.name === 'FINAL_PEER') f++;
        }
        closestMs.push(wallNow() - start);
        queries.push(q);
        found.push(f);
      } catch {
        closestFailed++;
      }
    }
    const avg = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((x, y) => x + y, 0) / xs.length);
    return {
      nodes: size,
      findPeer: { ...quantiles(findMs), failed: findFailed },
      closest: { ...quantiles(closestMs), failed: closestFailed, meanQueries: avg(queries), meanFound: avg(found) },
      rssPerNodeMiB,
      buildMs,
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
  }
}

export async function runTrend(sizes: readonly number[], seed: number, json: boolean, progress: (line: string) => void): Promise<number> {
  const ctx = await nodeCryptoContext(() => Date.now());
  const rows: TrendRow[] = [];
  for (const size of sizes) {
    rows.push(await measure(size, seed, ctx, progress));
    await sleep(1000);
  }
  const r1 = (v: number | null): number | null => (v === null ? null : roundTo(v, 1));
  if (json) {
    for (const r of rows) {
      console.log(JSON.stringify({ sim: 'trend', metric: 'lookup-findpeer', nodes: r.nodes, unit: 'ms', p50: r1(r.findPeer.p50), p99: r1(r.findPeer.p99), samples: r.findPeer.samples, failed: r.findPeer.failed }));
      console.log(
        JSON.stringify({ sim: 'trend', metric: 'lookup-closest', nodes: r.nodes, unit: 'ms', p50: r1(r.closest.p50), p99: r1(r.closest.p99), samples: r.closest.samples, failed: r.closest.failed, meanQueries: r1(r.closest.meanQueries), meanFound: r1(r.closest.meanFound) }),
      );
      console.log(JSON.stringify({ sim: 'trend', metric: 'rss-per-node', nodes: r.nodes, unit: 'MiB', value: r1(r.rssPerNodeMiB) }));
    }
    return 0;
  }
  const f = (v: number | null): string => (v === null ? '-' : v.toFixed(1));
  console.log(`DHT lookups vs network size: real libp2p nodes in one process on 127.0.0.1, each bootstrapped to ${FANOUT} random earlier nodes, ${PROBES} sequential probes per size, seed ${seed}`);
  console.log(
    textTable(
      ['nodes', 'findPeer p50 ms', 'findPeer p99 ms', 'failed', 'closest p50 ms', 'closest p99 ms', 'failed', 'queries/lookup', 'peers returned', 'RSS/node MiB'],
      rows.map((r) => [String(r.nodes), f(r.findPeer.p50), f(r.findPeer.p99), String(r.findPeer.failed), f(r.closest.p50), f(r.closest.p99), String(r.closest.failed), f(r.closest.meanQueries), f(r.closest.meanFound), f(r.rssPerNodeMiB)]),
    ),
  );
  return 0;
}
