/**
 * `npm run bench -- transport [--json] [--quick]`: Sotto's messenger over
 * libp2p against a bare libp2p stream on the same node configuration, side
 * by side, between two processes on 127.0.0.1; plus the idle memory and the
 * start time of a real `sotto start`.
 *
 * Two processes: this one (the sender) and a receiver spawned with an IPC
 * channel (./transport/receiver.ts). Each runs one Sotto node (createNode:
 * TCP, Noise, Yamux) with a Messenger on its own level store on disk
 * (synced writes), the Node crypto context and real timers; the receiver's
 * node also serves two bare protocols of the baseline (./transport/echo.ts).
 * Every stream crosses the process boundary over one TCP connection.
 *
 * - latency: sequential round trips. Baseline: a 100-byte frame echoed on
 *   one libp2p stream. Sotto: send() of a 100-byte text until its
 *   'delivered' status (encrypt, synced write, deliver, decrypt, synced
 *   write on the receiver, ack, settle). Interleaved rounds (the order
 *   alternates); p50 and p99 over every sample.
 * - burst: baseline, 100-byte frames with an ack per frame and MSG_WINDOW
 *   frames in flight; Sotto, every message handed to send() at once
 *   (waitMs 0), timed until the last 'delivered'. The receiver must have
 *   stored each exactly once (counts and a digest of the texts are checked).
 * - rss / start: `sotto start --listen /ip4/127.0.0.1/tcp/0` on a fresh home
 *   (./transport/cli-node.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { MSG_WINDOW } from '../src/node/constants.ts';
import type { FramedStream } from '../src/node/transport/frames.ts';
import { parseBenchFlags } from './flags.ts';
import { measureSottoStart, type LauncherEntry, type StartMeasurement } from './transport/cli-node.ts';
import { textsDigest } from './transport/digest.ts';
import { ACK_PROTOCOL, ackBurst, ECHO_PROTOCOL, echoRoundTrip, openBaseline } from './transport/echo.ts';
import type { ReceivedCount } from './transport/ipc.ts';
import { absoluteNow, openParty, type Party, type StoreMode } from './transport/party.ts';
import { spawnReceiver, type Remote } from './transport/remote.ts';
import type { StoreWriteStats } from './transport/store-stats.ts';
import { median, percentile, roundTo, textTable } from './stats.ts';

/** How much to measure. */
export interface TransportPlan {
  /** Measured sequential round trips per side (after warm-up), split over `latencyRounds` interleaved rounds. */
  readonly latencyRoundTrips: number;
  readonly latencyRounds: number;
  /** Untimed round trips per side before the first round. */
  readonly warmupBaseline: number;
  readonly warmupSotto: number;
  /** Frames (baseline) and messages (Sotto) in one burst. */
  readonly burstMessages: number;
  /** `sotto start` runs for the start time (median); the last one also gives the idle RSS. */
  readonly startRuns: number;
  /** How long the last `sotto start` sits idle before its memory is read. */
  readonly idleMs: number;
}

export const FULL_PLAN: TransportPlan = {
  latencyRoundTrips: 2000,
  latencyRounds: 5,
  warmupBaseline: 300,
  warmupSotto: 100,
  burstMessages: 10_000,
  startRuns: 5,
  idleMs: 5000,
};

/** Smoke-test plan (`--quick`): every path runs, the numbers are rough. */
export const QUICK_PLAN: TransportPlan = {
  latencyRoundTrips: 120,
  latencyRounds: 3,
  warmupBaseline: 30,
  warmupSotto: 10,
  burstMessages: 500,
  startRuns: 2,
  idleMs: 1000,
};

const MESSAGE_BYTES = 100;
const LATENCY_PREFIX = 'lat ';
const BURST_PREFIX = 'burst ';
/** Longest wait for one message's ack in the latency case. */
const ACK_WAIT_MS = 10_000;
/** Time allowed per burst message (generous: only a stuck run should hit it), and at least the minimum. */
const BURST_TIMEOUT_PER_MESSAGE_MS = 20;
const BURST_TIMEOUT_MIN_MS = 60_000;
const SETUP_WAIT_MS = 30_000;

const LATENCY_RATIO_TARGET = 4;
const BURST_TARGET = 5000;
const BURST_STRETCH = 10_000;
const RSS_TARGET_MB = 80;
const START_TARGET_MS = 1000;

