/**
 * `npm run bench -- ui [PART...] [--json] [--quick] [--app DIR]`: how fast the user
 * interfaces are with a long conversation (issue 13): time to open it and
 * to show one new incoming message, each beside the same in a short
 * conversation, against the targets. Each interface is a part of its own
 * (bench/ui/<part>.ts) that returns its cases; naming parts runs only those.
 *
 * The chat's part renders the real ink app (React's production build, as in
 * dist/sotto.mjs) on a 200-contact home with a 10,000-message conversation.
 *
 * Output: a table (one row per case), or with --json one JSON object per
 * case. --quick makes every part small, for the smoke test. --app DIR
 * serves another build of the page (one made from an older commit, say) to
 * the page part, to compare it with this one by the same method.
 */
import { parseBenchFlags, type BenchFlags } from './flags.ts';
import { median, percentile, roundTo, textTable } from './stats.ts';

/** Decimal places of the printed milliseconds. */
const MS_DECIMALS = 1;
/** The tail reported beside the median. */
const TAIL_QUANTILE = 0.9;

/** One measured case of a part: the short conversation and the long one side by side. */
export interface UiCase {
  readonly part: string;
  /** What is timed, e.g. "open" or "new-message". */
  readonly case: string;
  /** Messages in the short and the long conversation. */
  readonly shortMessages: number;
  readonly longMessages: number;
  /** Every sample (ms) in each. */
  readonly short: readonly number[];
  readonly long: readonly number[];
  /** The long conversation's median must stay within this (ms). */
  readonly targetMs: number;
  /** Figures of the part's own beside the timings (e.g. how many messages an open drew). */
  readonly detail?: Readonly<Record<string, number>>;
}

/** The benchmark's options as the parts get them. */
export interface UiFlags extends BenchFlags {
  /** The built page to serve instead of dist/web (`--app DIR`). */
  readonly app?: string;
}

/** A user interface measured by this benchmark. */
export interface UiPart {
  readonly name: string;
  /** Runs the part's cases, reporting progress through `flags.progress`. */
  run(flags: UiFlags): Promise<UiCase[]>;
}

/** The variables that make ink (through is-in-ci) think it runs in CI. */
const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'];

/** The parts, in the order they run. A new part is one line here. */
const PARTS: readonly UiPart[] = [
  { name: 'page', run: async (flags) => (await import('./ui/page.ts')).measurePage(flags) },
  {
    name: 'chat',
    run: async (flags) => {
      // ink decides when it is loaded whether it runs in CI, and then draws nothing until the app ends;
      // the chat is measured on a terminal of the benchmark's own, where a person's terminal has no CI.
      for (const name of CI_VARIABLES) delete process.env[name];
      return (await import('./ui/chat.ts')).measureChat(flags);
    },
  },
];

/** One case as printed: medians, the long conversation's tail, the verdict. */
export interface UiLine {
  readonly bench: 'ui';
  readonly part: string;
  readonly case: string;
  readonly unit: 'ms';
  readonly shortMessages: number;
  readonly longMessages: number;
  readonly short: number;
  readonly long: number;
  readonly longP90: number;
  readonly samples: number;
  readonly target: number;
  readonly met: boolean;
  readonly detail?: Readonly<Record<string, number>>;
}

/** The printed figures of `c`. */
export function uiLine(c: UiCase): UiLine {
  const long = roundTo(median(c.long), MS_DECIMALS);
  return {
    bench: 'ui',
    part: c.part,
    case: c.case,
    unit: 'ms',
    shortMessages: c.shortMessages,
    longMessages: c.longMessages,
    short: roundTo(median(c.short), MS_DECIMALS),
    long,
    longP90: roundTo(percentile(c.long, TAIL_QUANTILE), MS_DECIMALS),
    samples: c.long.length,
    target: c.targetMs,
    met: long <= c.targetMs,
    ...(c.detail ? { detail: c.detail } : {}),
  };
}

function table(lines: readonly UiLine[]): string {
  const count = (n: number): string => n.toLocaleString('en');
  return textTable(
    ['part', 'case', 'short: messages', 'median ms', 'long: messages', 'median ms', 'p90 ms', 'samples', 'target ms', 'met'],
    lines.map((l) => [l.part, l.case, count(l.shortMessages), l.short.toFixed(MS_DECIMALS), count(l.longMessages), l.long.toFixed(MS_DECIMALS), l.longP90.toFixed(MS_DECIMALS), String(l.samples), `≤ ${l.target}`, l.met ? 'yes' : 'NO']),
  );
}

/** Runs the benchmark with `args`; resolves to the exit code (1 for bad arguments or an unknown part). */
export async function runUiBench(args: readonly string[]): Promise<number> {
  const appAt = args.indexOf('--app');
  const app = appAt < 0 ? undefined : args[appAt + 1];
  const rest = appAt < 0 ? args : args.filter((_, i) => i !== appAt && i !== appAt + 1);
  const named = rest.filter((a) => !a.startsWith('--'));
  const shared = parseBenchFlags('ui [PART...] [--app DIR]', rest.filter((a) => a.startsWith('--')));
  const unknown = named.filter((n) => !PARTS.some((p) => p.name === n));
  if (appAt >= 0 && (app === undefined || app.startsWith('--'))) console.error('--app takes the folder of a built page');
  else if (shared && unknown.length === 0) return runParts(named, { ...shared, ...(app === undefined ? {} : { app }) });
  if (unknown.length > 0) console.error(`unknown part ${unknown.join(' ')}; parts: ${PARTS.map((p) => p.name).join(', ')}`);
  return 1;
}

/** Runs the parts `named` (all when none is) and prints their cases. */
async function runParts(named: readonly string[], flags: UiFlags): Promise<number> {
  process.env['NODE_ENV'] ??= 'production';
  const lines: UiLine[] = [];
  for (const part of PARTS.filter((p) => named.length === 0 || named.includes(p.name))) {
    flags.progress(`ui: ${part.name}…`);
    lines.push(...(await part.run(flags)).map(uiLine));
  }
  console.log(flags.json ? lines.map((l) => JSON.stringify(l)).join('\n') : table(lines));
  return 0;
}
