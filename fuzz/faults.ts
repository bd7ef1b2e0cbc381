/**
 * The long kill -9 run of `npm run fuzz`: many exchanges of 1,000 messages
 * between `sotto` processes (./kill-exchange.ts), each with several kills
 * of the sender, the receiver or the mailbox at seeded random points.
 * Prints each round and the totals; `failures` counts rounds that lost,
 * doubled or invented a message, or whose sessions stopped decrypting.
 */
import { runKillExchange, type KillExchangeResult } from './kill-exchange.ts';

/** Options of the fault run. */
export interface FaultRunOptions {
  readonly rounds: number;
  readonly messages: number;
  readonly killsPerRound: number;
  readonly seed: string;
  readonly print: (line: string) => void;
}

/** Rounds of the long run by default: with 6 kills each, 60 kills in all. */
export const DEFAULT_FAULT_ROUNDS = 10;
/** Kills per round in the long run. */
export const DEFAULT_KILLS_PER_ROUND = 6;
/** Messages per round (the 1,000-message exchange). */
export const FAULT_MESSAGES = 1_000;
/** How long a round may take to settle after its last kill, ms. */
const SETTLE_MS = 300_000;

function failed(r: KillExchangeResult): boolean {
  return r.lost.length > 0 || r.duplicated.length > 0 || r.unexpected.length > 0 || !r.sessionsWork;
}

/** Runs the rounds; resolves to the number of failed rounds. */
export async function runFaults(options: FaultRunOptions): Promise<number> {
  const started = performance.now();
  let failures = 0;
  let kills = 0;
  let accepted = 0;
  const byVictim: Record<string, number> = {};
  for (let round = 0; round < options.rounds; round++) {
    const began = performance.now();
    try {
      const r = await runKillExchange({ messages: options.messages, kills: options.killsPerRound, seed: `${options.seed}/${round}`, settleMs: SETTLE_MS });
      kills += r.kills.length;
      accepted += r.accepted;
      for (const k of r.kills) byVictim[k.victim] = (byVictim[k.victim] ?? 0) + 1;
      if (failed(r)) failures++;
      const victims = r.kills.map((k) => `${k.victim}@${k.afterMessage}`).join(' ');
      options.print(`round ${round + 1}/${options.rounds}: ${failed(r) ? 'FAIL' : 'ok'} in ${((performance.now() - began) / 1000).toFixed(1)} s; kills ${victims}; accepted ${r.accepted}, received ${r.received}, lost ${r.lost.length}, duplicated ${r.duplicated.length}, unexpected ${r.unexpected.length}, sessions ${r.sessionsWork ? 'decrypt' : 'BROKEN'}`);
      if (r.lost.length > 0) options.print(`  lost: ${r.lost.slice(0, 20).join(' ')}`);
      if (r.duplicated.length > 0) options.print(`  duplicated: ${r.duplicated.slice(0, 20).join(' ')}`);
    } catch (err) {
      failures++;
      options.print(`round ${round + 1}/${options.rounds}: FAIL (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  const split = Object.entries(byVictim).map(([v, n]) => `${v} ${n}`).join(', ');
  options.print(`faults: ${options.rounds} rounds, ${kills} kills (${split}), ${accepted} messages accepted, ${failures} failed rounds, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return failures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? DEFAULT_FAULT_ROUNDS);
  runFaults({ rounds, messages: FAULT_MESSAGES, killsPerRound: DEFAULT_KILLS_PER_ROUND, seed: 'fuzz', print: (line) => console.log(line) }).then(
    (failures) => (process.exitCode = failures > 0 ? 1 : 0),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 2;
    },
  );
}