const MS_PER_SECOND = 1000;
const BYTES_PER_MB = 1_000_000;
const BYTES_PER_MIB = 1024 * 1024;

/** A text of exactly MESSAGE_BYTES ASCII bytes. */
function text(prefix: string, index: number): string {
  return `${prefix}${index} `.padEnd(MESSAGE_BYTES, '.');
}

/** The two processes, connected, with a Sotto session established and the baseline streams open. */
export interface Setup {
  readonly root: string;
  readonly sender: Party;
  readonly receiver: Remote;
  readonly echo: FramedStream;
  readonly ack: FramedStream;
  close(): Promise<void>;
}

/** Contact names each side gives the other. */
const RECEIVER_NAME = 'receiver';
const SENDER_NAME = 'sender';

/**
 * Spawns the receiver, opens the sender here, connects them, adds the
 * contacts both ways and runs one round trip each way so that the session is
 * established (no prekey messages after it). `receiverNodeArgs` go to the
 * receiver's node (e.g. --cpu-prof); `store` (both sides) is for analysis
 * only: the benchmark runs the default, 'level'.
 */
export async function setUp(options: { receiverNodeArgs?: readonly string[]; store?: StoreMode } = {}): Promise<Setup> {
  const root = await mkdtemp(join(os.tmpdir(), 'sotto-bench-transport-'));
  let receiver: Remote | undefined;
  let sender: Party | undefined;
  try {
    const store = options.store ?? 'level';
    receiver = await spawnReceiver(join(root, 'receiver'), { ...(options.receiverNodeArgs ? { nodeArgs: options.receiverNodeArgs } : {}), store });
    sender = await openParty(join(root, 'sender'), 'sender', { serveEcho: false, store });
    await sender.node.connect(receiver.addresses[0]!);
    await sender.messenger.addContact(RECEIVER_NAME, receiver.peerId);
    await receiver.request('add-contact', { name: SENDER_NAME, peerId: sender.node.peerId });
    const there = await sender.messenger.send(RECEIVER_NAME, 'hello', { waitMs: SETUP_WAIT_MS });
    const back = await receiver.request('send', { name: SENDER_NAME, text: 'hello back', waitMs: SETUP_WAIT_MS });
    if (there.status !== 'delivered' || back.status !== 'delivered') throw new Error(`session setup failed: ${there.status} / ${back.status}`);
    const echo = await openBaseline(sender.node, receiver.peerId, ECHO_PROTOCOL);
    const ack = await openBaseline(sender.node, receiver.peerId, ACK_PROTOCOL);
    const [s, r] = [sender, receiver];
    return {
      root,
      sender: s,
      receiver: r,
      echo,
      ack,
      close: async () => {
        await echo.close();
        await ack.close();
        await r.stop();
        await s.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    receiver?.kill();
    await sender?.close().catch(() => {});
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

/** One Sotto message from send() to its 'delivered' status; resolves to milliseconds. */
export async function sottoRoundTrip(setup: Setup, body: string): Promise<number> {
  const start = performance.now();
  const result = await setup.sender.messenger.send(RECEIVER_NAME, body, { waitMs: ACK_WAIT_MS });
  const ms = performance.now() - start;
  if (result.status !== 'delivered') throw new Error(`sotto latency: message ended ${result.status} (${result.reason ?? ''})`);
  return ms;
}

/** Latency samples of both sides, in ms, and the store writes of the Sotto side. */
interface LatencySamples {
  readonly baseline: number[];
  readonly sotto: number[];
  readonly senderWrites: StoreWriteStats | null;
  readonly receiverWrites: StoreWriteStats | null;
}

async function measureLatency(setup: Setup, plan: TransportPlan): Promise<LatencySamples> {
  const frame = new Uint8Array(MESSAGE_BYTES).map((_, i) => i);
  let sent = 0;
  for (let i = 0; i < plan.warmupBaseline; i++) await echoRoundTrip(setup.echo, frame);
  for (let i = 0; i < plan.warmupSotto; i++) await sottoRoundTrip(setup, text(LATENCY_PREFIX, sent++));
  const samples = { baseline: [] as number[], sotto: [] as number[] };
  setup.sender.writes?.reset();
  await setup.receiver.request('store-writes', { reset: true });
  const perRound = Math.ceil(plan.latencyRoundTrips / plan.latencyRounds);
  const runs = {
    baseline: async () => {
      for (let i = 0; i < perRound; i++) samples.baseline.push(await echoRoundTrip(setup.echo, frame));
    },
    sotto: async () => {
      for (let i = 0; i < perRound; i++) samples.sotto.push(await sottoRoundTrip(setup, text(LATENCY_PREFIX, sent++)));
    },
  };
  for (let round = 0; round < plan.latencyRounds; round++) {
    const order = round % 2 === 0 ? [runs.baseline, runs.sotto] : [runs.sotto, runs.baseline];
    for (const run of order) await run();
  }
  const senderWrites = setup.sender.writes?.stats() ?? null;
  const receiverWrites = await setup.receiver.request('store-writes', { reset: false });
  await verify(setup, LATENCY_PREFIX, Array.from({ length: sent }, (_, i) => text(LATENCY_PREFIX, i)));
  return { ...samples, senderWrites, receiverWrites };
}

/** What a Sotto burst took, and where. */
export interface SottoBurst {
  readonly count: number;
  /** First send() to the last 'delivered' status. */
  readonly ms: number;
  /** First send() until every send() resolved (each message encrypted and durably queued on the sender). */
  readonly enqueuedMs: number;
  /** From the first send() to the receiver's first and last 'message' event. */
  readonly receiverFirstMs: number;
  readonly receiverLastMs: number;
  readonly senderWrites: StoreWriteStats | null;
  readonly receiverWrites: StoreWriteStats | null;
  readonly received: ReceivedCount;
}

/**
 * Hands `count` messages to send() at once (waitMs 0), waits until each one
 * is 'delivered', and checks that the receiver stored each exactly once.
 */
export async function sottoBurst(setup: Setup, count: number, prefix: string = BURST_PREFIX): Promise<SottoBurst> {
  const { sender, receiver } = setup;
  const texts = Array.from({ length: count }, (_, i) => text(prefix, i));
  const delivered = new Set<string>();
  const failures: string[] = [];
  let wanted: Set<string> | undefined;
  const allDelivered = Promise.withResolvers<void>();
  const check = (): void => {
    if (failures.length > 0) allDelivered.reject(new Error(`sotto burst: ${failures.length} messages failed (${failures[0]})`));
    else if (wanted && delivered.size >= wanted.size && [...wanted].every((id) => delivered.has(id))) allDelivered.resolve();
  };
  const off = sender.messenger.on('status', (event) => {
    if (event.status === 'delivered') delivered.add(event.id);
    else if (event.status === 'failed') failures.push(event.reason ?? event.id);
    check();
  });
  const timeoutMs = Math.max(BURST_TIMEOUT_MIN_MS, count * BURST_TIMEOUT_PER_MESSAGE_MS);
  const timer = setTimeout(() => allDelivered.reject(new Error(`sotto burst: ${delivered.size} of ${count} delivered after ${timeoutMs} ms`)), timeoutMs);
  sender.writes?.reset();
  await receiver.request('store-writes', { reset: true });
  try {
    const startAbs = absoluteNow();
    const start = performance.now();
    const results = await Promise.all(texts.map((t) => sender.messenger.send(RECEIVER_NAME, t)));
    const enqueuedMs = performance.now() - start;
    wanted = new Set(results.map((r) => r.id));
    check();
    await allDelivered.promise;
    const ms = performance.now() - start;
    const senderWrites = sender.writes?.stats() ?? null;
    const receiverWrites = await receiver.request('store-writes', { reset: false });
    const received = await verify(setup, prefix, texts);
    if (sender.messenger.outboxSize() !== 0) throw new Error(`sotto burst: ${sender.messenger.outboxSize()} entries left in the sender's outbox`);
    return { count, ms, enqueuedMs, receiverFirstMs: received.firstAt - startAbs, receiverLastMs: received.lastAt - startAbs, senderWrites, receiverWrites, received };
  } finally {
    clearTimeout(timer);
    off();
  }
}

/** Checks that the receiver stored every one of `texts` exactly once and announced each once. */
async function verify(setup: Setup, prefix: string, texts: readonly string[]): Promise<ReceivedCount> {
  const received = await setup.receiver.request('received', { name: SENDER_NAME, prefix });
  const n = texts.length;
  if (received.stored !== n || received.distinct !== n || received.events !== n) {
    throw new Error(`receiver has "${prefix}" messages: ${received.stored} stored, ${received.distinct} distinct, ${received.events} events; expected ${n} of each`);
  }
  if (received.digest !== textsDigest(texts)) throw new Error(`receiver's "${prefix}" texts differ from those sent`);
  return received;
}

type CaseName = 'latency-p50' | 'latency-p99' | 'burst' | 'rss' | 'start';
type Unit = 'ms' | 'msg/s' | 'MB';

/** One line of the report. */
interface Row {
  readonly case: CaseName;
  readonly unit: Unit;
  readonly sotto: number;
  readonly baseline?: number;
  /** sotto / baseline. */
  readonly ratio?: number;
  readonly target?: number;
  /** What `target` bounds, e.g. "ratio <= target". */
  readonly rule?: string;
  readonly met?: boolean;
  readonly stretch?: number;
  readonly stretchMet?: boolean;
  /** rss and start: what bin/sotto.js ran, the bundle (dist/sotto.mjs) or the sources through tsx. */
  readonly entry?: LauncherEntry;
  readonly detail?: Record<string, number | null>;
}

interface Results {
  readonly plan: TransportPlan;
  readonly latency: LatencySamples;
  readonly baselineBurstMs: number;
  readonly burst: SottoBurst;
  readonly start: StartMeasurement;
  readonly rows: Row[];
}

const MS_DECIMALS = 3;
const RATE_DECIMALS = 0;
const MB_DECIMALS = 1;
const START_DECIMALS = 0;
const RATIO_DECIMALS = 2;

function buildRows(plan: TransportPlan, latency: LatencySamples, baselineBurstMs: number, burst: SottoBurst, start: StartMeasurement): Row[] {
  const lat = (p: number): { sotto: number; baseline: number; ratio: number } => {
    const sotto = percentile(latency.sotto, p);
    const baseline = percentile(latency.baseline, p);
    return { sotto: roundTo(sotto, MS_DECIMALS), baseline: roundTo(baseline, MS_DECIMALS), ratio: roundTo(sotto / baseline, RATIO_DECIMALS) };
  };
  const p50 = lat(0.5);
  // Verdicts are taken on the values as reported (rounded), so that a reader of the JSON gets the same answer.
  const sottoRate = roundTo((burst.count * MS_PER_SECOND) / burst.ms, RATE_DECIMALS);
  const baselineRate = (plan.burstMessages * MS_PER_SECOND) / baselineBurstMs;
  const rows: Row[] = [
    {
      case: 'latency-p50',
      unit: 'ms',
      ...p50,
      target: LATENCY_RATIO_TARGET,
      rule: 'ratio <= target',
      met: p50.ratio <= LATENCY_RATIO_TARGET,
      // The synced writes on each message's path (sender before sending, receiver before acking), median of one.
      detail: {
        senderSyncWriteMs: latency.senderWrites ? roundTo(latency.senderWrites.syncBatchP50Ms, MS_DECIMALS) : null,
        receiverSyncWriteMs: latency.receiverWrites ? roundTo(latency.receiverWrites.syncBatchP50Ms, MS_DECIMALS) : null,
      },
    },
    { case: 'latency-p99', unit: 'ms', ...lat(0.99) },
    {
      case: 'burst',
      unit: 'msg/s',
      sotto: sottoRate,
      baseline: roundTo(baselineRate, RATE_DECIMALS),
      ratio: roundTo(sottoRate / baselineRate, RATIO_DECIMALS),
      target: BURST_TARGET,
      rule: 'sotto >= target',
      met: sottoRate >= BURST_TARGET,
      stretch: BURST_STRETCH,
      stretchMet: sottoRate >= BURST_STRETCH,
      detail: {
        messages: burst.count,
        ms: roundTo(burst.ms, 1),
        enqueuedMs: roundTo(burst.enqueuedMs, 1),
        receiverLastMs: roundTo(burst.receiverLastMs, 1),
        senderSyncedWrites: burst.senderWrites?.syncBatches ?? null,
        receiverSyncedWrites: burst.receiverWrites?.syncBatches ?? null,
      },
    },
  ];
  if (start.memory) {
    const rss = roundTo(start.memory.rss / BYTES_PER_MB, MB_DECIMALS);
    rows.push({ case: 'rss', unit: 'MB', sotto: rss, target: RSS_TARGET_MB, rule: 'sotto <= target', met: rss <= RSS_TARGET_MB, entry: start.entry });
  }
  const startMs = roundTo(median(start.readyMs), START_DECIMALS);
  rows.push({ case: 'start', unit: 'ms', sotto: startMs, target: START_TARGET_MS, rule: 'sotto <= target', met: startMs <= START_TARGET_MS, entry: start.entry });
  return rows;
}

/** Measures everything; `progress` gets a line per step. */
export async function measureTransport(plan: TransportPlan, progress: (line: string) => void): Promise<Results> {
  progress('starting the receiver process and the sender, establishing the session...');
  const setup = await setUp();
  let latency: LatencySamples;
  let baselineBurstMs: number;
  let burst: SottoBurst;
  try {
    progress(`latency: ${plan.latencyRoundTrips} sequential round trips per side in ${plan.latencyRounds} interleaved rounds...`);
    latency = await measureLatency(setup, plan);
    progress(`burst: ${plan.burstMessages} frames on the bare stream...`);
    baselineBurstMs = await ackBurst(setup.ack, plan.burstMessages, MESSAGE_BYTES, MSG_WINDOW);
    progress(`burst: ${plan.burstMessages} Sotto messages...`);
    burst = await sottoBurst(setup, plan.burstMessages);
  } finally {
    await setup.close();
  }
  progress(`sotto start: ${plan.startRuns} runs, then ${plan.idleMs} ms idle...`);
  const dir = await mkdtemp(join(os.tmpdir(), 'sotto-bench-start-'));
  let start: StartMeasurement;
  try {
    start = await measureSottoStart(dir, plan.startRuns, plan.idleMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { plan, latency, baselineBurstMs, burst, start, rows: buildRows(plan, latency, baselineBurstMs, burst, start) };
}

function formatNumber(value: number, decimals: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Decimals shown (and kept in JSON) per case. */
const DECIMALS: Record<CaseName, number> = { 'latency-p50': MS_DECIMALS, 'latency-p99': MS_DECIMALS, burst: RATE_DECIMALS, rss: MB_DECIMALS, start: START_DECIMALS };

function formatValue(value: number | undefined, r: Row): string {
  return value === undefined ? '-' : formatNumber(value, DECIMALS[r.case]);
}

function targetText(r: Row): string {
  if (r.target === undefined) return '-';
  if (r.case === 'latency-p50') return `<= ${r.target}x libp2p`;
  if (r.case === 'burst') return `>= ${formatNumber(r.target, 0)} (stretch ${formatNumber(r.stretch!, 0)})`;
  return `<= ${formatNumber(r.target, 0)} ${r.unit}`;
}

function verdict(r: Row): string {
  if (r.met === undefined) return 'info only';
  if (!r.met) return 'NOT MET';
  return r.stretchMet === true ? 'met, stretch too' : r.stretchMet === false ? 'met, not stretch' : 'met';
}

const TABLE_HEADER = ['case', 'unit', 'Sotto', 'bare libp2p', 'ratio', 'target', 'verdict'];

function tableCells(r: Row): string[] {
  return [r.case, r.unit, formatValue(r.sotto, r), formatValue(r.baseline, r), r.ratio === undefined ? '-' : `${r.ratio.toFixed(RATIO_DECIMALS)}x`, targetText(r), verdict(r)];
}

function writesLine(label: string, w: StoreWriteStats | null): string {
  if (!w) return `  ${label}: store writes not observable`;
  return (
    `  ${label}: ${w.commits} commits (${w.syncCommits} synced) in ${w.batches} batches (${w.syncBatches} synced), ` +
    `${formatNumber(w.meanGroup, 2)} commits/batch (max ${w.maxGroup}); ${formatNumber(w.batchMs, 0)} ms inside batch() (${formatNumber(w.syncBatchMs, 0)} ms synced)`
  );
}

/** The synced writes on a message's path in the latency case, and what they leave for everything else. */
function syncWritesLine({ baseline, sotto, senderWrites, receiverWrites }: LatencySamples): string {
  if (!senderWrites || !receiverWrites) return '  synced writes: not observable';
  const writes = senderWrites.syncBatchP50Ms + receiverWrites.syncBatchP50Ms;
  const rest = percentile(sotto, 0.5) - percentile(baseline, 0.5) - writes;
  return (
    `  one synced write (median): sender ${formatNumber(senderWrites.syncBatchP50Ms, MS_DECIMALS)} ms, receiver ${formatNumber(receiverWrites.syncBatchP50Ms, MS_DECIMALS)} ms; ` +
    `Sotto p50 = bare p50 + ${formatNumber(writes, MS_DECIMALS)} ms synced writes + ${formatNumber(rest, MS_DECIMALS)} ms everything else`
  );
}

function summary(samples: readonly number[]): string {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return `min ${formatNumber(Math.min(...samples), MS_DECIMALS)}, mean ${formatNumber(mean, MS_DECIMALS)}, p90 ${formatNumber(percentile(samples, 0.9), MS_DECIMALS)}, max ${formatNumber(Math.max(...samples), MS_DECIMALS)} ms`;
}

function humanReport({ plan, latency, baselineBurstMs, burst, start, rows }: Results): string {
  const cpus = os.cpus();
  const ms = (v: number): string => formatNumber(v, 0);
  const memory = start.memory
    ? `idle RSS ${formatNumber(start.memory.rss / BYTES_PER_MB, 1)} MB (${formatNumber(start.memory.rss / BYTES_PER_MIB, 1)} MiB), peak ${formatNumber(start.memory.peak / BYTES_PER_MB, 1)} MB, after ${ms(start.idleMs)} ms idle`
    : 'idle RSS not measured (no /proc)';
  return [
    'Sotto messenger vs a bare libp2p stream, two processes on 127.0.0.1 (TCP + Noise + Yamux, createNode on both sides)',
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores; node ${process.version} (${process.platform}-${process.arch}); store: level in ${os.tmpdir()}`,
    `method: ${MESSAGE_BYTES}-byte frames / texts; latency = sequential round trips (bare: echo of a frame on one stream;`,
    '        Sotto: send() -> \'delivered\': encrypt + synced write, deliver, decrypt + synced write, ack, settle);',
    `        ${plan.latencyRoundTrips} per side after ${plan.warmupBaseline} / ${plan.warmupSotto} warm-up, ${plan.latencyRounds} interleaved rounds;`,
    `        burst = ${plan.burstMessages} at once (bare: an ack per frame, ${MSG_WINDOW} in flight; Sotto: send() with waitMs 0, until the last 'delivered');`,
    `        sotto start = spawn to "ready" (median of ${plan.startRuns}), idle RSS of the last run (MB = 10^6 bytes)`,
    '',
    textTable(TABLE_HEADER, rows.map(tableCells)),
    '',
    `latency samples: bare ${summary(latency.baseline)}`,
    `                 Sotto ${summary(latency.sotto)}`,
    syncWritesLine(latency),
    `bare burst: ${plan.burstMessages} frames in ${ms(baselineBurstMs)} ms`,
    `Sotto burst: ${burst.count} messages; all send() resolved (encrypted, durably queued) after ${ms(burst.enqueuedMs)} ms;`,
    `  receiver stored the first after ${ms(burst.receiverFirstMs)} ms, the last after ${ms(burst.receiverLastMs)} ms; last 'delivered' after ${ms(burst.ms)} ms`,
    writesLine('sender', burst.senderWrites),
    writesLine('receiver', burst.receiverWrites),
    `  checked: the receiver stored ${burst.received.stored} of ${burst.count} texts, ${burst.received.distinct} distinct, one 'message' event each, texts identical to those sent; sender's outbox empty`,
    `sotto start (${start.entry === 'bundle' ? 'bin/sotto.js ran the bundle dist/sotto.mjs' : 'bin/sotto.js ran the sources through tsx: no fresh bundle, see npm run build'}):`,
    `  ready after ${start.readyMs.map(ms).join(', ')} ms; ${memory}`,
  ].join('\n');
}

function jsonLines(rows: readonly Row[]): string {
  return rows.map((r) => JSON.stringify({ bench: 'transport', ...r })).join('\n');
}

/** Runs the transport benchmark with its command-line `args`; resolves to the process exit code. */
export async function runTransportBench(args: readonly string[]): Promise<number> {
  const flags = parseBenchFlags('transport', args);
  if (!flags) return 1;
  const results = await measureTransport(flags.quick ? QUICK_PLAN : FULL_PLAN, flags.progress);
  console.log(flags.json ? jsonLines(results.rows) : humanReport(results));
  return 0;
}
