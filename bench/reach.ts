/**
 * `npm run bench -- reach [PART...] [--json] [--quick]`: how people reach
 * each other while both are online (issue 14). Each part sets up its own
 * pairs of peers (bench/reach/<part>.ts) and returns one case per pair
 * kind: desktop to desktop on one LAN, across two home NATs, through a
 * symmetric NAT (bench/reach/desktop.ts); page to page, page to a second
 * desktop node, and pages without a default route (bench/reach/pages.ts).
 * For each kind:
 * the share of trials that ended on a direct connection, the time to the
 * first connection and to the first message (a new contact: connection,
 * prekey bundle, session), and the delivery time of the messages after it,
 * p50 and p99, against the targets: p50 ≤ 1 s, no message through a
 * mailbox, direct wherever the NATs allow it.
 *
 * Whether a trial ended direct is read once its connection has settled,
 * the same way in every part: as soon as the pair is seen on a direct
 * connection, else REACH_SETTLE_MS after its last message was delivered.
 * The WebRTC upgrade runs beside the messages (the relayed connection
 * carries them meanwhile), and a short trial on a loaded machine can
 * deliver its last message before an attempt that will succeed has ended.
 *
 * Output: a table (one row per pair kind), or with --json one JSON object
 * per kind. --quick runs one short trial per kind, for the smoke test.
 * Needs root (network namespaces, iptables): the desktop part builds the
 * NAT topology of test/helpers/nat.ts.
 */
import { WEBRTC_UPGRADE_TIMEOUT_MS } from '../src/node/constants.ts';
import { parseBenchFlags, type BenchFlags } from './flags.ts';
import { median, percentile, roundTo, textTable } from './stats.ts';

/** The delivery time every pair kind must stay within, at the median (ms). */
export const REACH_DELIVERY_TARGET_MS = 1000;
/**
 * How long after a trial's last delivery a pair not yet direct may still
 * become so before the trial counts as relayed (ms): the longest a WebRTC
 * upgrade attempt may take. An attempt begins when identify has run over
 * the relayed connection, before the first message is through.
 */
export const REACH_SETTLE_MS = WEBRTC_UPGRADE_TIMEOUT_MS;
/** What the output says about when "direct" was read. */
export const REACH_SETTLE_NOTE = `direct = on a direct connection once settled: as soon as seen, else ${REACH_SETTLE_MS / 1000} s after the last delivery (WEBRTC_UPGRADE_TIMEOUT_MS)`;
/** How often a pair's connection is looked at while it settles (ms). */
export const REACH_SETTLE_POLL_MS = 50;
/** The tail reported beside the median. */
const TAIL_QUANTILE = 0.99;
/** Decimal places of the printed milliseconds. */
const MS_DECIMALS = 1;

/** One pair kind as a part measured it. */
export interface ReachCase {
  readonly part: string;
  /** e.g. "lan", "two-nats", "symmetric-nat". */
  readonly pair: string;
  /** Whether the NATs between the pair allow a direct connection (the target asks for one then). */
  readonly directPossible: boolean;
  /** Trials (a fresh pair of peers each) and how many ended on a direct connection. */
  readonly trials: number;
  readonly direct: number;
  /** Per trial: from the first send to the first open connection between the two, and to the first message delivered (ms). */
  readonly firstConnectionMs: readonly number[];
  readonly firstMessageMs: readonly number[];
  /** Every later message: send to delivered (ms). */
  readonly deliveryMs: readonly number[];
  /** Messages that ended anything but delivered (through a mailbox, or not at all). */
  readonly notDelivered: number;
  /** What the part measured it with, in words (printed under the table). */
  readonly note?: string;
}

/** A kind of peer measured by this benchmark. */
export interface ReachPart {
  readonly name: string;
  /** Runs the part's pair kinds, reporting progress through `flags.progress`. */
  run(flags: BenchFlags): Promise<ReachCase[]>;
}

/** The parts, in the order they run. A new part is one line here. */
const PARTS: readonly ReachPart[] = [
  { name: 'desktop', run: async (flags) => (await import('./reach/desktop.ts')).measureDesktopPairs(flags) },
  { name: 'pages', run: async (flags) => (await import('./reach/pages.ts')).measurePages(flags) },
];

