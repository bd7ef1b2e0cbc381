/**
 * `npm run bench -- strangers [--json] [--quick]`: a node under a flood of
 * strangers (issue 12). One stranger sends 2,000 texts of the largest size
 * (MAX_TEXT_BYTES) pipelined on one /sotto/msg stream, and 1,000 Sybil
 * strangers (a fresh identity each) each fetch the victim's bundle, start
 * a session and send one text, a few at a time; meanwhile an honest contact
 * keeps sending, and the user keeps running `sotto contacts list` and opening
 * the chat. Every figure is taken without the flood and during it.
 *
 * Processes: the victim is a real `sotto start` on a home encrypted at rest
 * (./strangers/victim.ts); the attackers run in a process of their own
 * (./strangers/attackers.ts: minimal libp2p peers that speak Sotto's
 * protocols, test/helpers/stranger.ts); this process holds the honest
 * contact (a messenger on its own level store, ./transport/party.ts) and
 * runs the probes (./strangers/probes.ts).
 *
 * Order: set up (the two contacts add each other, so the honest one holds
 * the victim's mailbox pass); the quiet phase; stop the victim, compact its
 * database, start it again; the flood phase (until the attack is over); let
 * evictions settle; read `sotto requests --json` and `sotto contacts list
 * --json`; stop the victim and compact its database once more. The report
 * (./strangers/report.ts) checks correctness and exits non-zero when it
 * does not hold.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { ContactLine, HistoryLine, RequestLine } from '../src/app/api.ts';
import { MAX_TEXT_BYTES } from '../src/node/constants.ts';
import { openParty, type Party } from './transport/party.ts';
import { machineBusyMs, processCpuMs, processMemory } from './proc.ts';
import { runSotto } from './transport/cli-node.ts';
import { parseBenchFlags } from './flags.ts';
import type { Child } from './rpc.ts';
import { spawnAttackers, type ReadyMessage, type Requests } from './strangers/ipc.ts';
import { runPhase } from './strangers/phase.ts';
import { HONEST_WAIT_MS, sampleStore, type StoreSample } from './strangers/probes.ts';
import { buildRows, humanReport, jsonLines, type PhaseCpu, type StrangersResults } from './strangers/report.ts';
import { compactedBytes, diskBytes } from './strangers/store-size.ts';
import { openVictim, VICTIM_NAME, type Victim } from './strangers/victim.ts';

/** How much to do. */
export interface StrangersPlan {
  /** Texts of the flooding stranger (each MAX_TEXT_BYTES). */
  readonly floodTexts: number;
  /** Sybil strangers, and how many run at once. */
  readonly sybils: number;
  readonly sybilConcurrency: number;
  /** Runs of each probe in the quiet phase. */
  readonly quietRuns: number;
}

/**
 * The attack. Four Sybils at a time keep the new connections from
 * one address (all of them are on 127.0.0.1 here) under the victim's
 * INBOUND_CONNECTION_THRESHOLD; an attacker with many addresses could go
 * faster, which only shortens the flood.
 */
export const FULL_PLAN: StrangersPlan = { floodTexts: 2000, sybils: 1000, sybilConcurrency: 4, quietRuns: 10 };

/** Smoke-test plan (`--quick`): the same path, a much smaller flood. */
export const QUICK_PLAN: StrangersPlan = { floodTexts: 50, sybils: 20, sybilConcurrency: 4, quietRuns: 3 };

/** The name the victim gives the honest contact. */
const HONEST_NAME = 'honest';
/** Longest wait for the victim's mailbox pass to reach the honest contact after they added each other. */
const PASS_WAIT_MS = 30_000;
/** How often the setup looks for the pass. */
const PASS_POLL_MS = 100;
/** After the attack, the store is sampled this often until two samples agree (evictions run after each write)… */
const SETTLE_POLL_MS = 250;
/** …or this long has passed. */
const SETTLE_MAX_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The honest contact and the victim add each other; a first message from
 * the honest side starts the session, and the victim's introduction (its
 * profile and a mailbox pass) comes back over the same connection. Resolves
 * once the honest contact holds the pass.
 */
async function introduce(victim: Victim, honest: Party): Promise<void> {
  await honest.node.connect(victim.address());
  await honest.messenger.addContact(VICTIM_NAME, victim.peerId);
  await victim.api.addContact(HONEST_NAME, honest.node.peerId, false);
  const first = await honest.messenger.send(VICTIM_NAME, 'hello from an honest contact', { waitMs: HONEST_WAIT_MS });
  if (first.status !== 'delivered') throw new Error(`setup: the honest contact's first message ended ${first.status}`);
  const deadline = performance.now() + PASS_WAIT_MS;
  while ((await honest.messenger.contact(VICTIM_NAME)).pass === undefined) {
    if (performance.now() > deadline) throw new Error("setup: the victim's mailbox pass did not reach the honest contact");
    await sleep(PASS_POLL_MS);
  }
}

/** Samples the store until two samples in a row agree on the requests (evictions are over), or SETTLE_MAX_MS. */
async function settle(victim: Victim): Promise<StoreSample> {
  const deadline = performance.now() + SETTLE_MAX_MS;
  let last = await sampleStore(victim);
  for (;;) {
    await sleep(SETTLE_POLL_MS);
    const next = await sampleStore(victim);
    if ((next.requests === last.requests && next.requestBytes === last.requestBytes) || performance.now() > deadline) return next;
    last = next;
  }
}

