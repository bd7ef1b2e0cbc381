/**
 * `npm run bench -- reach [PART...] [--json] [--quick]`: how peers reach
 * each other while both are online (issue 14): for each pair of peer kinds,
 * the share of trials that ended on a direct connection (not through a
 * relay), the time to the first connection, and the delivery time of
 * messages (median and p99), beside the number of messages that went
 * through a mailbox although both were online. Targets: delivery median
 * ≤ DELIVERY_TARGET_MS, no mailbox while both are online.
 *
 * Each kind of pair is a part of its own (bench/reach/<part>.ts) that
 * returns its cases; naming parts runs only those. A new part is one line
 * in PARTS.
 *
 * Output: a table (one row per pair), or with --json one JSON object per
 * pair. --quick runs every part small, for a smoke run.
 */
import { parseBenchFlags, type BenchFlags } from './flags.ts';
import { median, percentile, roundTo, textTable } from './stats.ts';

/** Issue 14's target for the delivery median while both peers are online (ms). */
export const DELIVERY_TARGET_MS = 1_000;
/** The tail reported beside the median. */
const TAIL_QUANTILE = 0.99;
/** Decimal places of the printed milliseconds. */
const MS_DECIMALS = 0;

/** One pair of peer kinds, measured over several trials (each on fresh peers). */
export interface ReachCase {
  readonly part: string;
  /** E.g. "page↔page". */
  readonly pair: string;
  readonly trials: number;
  /** Trials whose peers ended on a direct connection (WebRTC, WebSockets, TCP), not a relayed one. */
  readonly direct: number;
  /** Per trial: from the moment one peer learnt of the other to their first connection (ms). */
  readonly firstConnectionMs: readonly number[];
  /** Per message: from the send to the sender seeing it delivered (ms). */
  readonly deliveryMs: readonly number[];
  /** Messages that went through a mailbox (showed "stored") while both peers were online. */
  readonly viaMailbox: number;
  /** What the part measured it with, in words (printed under the table). */
  readonly note?: string;
}

/** A kind of pair measured by this benchmark. */
export interface ReachPart {
  readonly name: string;
  run(flags: BenchFlags): Promise<ReachCase[]>;
}

/** The parts, in the order they run. A new part is one line here. */
const PARTS: readonly ReachPart[] = [{ name: 'pages', run: async (flags) => (await import('./reach/pages.ts')).measurePages(flags) }];

/** One pair as printed. */
export interface ReachLine {
  readonly bench: 'reach';
  readonly part: string;
  readonly pair: string;
  readonly unit: 'ms';
  readonly trials: number;
  readonly direct: number;
  readonly firstConnection: number;
  readonly messages: number;
  readonly delivery: number;
  readonly deliveryP99: number;
  readonly viaMailbox: number;
  readonly target: number;
  readonly met: boolean;
}

/** The printed figures of `c`. */
export function reachLine(c: ReachCase): ReachLine {
  const delivery = roundTo(median(c.deliveryMs), MS_DECIMALS);
  return {
    bench: 'reach',
    part: c.part,
    pair: c.pair,
    unit: 'ms',
    trials: c.trials,
    direct: c.direct,
    firstConnection: roundTo(median(c.firstConnectionMs), MS_DECIMALS),
    messages: c.deliveryMs.length,
    delivery,
    deliveryP99: roundTo(percentile(c.deliveryMs, TAIL_QUANTILE), MS_DECIMALS),
    viaMailbox: c.viaMailbox,
    target: DELIVERY_TARGET_MS,
    met: delivery <= DELIVERY_TARGET_MS && c.viaMailbox === 0,
  };
}

function table(lines: readonly ReachLine[]): string {
  return textTable(
    ['part', 'pair', 'direct', 'first connection ms', 'messages', 'delivery median ms', 'p99 ms', 'via mailbox', 'target', 'met'],
    lines.map((l) => [l.part, l.pair, `${l.direct}/${l.trials}`, String(l.firstConnection), String(l.messages), String(l.delivery), String(l.deliveryP99), String(l.viaMailbox), `≤ ${l.target}, no mailbox`, l.met ? 'yes' : 'NO']),
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
  for (const note of new Set(cases.flatMap((c) => (c.note === undefined ? [] : [`${c.part}: ${c.note}`])))) console.log(note);
  return 0;
}