/** One pair kind as printed. */
export interface ReachLine {
  readonly bench: 'reach';
  readonly part: string;
  readonly pair: string;
  readonly unit: 'ms';
  readonly trials: number;
  readonly direct: number;
  /** direct / trials. */
  readonly directShare: number;
  readonly directPossible: boolean;
  readonly firstConnection: number;
  readonly firstMessage: number;
  readonly deliveryP50: number;
  readonly deliveryP99: number;
  readonly messages: number;
  readonly notDelivered: number;
  readonly target: number;
  /** p50 within the target, every message delivered, and direct in every trial where the NATs allow it. */
  readonly met: boolean;
}

/** The printed figures of `c`. */
export function reachLine(c: ReachCase): ReachLine {
  const ms = (values: readonly number[], quantile?: number): number =>
    values.length === 0 ? Number.NaN : roundTo(quantile === undefined ? median(values) : percentile(values, quantile), MS_DECIMALS);
  const deliveryP50 = ms(c.deliveryMs);
  return {
    bench: 'reach',
    part: c.part,
    pair: c.pair,
    unit: 'ms',
    trials: c.trials,
    direct: c.direct,
    directShare: c.trials === 0 ? 0 : roundTo(c.direct / c.trials, 2),
    directPossible: c.directPossible,
    firstConnection: ms(c.firstConnectionMs),
    firstMessage: ms(c.firstMessageMs),
    deliveryP50,
    deliveryP99: ms(c.deliveryMs, TAIL_QUANTILE),
    messages: c.deliveryMs.length + c.firstMessageMs.length + c.notDelivered,
    notDelivered: c.notDelivered,
    target: REACH_DELIVERY_TARGET_MS,
    met: deliveryP50 <= REACH_DELIVERY_TARGET_MS && c.notDelivered === 0 && (!c.directPossible || c.direct === c.trials),
  };
}

function table(lines: readonly ReachLine[]): string {
  const fixed = (n: number): string => (Number.isNaN(n) ? '—' : n.toFixed(MS_DECIMALS));
  return textTable(
    ['part', 'pair', 'direct', 'first connection ms', 'first message ms', 'delivery p50 ms', 'p99 ms', 'messages', 'not delivered', 'target p50 ms', 'met'],
    lines.map((l) => [
      l.part,
      l.pair,
      `${l.direct}/${l.trials}${l.directPossible ? '' : ' (none possible)'}`,
      fixed(l.firstConnection),
      fixed(l.firstMessage),
      fixed(l.deliveryP50),
      fixed(l.deliveryP99),
      String(l.messages),
      String(l.notDelivered),
      `≤ ${l.target}`,
      l.met ? 'yes' : 'NO',
    ]),
  );
}

/** Runs the benchmark with `args`; resolves to the exit code (1 for bad arguments or an unknown part). */
export async function runReachBench(args: readonly string[]): Promise<number> {
  const named = args.filter((a) => !a.startsWith('--'));
  const flags = parseBenchFlags('reach [PART...]', args.filter((a) => a.startsWith('--')));
  const unknown = named.filter((n) => !PARTS.some((p) => p.name === n));
  if (unknown.length > 0) console.error(`unknown part ${unknown.join(' ')}; parts: ${PARTS.map((p) => p.name).join(', ')}`);
  if (!flags || unknown.length > 0) return 1;
  const cases: ReachCase[] = [];
  for (const part of PARTS.filter((p) => named.length === 0 || named.includes(p.name))) {
    flags.progress(`reach: ${part.name}…`);
    cases.push(...(await part.run(flags)));
  }
  const lines = cases.map(reachLine);
  if (flags.json) {
    console.log(lines.map((l) => JSON.stringify(l)).join('\n'));
    return 0;
  }
  console.log(table(lines));
  console.log(REACH_SETTLE_NOTE);
  for (const note of new Set(cases.flatMap((c) => (c.note === undefined ? [] : [`${c.part}: ${c.note}`])))) console.log(note);
  return 0;
}