/** process.cpuUsage() counts microseconds. */
const MICROSECONDS_PER_MS = 1000;

/**
 * Runs `work` and resolves to its value with the CPU time (ms) used
 * meanwhile by the victim's process, by this one, and by the commands it
 * spawned (`sotto contacts list`), and by the whole machine.
 */
async function withCpu<T>(victimPid: number, work: () => Promise<T>): Promise<{ value: T; cpu: PhaseCpu }> {
  const read = async () => ({ victim: await processCpuMs(victimPid), commands: await processCpuMs(process.pid, true), machine: await machineBusyMs(), own: process.cpuUsage() });
  const before = await read();
  const value = await work();
  const after = await read();
  const own = process.cpuUsage(before.own);
  const delta = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined ? null : b - a);
  return {
    value,
    cpu: { victimMs: delta(before.victim, after.victim), commandsMs: delta(before.commands, after.commands), benchMs: (own.user + own.system) / MICROSECONDS_PER_MS, machineMs: delta(before.machine, after.machine) },
  };
}

/** How many of the honest contact's texts the victim holds, by text. */
function storedCounts(history: readonly HistoryLine[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of history) if (line.direction === 'in') counts.set(line.text, (counts.get(line.text) ?? 0) + 1);
  return counts;
}

/** Runs the whole benchmark; `progress` gets a line per step. */
export async function measureStrangers(plan: StrangersPlan, progress: (line: string) => void): Promise<StrangersResults> {
  const root = await mkdtemp(join(os.tmpdir(), 'sotto-bench-strangers-'));
  let victim: Victim | undefined;
  let honest: Party | undefined;
  let attackers: Child<Requests, ReadyMessage> | undefined;
  try {
    progress('starting the victim (sotto start, encrypted home), the honest contact and the attacker process...');
    victim = await openVictim(join(root, 'victim'));
    honest = await openParty(join(root, 'honest'), HONEST_NAME, { serveEcho: false });
    attackers = await spawnAttackers();
    await introduce(victim, honest);
    const phase = { victim, honest, victimName: VICTIM_NAME };

    progress(`without the flood: ${plan.quietRuns} runs of each probe...`);
    const quiet = await withCpu(victim.pid(), () => runPhase({ ...phase, label: 'quiet', minRuns: plan.quietRuns, goOn: () => false }));

    progress('stopping the victim to compact its database, then starting it again...');
    await victim.stop();
    const compactedBefore = await compactedBytes(victim.database);
    await victim.start();
    await honest.node.connect(victim.address());
    const floodStart = await sampleStore(victim);
    const memoryBefore = await processMemory(victim.pid());

    progress(`the flood: ${plan.floodTexts} texts of ${MAX_TEXT_BYTES} bytes from one stranger and ${plan.sybils} Sybils (${plan.sybilConcurrency} at a time), probes running until it is over...`);
    let attackOver = false;
    const attack = attackers.request('attack', { target: victim.address(), floodTexts: plan.floodTexts, floodTextBytes: MAX_TEXT_BYTES, sybils: plan.sybils, sybilConcurrency: plan.sybilConcurrency });
    void attack.finally(() => (attackOver = true)).catch(() => {});
    const flood = await withCpu(victim.pid(), () => runPhase({ ...phase, label: 'flood', minRuns: 1, goOn: () => !attackOver }));
    const attackResult = await attack;

    progress('the attack is over: letting evictions settle, reading requests and contacts...');
    const floodEnd = await settle(victim);
    const requests = JSON.parse(await runSotto(victim.home, ['requests', '--json'])) as RequestLine[];
    const contacts = JSON.parse(await runSotto(victim.home, ['contacts', 'list', '--json'])) as ContactLine[];
    const stored = storedCounts(await victim.api.history(HONEST_NAME));
    const memoryAfter = await processMemory(victim.pid());

    progress('stopping the victim and compacting its database...');
    await victim.stop();
    const closedAfter = await diskBytes(victim.database);
    const compactedAfter = await compactedBytes(victim.database);

    const results = {
      plan,
      quiet: quiet.value,
      flood: flood.value,
      cpu: { quiet: quiet.cpu, flood: { ...flood.cpu, attackersMs: attackResult.cpuMs } },
      attack: attackResult,
      store: { floodStart, floodEnd, compactedBefore, closedAfter, compactedAfter },
      requests,
      contacts,
      honestName: HONEST_NAME,
      honestStored: [...quiet.value.honestTexts, ...flood.value.honestTexts].map((text) => stored.get(text) ?? 0),
      victimMemory: memoryBefore && memoryAfter ? { before: memoryBefore, after: memoryAfter } : undefined,
    };
    return { ...results, rows: buildRows(results) };
  } finally {
    await attackers?.stop();
    await honest?.close();
    await victim?.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** Runs the strangers benchmark with its command-line `args`; resolves to the exit code (1 when a correctness check failed). */
export async function runStrangersBench(args: readonly string[]): Promise<number> {
  const flags = parseBenchFlags('strangers', args);
  if (!flags) return 1;
  const results = await measureStrangers(flags.quick ? QUICK_PLAN : FULL_PLAN, flags.progress);
  console.log(flags.json ? jsonLines(results.rows) : humanReport(results));
  return results.rows.every((r) => !r.check || r.met) ? 0 : 1;
}
