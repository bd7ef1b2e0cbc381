/**
 * The attacker process of the strangers benchmark, spawned by it with an
 * IPC channel (`node --import tsx bench/strangers/attackers.ts`): real
 * libp2p peers that speak Sotto's protocols correctly
 * (test/helpers/stranger.ts). On "attack", one stranger floods the victim
 * with texts on one /sotto/msg stream, pipelined (MSG_WINDOW in flight),
 * while Sybils (a fresh identity each: connect, fetch the bundle, start a
 * session, send one text, stop) run a few at a time. It runs in a process
 * of its own, at a lower priority (ATTACKER_NICE), so that the attackers'
 * work does not share an event loop with the honest contact or the
 * measurements. It exits when the benchmark goes away.
 */
import os from 'node:os';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { runSybils, Stranger, tally } from './stranger.ts';
import { sendToParent, serveRequests } from '../rpc.ts';
import { ATTACKER_NICE, type AttackPlan, type FloodResult, type ReadyMessage, type RequestMessage, type Requests, type SybilsResult } from './ipc.ts';

// Before the thread pool starts: its threads inherit the priority.
os.setPriority(ATTACKER_NICE);

if (!process.send) {
  console.error('usage: node --import tsx bench/strangers/attackers.ts (spawned by the strangers benchmark, with an IPC channel)');
  process.exit(2);
}

const ctx = await nodeCryptoContext(() => Date.now());
/** process.cpuUsage() counts microseconds. */
const MICROSECONDS_PER_MS = 1000;

/** Text number `i` of `bytes` ASCII bytes (distinct texts, so none is a copy of another). */
function floodText(i: number, bytes: number): string {
  return `flood ${i} `.padEnd(bytes, '.');
}

async function flood(plan: AttackPlan, began: number): Promise<FloodResult> {
  const stranger = await Stranger.create(ctx);
  try {
    await stranger.startSession(plan.target);
    const { acks, envelopeBytes } = await stranger.sendTexts(plan.target, plan.floodTexts, (i) => floodText(i, plan.floodTextBytes));
    return { peerId: stranger.peerId, acks: tally(acks), envelopeBytes: Math.max(...envelopeBytes), ms: performance.now() - began };
  } finally {
    await stranger.stop().catch(() => {});
  }
}

async function sybils(plan: AttackPlan, began: number): Promise<SybilsResult> {
  const results = await runSybils(ctx, plan.target, plan.sybils, { concurrency: plan.sybilConcurrency, text: (i) => `sybil ${i} says hello` });
  return { results, ms: performance.now() - began };
}

async function answer(request: RequestMessage): Promise<unknown> {
  switch (request.name) {
    case 'attack': {
      const plan = request.args as Requests['attack']['args'];
      const began = performance.now();
      const cpu = process.cpuUsage();
      const [f, s] = await Promise.all([flood(plan, began), sybils(plan, began)]);
      const used = process.cpuUsage(cpu);
      return { flood: f, sybils: s, cpuMs: (used.user + used.system) / MICROSECONDS_PER_MS } satisfies Requests['attack']['result'];
    }
    case 'stop':
      return null;
  }
}

serveRequests(answer);
// The benchmark went away without "stop": do not linger.
process.on('disconnect', () => process.exit(0));
sendToParent<ReadyMessage>({ ready: true, pid: process.pid });
