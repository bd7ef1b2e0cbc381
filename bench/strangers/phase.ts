/**
 * One phase of the strangers benchmark: every probe (./probes.ts) runs in
 * its own loop, all at the same time, each pausing a little between runs,
 * while the victim's store is sampled. The quiet phase runs each probe a
 * fixed number of times; the flood phase goes on until the attack is over
 * (each probe at least once). Both phases run the same loops, so their
 * figures compare like with like.
 */
import type { Party } from '../transport/party.ts';
import { sampleStore, timeChatFirstScreen, timeContactsList, timeHonestSend, type StoreSample } from './probes.ts';
import type { Victim } from './victim.ts';

/** Pause between two runs of `sotto contacts list`, and between two chat loads (a user does not type faster). */
const COMMAND_PAUSE_MS = 250;
/** Pause between two honest messages: spreads them over the flood. */
export const HONEST_PAUSE_MS = 500;
/** How often the store is sampled (folder size, requests through the control socket). */
export const SAMPLE_INTERVAL_MS = 250;

/** What one phase measured. */
export interface PhaseResult {
  readonly contactsListMs: readonly number[];
  readonly chatMs: readonly number[];
  /** Send → 'delivered' of each honest message that was delivered. */
  readonly honestMs: readonly number[];
  /** Every honest text sent, delivered or not. */
  readonly honestTexts: readonly string[];
  readonly samples: readonly StoreSample[];
  /** Length of the phase. */
  readonly ms: number;
}

/** Who takes part in a phase, and how long it lasts. */
export interface PhaseInit {
  /** Names the honest texts of this phase ("honest <label> <n>"). */
  readonly label: string;
  readonly victim: Victim;
  readonly honest: Party;
  /** The name the honest contact gave the victim. */
  readonly victimName: string;
  /** Runs of each probe at least. */
  readonly minRuns: number;
  /** After `minRuns`, a probe runs again while this returns true. */
  readonly goOn: () => boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `op` (with its run number) at least `min` times and then while `goOn()`, pausing `pauseMs` after each. */
async function loop(min: number, goOn: () => boolean, pauseMs: number, op: (n: number) => Promise<void>): Promise<void> {
  for (let n = 0; n < min || goOn(); n++) {
    await op(n);
    await sleep(pauseMs);
  }
}

/** Runs every probe until the phase is over; the store is sampled throughout and once more at the end. */
export async function runPhase(init: PhaseInit): Promise<PhaseResult> {
  const { victim, honest, minRuns, goOn } = init;
  const result = { contactsListMs: [] as number[], chatMs: [] as number[], honestMs: [] as number[], honestTexts: [] as string[], samples: [] as StoreSample[] };
  const start = performance.now();
  let probing = true;
  const sampler = (async () => {
    while (probing) {
      result.samples.push(await sampleStore(victim));
      await sleep(SAMPLE_INTERVAL_MS);
    }
  })();
  try {
    await Promise.all([
      loop(minRuns, goOn, COMMAND_PAUSE_MS, async () => void result.contactsListMs.push(await timeContactsList(victim))),
      loop(minRuns, goOn, COMMAND_PAUSE_MS, async () => void result.chatMs.push(await timeChatFirstScreen(victim.api))),
      loop(minRuns, goOn, HONEST_PAUSE_MS, async (n) => {
        const text = `honest ${init.label} ${n}`;
        result.honestTexts.push(text);
        const ms = await timeHonestSend(honest, init.victimName, text);
        if (ms !== undefined) result.honestMs.push(ms);
      }),
    ]);
  } finally {
    probing = false;
    await sampler;
  }
  result.samples.push(await sampleStore(victim));
  return { ...result, ms: performance.now() - start };
}
