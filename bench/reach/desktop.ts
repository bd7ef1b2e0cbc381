/**
 * The desktop part of `npm run bench -- reach`: real `sotto start` nodes on
 * the NAT topology of test/helpers/nat.ts (a public relay, two
 * endpoint-independent NATs, one of them with two hosts on its LAN, and a
 * symmetric NAT). No node runs a mailbox. Each trial starts a fresh pair of
 * homes, lets both take their relay slots, swaps invites, sends the first
 * message (timing the first connection beside it) and then the rest one
 * after another, and looks at how the two are connected once that has
 * settled (bench/reach.ts, REACH_SETTLE_MS).
 */
import type { BenchFlags } from '../flags.ts';
import { REACH_SETTLE_MS, REACH_SETTLE_POLL_MS, type ReachCase } from '../reach.ts';
import { createNatTopology, natUnavailable, type NatTopology, type NetHost } from '../../test/helpers/nat.ts';
import { befriend, connectionBetween, relaysOf, startNatNode, type NatNode } from '../../test/helpers/nat-nodes.ts';

/** Trials per pair kind and messages per trial after the first. */
const FULL = { trials: 3, messages: 50 } as const;
const QUICK = { trials: 1, messages: 5 } as const;
/** How long one send waits for the recipient's ack (ms). */
const SEND_WAIT_MS = 30_000;
/** How often the first connection is looked for while the first message goes out (ms). */
const CONNECTION_POLL_MS = 10;

/** A pair kind: where its two peers sit, and whether their NATs allow a direct connection. */
interface PairKind {
  readonly pair: string;
  readonly directPossible: boolean;
  readonly hosts: (net: NatTopology) => readonly [NetHost, NetHost];
}

const PAIRS: readonly PairKind[] = [
  { pair: 'lan', directPossible: true, hosts: (net) => [net.sites[0]!.hosts[0]!, net.sites[0]!.hosts[1]!] },
  { pair: 'two-nats', directPossible: true, hosts: (net) => [net.sites[0]!.hosts[0]!, net.sites[1]!.hosts[0]!] },
  { pair: 'symmetric-nat', directPossible: false, hosts: (net) => [net.sites[0]!.hosts[0]!, net.sites[2]!.hosts[0]!] },
];

/** One trial's figures. */
interface Trial {
  readonly firstConnectionMs: number;
  readonly firstMessageMs: number;
  readonly deliveryMs: number[];
  readonly notDelivered: number;
  readonly direct: boolean;
}

/** Sends the first message from `a` to `b` and times it, and the first connection seen between them meanwhile. */
async function firstContact(a: NatNode, b: NatNode): Promise<{ connectionMs: number; messageMs: number; delivered: boolean }> {
  const began = performance.now();
  let connectionMs: number | undefined;
  let sending = true;
  const watch = (async () => {
    while (sending && connectionMs === undefined) {
      if ((await connectionBetween(a, b)) !== undefined) connectionMs = performance.now() - began;
      else await new Promise((resolve) => setTimeout(resolve, CONNECTION_POLL_MS));
    }
  })();
  const sent = await a.api.send(b.name, 'the first message', SEND_WAIT_MS);
  const messageMs = performance.now() - began;
  sending = false;
  await watch;
  return { connectionMs: connectionMs ?? messageMs, messageMs, delivered: sent.status === 'delivered' };
}

/** Whether `a` and `b` are connected directly once settled: as soon as seen, else false REACH_SETTLE_MS from now. */
async function settledDirect(a: NatNode, b: NatNode): Promise<boolean> {
  const end = performance.now() + REACH_SETTLE_MS;
  for (;;) {
    const link = await connectionBetween(a, b);
    if (link !== undefined && !link.relayed) return true;
    if (performance.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, REACH_SETTLE_POLL_MS));
  }
}

async function trial(kind: PairKind, net: NatTopology, relay: NatNode, messages: number, round: number): Promise<Trial> {
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const [hostA, hostB] = kind.hosts(net);
    const bootstrap = ['--bootstrap', relay.bootstrap];
    const [a, b] = await Promise.all([startNatNode(`a${round}`, hostA, bootstrap, cleanup), startNatNode(`b${round}`, hostB, bootstrap, cleanup)]);
    await Promise.all([relaysOf(a), relaysOf(b)]);
    await befriend(a, b);
    const first = await firstContact(a, b);
    const deliveryMs: number[] = [];
    let notDelivered = first.delivered ? 0 : 1;
    for (let i = 0; i < messages; i++) {
      const from = i % 2 === 0 ? b : a;
      const to = from === a ? b : a;
      const began = performance.now();
      const sent = await from.api.send(to.name, `message ${i}`, SEND_WAIT_MS);
      if (sent.status === 'delivered') deliveryMs.push(performance.now() - began);
      else notDelivered++;
    }
    return { firstConnectionMs: first.connectionMs, firstMessageMs: first.messageMs, deliveryMs, notDelivered, direct: await settledDirect(a, b) };
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  }
}

/** Measures every desktop pair kind; throws when namespaces cannot be made here. */
export async function measureDesktopPairs(flags: BenchFlags): Promise<ReachCase[]> {
  const unavailable = await natUnavailable();
  if (unavailable !== undefined) throw new Error(`reach desktop ${unavailable}`);
  const plan = flags.quick ? QUICK : FULL;
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const net = await createNatTopology(`br${process.pid % 100000}`, {
      publicHosts: 1,
      sites: [{ kind: 'endpoint-independent', hosts: 2 }, { kind: 'endpoint-independent', hosts: 1 }, { kind: 'symmetric', hosts: 1 }],
    });
    cleanup.push(() => net.remove());
    const relay = await startNatNode('relay', net.publicHosts[0]!, ['--relay'], cleanup);
    const cases: ReachCase[] = [];
    let round = 0;
    for (const kind of PAIRS) {
      const trials: Trial[] = [];
      for (let t = 0; t < plan.trials; t++) {
        flags.progress(`reach desktop: ${kind.pair}, trial ${t + 1} of ${plan.trials}`);
        trials.push(await trial(kind, net, relay, plan.messages, ++round));
      }
      cases.push({
        part: 'desktop',
        pair: kind.pair,
        directPossible: kind.directPossible,
        trials: trials.length,
        direct: trials.filter((t) => t.direct).length,
        firstConnectionMs: trials.map((t) => t.firstConnectionMs),
        firstMessageMs: trials.map((t) => t.firstMessageMs),
        deliveryMs: trials.flatMap((t) => t.deliveryMs),
        notDelivered: trials.reduce((sum, t) => sum + t.notDelivered, 0),
      });
    }
    return cases;
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  }
}
