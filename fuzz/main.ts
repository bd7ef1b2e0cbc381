/**
 * `npm run fuzz [-- options]`: every decoder of Sotto against random and
 * mutated inputs (./targets.ts), 120,000 cases by default. Prints cases,
 * time, accepted inputs and rejections per decoder, then every failure with
 * its seed and input; exits 1 when there is one.
 *
 * Options:
 *   --cases N     total cases, shared among decoders by weight (default 120000)
 *   --seed S      the seed (default "1"); a failure prints the command that replays it
 *   --only NAME   run one decoder (repeatable, or comma-separated)
 *   --json        one JSON object per decoder instead of the table
 *   --fault-rounds N  rounds of the kill -9 run after the decoders (./faults.ts;
 *                 default 10, 0 for none; none with --only)
 */
import { formatFailure, runTarget, type TargetReport } from './engine.ts';
import { allocateCases, fuzzTargets } from './targets.ts';
import { DEFAULT_FAULT_ROUNDS, DEFAULT_KILLS_PER_ROUND, FAULT_MESSAGES, runFaults } from './faults.ts';

const USAGE = 'usage: npm run fuzz -- [--cases N] [--seed S] [--only NAME[,NAME…]] [--json] [--fault-rounds N]';
const DEFAULT_CASES = 120_000;

function parseArgs(argv: readonly string[]): { cases: number; seed: string; only: string[]; json: boolean; faultRounds: number } {
  let cases = DEFAULT_CASES;
  let faultRounds = DEFAULT_FAULT_ROUNDS;
  let seed = '1';
  const only: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--cases') {
      cases = Number(value());
      if (!Number.isSafeInteger(cases) || cases < 1) throw new Error(`--cases must be a positive integer\n${USAGE}`);
    } else if (arg === '--seed') seed = value();
    else if (arg === '--only') only.push(...value().split(','));
    else if (arg === '--json') json = true;
    else if (arg === '--fault-rounds') {
      faultRounds = Number(value());
      if (!Number.isSafeInteger(faultRounds) || faultRounds < 0) throw new Error(`--fault-rounds must be 0 or more\n${USAGE}`);
    }
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return { cases, seed, only, json, faultRounds };
}

function row(r: TargetReport): string {
  const rejections = Object.entries(r.rejections)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return `${r.target.padEnd(22)} ${String(r.cases).padStart(7)} ${(r.ms / 1000).toFixed(1).padStart(7)} s ${String(Math.round(r.slowestMs)).padStart(6)} ms ${String(r.accepted).padStart(7)} ${String(r.failures.length).padStart(4)}   ${rejections}`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const all = fuzzTargets();
  const unknown = options.only.filter((name) => !all.some((t) => t.name === name));
  if (unknown.length > 0) throw new Error(`no decoder named ${unknown.join(', ')}; there are: ${all.map((t) => t.name).join(', ')}`);
  const targets = options.only.length > 0 ? all.filter((t) => options.only.includes(t.name)) : all;
  const shares = allocateCases(targets, options.cases);
  if (!options.json) {
    console.log(`sotto fuzz: seed ${options.seed}, ${shares.reduce((a, b) => a + b, 0)} cases over ${targets.length} decoders`);
    console.log(`${'decoder'.padEnd(22)} ${'cases'.padStart(7)} ${'time'.padStart(9)} ${'slowest'.padStart(9)} ${'accepted'.padStart(7)} ${'fail'.padStart(4)}   rejections`);
  }
  const started = performance.now();
  const reports: TargetReport[] = [];
  for (const [i, target] of targets.entries()) {
    const report = await runTarget(target, { cases: shares[i]!, seed: options.seed });
    reports.push(report);
    console.log(options.json ? JSON.stringify(report) : row(report));
  }
  const total = reports.reduce((a, r) => a + r.cases, 0);
  const failures = reports.flatMap((r) => r.failures);
  const seconds = (performance.now() - started) / 1000;
  if (!options.json) console.log(`total: ${total} cases in ${seconds.toFixed(1)} s, ${failures.length} failure${failures.length === 1 ? '' : 's'}`);
  for (const failure of failures) console.error(formatFailure(failure));
  let failedRounds = 0;
  if (options.faultRounds > 0 && options.only.length === 0) {
    console.log(`kill -9 faults: ${options.faultRounds} rounds of ${FAULT_MESSAGES} messages, ${DEFAULT_KILLS_PER_ROUND} kills each`);
    failedRounds = await runFaults({ rounds: options.faultRounds, messages: FAULT_MESSAGES, killsPerRound: DEFAULT_KILLS_PER_ROUND, seed: options.seed, print: (line) => console.log(line) });
  }
  process.exitCode = failures.length > 0 || failedRounds > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(`sotto fuzz: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
});
