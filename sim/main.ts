/**
 * `npm run sim [-- options]`: Sotto under churn, in two scenarios run one
 * after the other. The churn scenario: real libp2p nodes on 127.0.0.1 (50
 * by default), some of them mailboxes, all on the private DHT; users write
 * to their contacts while nodes leave and come back and mailboxes vanish;
 * then a node returns to a backlog of 10,000 messages and drains it (see
 * ./scenario.ts for the phases, ./analysis.ts for what is counted). The
 * group scenario: one group among 19 such nodes under churn, vanishing
 * mailboxes, membership changes and a partition (./group-scenario.ts,
 * ./group-analysis.ts). docs/SCALING.md says what the figures mean.
 *
 * Options:
 *   --churn          the churn scenario only
 *   --groups         the group scenario only
 *   --quick          the smoke tests' sizes (churn: 12 nodes, ~15 s of churn, a 500-message drain; groups: 11 nodes, ~12 s of churn)
 *   --json           one JSON object per metric line instead of the table
 *   --seed N         the schedule's and identities' seed (printed; default 1)
 *   --nodes N        another node count for the churn scenario (mailboxes keep their share)
 *   --drain N        another drain size
 *   --profile        run the drain under the V8 CPU profiler and summarise where the time went
 *   --fifo-mailboxes what-if for the drain: mailboxes hand out mail in deposit order (emulated, ./fifo.ts)
 *   --hosts N        host processes the nodes are spread over (default 2: one per core)
 *   --keep           keep the homes (printed path) instead of deleting them
 *   --trend [SIZES]  only DHT lookups at several network sizes (default 12,25,50,100); see ./trend.ts
 *
 * Environment: SOTTO_SIM_GROUP_LOG=DIR makes every node of the group
 * scenario write DIR/<node>.log, its group frames, acks and states
 * (./group-trace.ts); off by default.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { nodeCryptoContext } from '../src/app/context.ts';
import { analyse } from './analysis.ts';
import { SimClock } from './clock.ts';
import { FULL_PLAN, QUICK_PLAN, withNodes, type SimPlan } from './plan.ts';
import { summariseProfile, type ProfileSummary } from './profile.ts';
import { Recorder } from './recorder.ts';
import { analyseGroups } from './group-analysis.ts';
import { GROUP_FULL_PLAN, GROUP_QUICK_PLAN, type GroupPlan } from './group-plan.ts';
import { buildGroupRows, humanGroupReport } from './group-report.ts';
import { runGroupScenario } from './group-scenario.ts';
import { buildRows, humanReport, jsonLines, type ErrorSummary } from './report.ts';
import { Rng } from './rng.ts';
import { runScenario } from './scenario.ts';

const USAGE = 'usage: npm run sim -- [--churn | --groups] [--quick] [--json] [--seed N] [--nodes N] [--drain N] [--profile] [--fifo-mailboxes] [--hosts N] [--keep] | --trend [12,25,50,100] [--json]';
const DEFAULT_SEED = 1;

interface Options {
  readonly plan: SimPlan;
  readonly groupPlan: GroupPlan;
  /** Which scenarios run. */
  readonly churn: boolean;
  readonly groups: boolean;
  readonly json: boolean;
  readonly seed: number;
  readonly profile: boolean;
  readonly fifo: boolean;
  readonly hosts: number;
  readonly keep: boolean;
  readonly trend: number[] | null;
}

