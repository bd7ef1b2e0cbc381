/**
 * Benchmark entry point: `npm run bench -- <name> [options]`. Dispatches on
 * the first argument; an unknown or missing name prints the list of
 * benchmarks and exits with status 1.
 */
import { runCryptoBench } from './crypto.ts';

/** A benchmark: what it measures, and how to run it with its own arguments (resolves to the exit code). */
interface Benchmark {
  readonly description: string;
  readonly run: (args: readonly string[]) => Promise<number>;
}

const BENCHMARKS: Readonly<Record<string, Benchmark>> = {
  crypto: {
    description: 'Sotto crypto core vs @signalapp/libsignal-client: burst, ping-pong, session setup; wire bytes per message over a scripted 2,000-message conversation [--json] [--quick]',
    run: runCryptoBench,
  },
  transport: {
    description: 'Sotto messenger vs bare libp2p streams between two processes: latency, burst; sotto start RSS and time to ready [--json] [--quick]',
    // Loaded on demand: it pulls in libp2p and level, which the crypto benchmark does not need.
    run: async (args) => (await import('./transport.ts')).runTransportBench(args),
  },
  drain: {
    description: 'a returning node drains 10,000 queued messages from 3 mailboxes (libp2p on loopback, the mailboxes in a separate process): time vs the 3 s target, breakdown [--json] [--quick] [--messages N]',
    run: async (args) => (await import('./drain.ts')).runDrainBench(args),
  },

  strangers: {
    description: 'a real sotto start under a flood of strangers (2,000 x 60 KB from one, 1,000 Sybils) while an honest contact sends: store growth, command and chat latency, honest delivery, with and without the flood [--json] [--quick]',
    run: async (args) => (await import('./strangers.ts')).runStrangersBench(args),
  },
  reach: {
    description: 'how peers reach each other while both are online: desktop pairs on one LAN, across two home NATs and through a symmetric NAT; page↔page, page↔desktop, pages without a route (network namespaces, root; Chromium): direct share, first connection, delivery p50/p99 [PART...] [--json] [--quick]',
    run: async (args) => (await import('./reach.ts')).runReachBench(args),
  },
  groups: {
    description: 'groups (MLS through ts-mls on Sotto\'s crypto) at 10, 100 and 1,000 members, X-Wing beside the X25519 reference: create, add, join, remove, self-update, processing p50/p95, encrypt/decrypt, bytes per operation and message, state size, against the targets and ts-mls\'s own figures; direct fan-out of one message to 10 and 100 members (bytes and ms at the sender) beside a gossipsub mesh [fanout] [--json] [--quick]',
    run: async (args) => (await import('./groups.ts')).runGroupsBench(args),
  },
  files: {
    description: 'a sealed file (default 1 GiB) fetched over /sotto/file between two processes on loopback, beside a bare libp2p stream carrying the same bytes on the same connection: throughput of both, their ratio against the 50 % target, both processes\' peak RSS against 200 MB [--size N[K|M|G]] [--rounds N] [--store NAME] [--json] [--quick]',
    run: async (args) => (await import('./files.ts')).runFilesBench(args),
  },
  ui: {
    description: 'the page (headless Chromium) and the terminal chat with a 10,000-message conversation beside a 20-message one: time to open it, to show a new incoming message, to show a keystroke, against the targets [page|chat] [--json] [--quick]',
    run: async (args) => (await import('./ui.ts')).runUiBench(args),
  },
};

const [name, ...args] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : BENCHMARKS[name];
if (benchmark) {
  process.exitCode = await benchmark.run(args);
} else {
  if (name !== undefined) console.error(`unknown benchmark "${name}"`);
  console.error('usage: npm run bench -- <name> [options]\nbenchmarks:');
  for (const [key, b] of Object.entries(BENCHMARKS)) console.error(`  ${key.padEnd(10)} ${b.description}`);
  process.exitCode = 1;
}