function parseArgs(args: readonly string[]): Options | string {
  let plan: SimPlan = FULL_PLAN;
  let groupPlan: GroupPlan = GROUP_FULL_PLAN;
  let only: 'churn' | 'groups' | null = null;
  let json = false;
  let seed = DEFAULT_SEED;
  let profile = false;
  let fifo = false;
  let hosts = 2;
  let keep = false;
  let trend: number[] | null = null;
  let nodes: number | undefined;
  let drain: number | undefined;
  const int = (value: string | undefined, what: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} needs a non-negative integer`);
    return n;
  };
  try {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--quick') {
        plan = QUICK_PLAN;
        groupPlan = GROUP_QUICK_PLAN;
      } else if (arg === '--churn' || arg === '--groups') {
        if (only !== null && only !== arg.slice(2)) throw new RangeError('--churn and --groups exclude each other (give neither to run both)');
        only = arg === '--churn' ? 'churn' : 'groups';
      }
      else if (arg === '--json') json = true;
      else if (arg === '--profile') profile = true;
      else if (arg === '--fifo-mailboxes') fifo = true;
      else if (arg === '--keep') keep = true;
      else if (arg === '--seed') seed = int(args[++i], '--seed');
      else if (arg === '--nodes') nodes = int(args[++i], '--nodes');
      else if (arg === '--drain') drain = int(args[++i], '--drain');
      else if (arg === '--hosts') hosts = Math.max(1, int(args[++i], '--hosts'));
      else if (arg === '--trend') {
        const next = args[i + 1];
        trend = next && /^\d+(,\d+)*$/.test(next) ? (i++, next.split(',').map(Number)) : [12, 25, 50, 100];
      } else return `unknown option ${arg}`;
    }
    if (nodes !== undefined) plan = withNodes(plan, nodes);
    if (drain !== undefined) plan = { ...plan, drainMessages: drain };
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return { plan, groupPlan, churn: only !== 'groups', groups: only !== 'churn', json, seed, profile, fifo, hosts, keep, trend };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (typeof options === 'string') {
    console.error(`${options}\n${USAGE}`);
    return 1;
  }
  const progress = options.json ? () => {} : (line: string) => console.error(`[sim] ${line}`);
  if (options.trend) {
    const { runTrend } = await import('./trend.ts');
    return runTrend(options.trend, options.seed, options.json, progress);
  }
  const reports: string[] = [];
  // Failures nobody awaited: the process guard of createNode ignores network ones; any other is a finding, not a crash.
  let recorder = new Recorder();
  process.on('unhandledRejection', (err: unknown) => recorder.error('unhandled', err));
  const root = await mkdtemp(join(os.tmpdir(), 'sotto-sim-'));
  if (options.keep) progress(`homes in ${root}`);
  const errorsOf = (r: Recorder): ErrorSummary => ({ count: r.errorCount, kinds: [...r.errorKinds].sort((a, b) => b[1] - a[1]) });
  try {
    if (options.churn) {
      const clock = new SimClock({ speed: options.plan.speed });
      const ctx = await nodeCryptoContext(clock.now);
      const profilePath = options.profile ? join(options.keep ? root : os.tmpdir(), `sotto-sim-drain-${process.pid}.cpuprofile`) : null;
      const scenario = await runScenario({ plan: options.plan, seed: options.seed, root, ctx, clock, recorder, rng: new Rng(options.seed), hosts: options.hosts, profile: profilePath, fifoMailboxes: options.fifo, progress });
      const analysis = analyse(scenario, recorder);
      let profile: ProfileSummary | null = null;
      if (profilePath && scenario.drain.result?.profile) {
        profile = await summariseProfile(profilePath);
        progress(`drain profile written to ${profilePath}`);
      }
      const errors = errorsOf(recorder);
      const rows = buildRows(scenario, analysis, profile, errors);
      reports.push(options.json ? jsonLines(rows) : humanReport(scenario, analysis, rows, profile, errors));
    }
    if (options.groups) {
      recorder = new Recorder();
      const clock = new SimClock({ speed: options.groupPlan.speed });
      const ctx = await nodeCryptoContext(clock.now);
      const scenario = await runGroupScenario({ plan: options.groupPlan, seed: options.seed, root, ctx, clock, recorder, rng: new Rng(options.seed), hosts: options.hosts, progress });
      const analysis = analyseGroups(scenario, recorder);
      const errors = errorsOf(recorder);
      const rows = buildGroupRows(scenario, analysis, errors);
      reports.push(options.json ? jsonLines(rows, 'groups') : humanGroupReport(scenario, analysis, rows, errors));
    }
    console.log(reports.join(options.json ? '\n' : '\n\n'));
    return 0;
  } finally {
    // The listener stays until the process exits: timers of stopped nodes may still fail on closed stores.
    if (!options.keep) await rm(root, { recursive: true, force: true });
  }
}

process.exitCode = await main();
// Timers of stopped libp2p nodes can linger for a while; the report is out.
setTimeout(() => process.exit(), 1000).unref();
