/**
 * The strangers benchmark's figures: one row per case, each a value without
 * the flood and during it against the bound it must stay within. Rows that
 * are correctness checks (honest mail delivered once, requests within their
 * quotas, the flooder held to its per-sender quota, no stranger a contact)
 * make the benchmark fail; the others (latency, bytes on disk) are figures
 * with a verdict. Printed as a table, or as one JSON line per case.
 */
import os from 'node:os';
import type { ContactLine, RequestLine } from '../../src/app/api.ts';
import {
  INBOUND_CONNECTION_THRESHOLD,
  REQUEST_MAX_BYTES_PER_SENDER,
  REQUEST_MAX_MESSAGES_PER_SENDER,
  REQUEST_SENDER_OVERHEAD_BYTES,
  REQUESTS_MAX_SENDERS,
  REQUESTS_MAX_TOTAL_BYTES,
} from '../../src/node/constants.ts';
import { tally } from './stranger.ts';
import type { ProcessMemory } from '../proc.ts';
import { percentile, roundTo, textTable } from '../stats.ts';
import { ATTACKER_NICE, type FloodResult, type SybilsResult } from './ipc.ts';
import { HONEST_PAUSE_MS, SAMPLE_INTERVAL_MS, type PhaseResult } from './phase.ts';
import type { StoreSample } from './probes.ts';

/**
 * "As fast as without the flood", as a number: a command's median during
 * the flood within this factor of its median without. Run-to-run noise of
 * these medians on the shared 2-core test machine is up to about a third.
 */
export const LATENCY_TOLERANCE = 1.5;

/**
 * What LevelDB may hold on disk besides live records while a node runs:
 * one write buffer of recent writes in its log (classic-level's default
 * writeBufferSize, 4 MiB) before they are compacted into a table.
 */
export const LEVELDB_LOG_BYTES = 4 * 1024 * 1024;

/** CPU time (ms) used during a phase: by the victim's process, the commands the probes spawned, the benchmark's own process (honest contact, chat loads), and the attackers. */
export interface PhaseCpu {
  readonly victimMs: number | null;
  readonly commandsMs: number | null;
  readonly benchMs: number;
  readonly attackersMs?: number;
  /** Every process on the machine, other users' included. */
  readonly machineMs: number | null;
}

/** Everything the benchmark measured (see ../strangers.ts). */
export interface Measured {
  readonly plan: { readonly floodTexts: number; readonly sybils: number; readonly sybilConcurrency: number; readonly quietRuns: number };
  readonly quiet: PhaseResult;
  readonly flood: PhaseResult;
  readonly cpu: { readonly quiet: PhaseCpu; readonly flood: PhaseCpu };
  readonly attack: { readonly flood: FloodResult; readonly sybils: SybilsResult; readonly cpuMs: number };
  readonly store: {
    /** Running, right before the attack (after a compaction and a restart). */
    readonly floodStart: StoreSample;
    /** Running, once evictions settled after the attack. */
    readonly floodEnd: StoreSample;
    /** Bytes on disk after a full compaction: before the attack, and after it (node stopped). */
    readonly compactedBefore: number;
    readonly compactedAfter: number;
    /** Bytes on disk once the node stopped after the attack, before compacting. */
    readonly closedAfter: number;
  };
  /** `sotto requests --json` and `sotto contacts list --json` after the attack. */
  readonly requests: readonly RequestLine[];
  readonly contacts: readonly ContactLine[];
  readonly honestName: string;
  /** For each honest text sent (quiet phase first), how many times the victim holds it. */
  readonly honestStored: readonly number[];
  /** The victim's memory right before the attack and once it was over (where /proc exists). */
  readonly victimMemory: { readonly before: ProcessMemory; readonly after: ProcessMemory } | undefined;
}

type CaseName =
  | 'honest-delivered'
  | 'honest-delivery'
  | 'contacts-list'
  | 'chat-first-screen'
  | 'request-senders'
  | 'request-bytes'
  | 'flooder-stored'
  | 'contacts'
  | 'store-growth-disk'
  | 'store-growth-compacted';

/** One line of the report. */
export interface Row {
  readonly case: CaseName;
  readonly unit: 'messages' | 'ms' | 'requests' | 'bytes' | 'texts' | 'contacts';
  /** The quiet phase's figure (absent where there is none to compare). */
  readonly withoutFlood?: number;
  readonly duringFlood: number;
  readonly bound: number;
  /** How `duringFlood` must relate to `bound`. */
  readonly rule: 'duringFlood <= bound' | 'duringFlood == bound';
  readonly met: boolean;
  /** A correctness check: the benchmark exits non-zero when it is not met. Otherwise a figure with a verdict. */
  readonly check: boolean;
  readonly detail?: Readonly<Record<string, number | null>>;
}

/** Everything measured, and its rows. */
export interface StrangersResults extends Measured {
  readonly rows: readonly Row[];
}

const MS_DECIMALS = 1;
const MIB = 1024 * 1024;
const KIB = 1024;

const p50 = (values: readonly number[]): number => roundTo(percentile(values, 0.5), MS_DECIMALS);
const p90 = (values: readonly number[]): number => roundTo(percentile(values, 0.9), MS_DECIMALS);
const max = (values: readonly number[]): number => Math.max(...values);

/** A latency row: medians without and during the flood, the bound LATENCY_TOLERANCE × the quiet median. */
function latencyRow(name: 'honest-delivery' | 'contacts-list' | 'chat-first-screen', quiet: readonly number[], flood: readonly number[]): Row {
  const bound = roundTo(p50(quiet) * LATENCY_TOLERANCE, MS_DECIMALS);
  const during = p50(flood);
  return {
    case: name,
    unit: 'ms',
    withoutFlood: p50(quiet),
    duringFlood: during,
    bound,
    rule: 'duringFlood <= bound',
    met: during <= bound,
    check: false,
    detail: { withoutFloodP90: p90(quiet), duringFloodP90: p90(flood), duringFloodMax: roundTo(max(flood), MS_DECIMALS), runsWithout: quiet.length, runsDuring: flood.length },
  };
}

/** Texts of `envelopeBytes` one stranger's request can hold within REQUEST_MAX_BYTES_PER_SENDER and REQUEST_MAX_MESSAGES_PER_SENDER. */
export function requestRoomFor(envelopeBytes: number): number {
  return Math.min(REQUEST_MAX_MESSAGES_PER_SENDER, Math.floor((REQUEST_MAX_BYTES_PER_SENDER - REQUEST_SENDER_OVERHEAD_BYTES) / envelopeBytes));
}

/** The rows of a measurement; verdicts are taken on the values as reported. */
export function buildRows(m: Measured): Row[] {
  const { quiet, flood, store, attack } = m;
  const quietSent = quiet.honestTexts.length;
  const floodSent = flood.honestTexts.length;
  const onceQuiet = m.honestStored.slice(0, quietSent).filter((n) => n === 1).length;
  const onceFlood = m.honestStored.slice(quietSent).filter((n) => n === 1).length;
  const floodSamples = [...flood.samples, store.floodEnd];
  const senders = max([...floodSamples.map((s) => s.requests), m.requests.length]);
  const requestBytes = max([...floodSamples.map((s) => s.requestBytes), m.requests.reduce((n, r) => n + r.bytes, 0)]);
  const flooderStored = attack.flood.acks.stored ?? 0;
  const diskGrowth = max(flood.samples.map((s) => s.diskBytes)) - store.floodStart.diskBytes;
  const quietGrowth = max(quiet.samples.map((s) => s.diskBytes)) - quiet.samples[0]!.diskBytes;
  const compactedGrowth = store.compactedAfter - store.compactedBefore;
  const onlyHonest = m.contacts.length === 1 && m.contacts[0]!.name === m.honestName;
  const sybils = sybilOutcome(m);
  return [
    {
      case: 'honest-delivered',
      unit: 'messages',
      withoutFlood: onceQuiet,
      duringFlood: onceFlood,
      bound: floodSent,
      rule: 'duringFlood == bound',
      // Every honest message, in both phases, was 'delivered' and is held exactly once.
      met: onceQuiet === quietSent && onceFlood === floodSent && quiet.honestMs.length === quietSent && flood.honestMs.length === floodSent,
      check: true,
      detail: { sentWithout: quietSent, sentDuring: floodSent, notDelivered: quietSent + floodSent - quiet.honestMs.length - flood.honestMs.length, heldTwiceOrMore: m.honestStored.filter((n) => n > 1).length },
    },
    latencyRow('honest-delivery', quiet.honestMs, flood.honestMs),
    latencyRow('contacts-list', quiet.contactsListMs, flood.contactsListMs),
    latencyRow('chat-first-screen', quiet.chatMs, flood.chatMs),
    {
      case: 'request-senders',
      unit: 'requests',
      withoutFlood: max(quiet.samples.map((s) => s.requests)),
      duringFlood: senders,
      bound: REQUESTS_MAX_SENDERS,
      rule: 'duringFlood <= bound',
      met: senders <= REQUESTS_MAX_SENDERS,
      check: true,
      detail: { samples: floodSamples.length, afterFlood: m.requests.length, sybilsStored: sybils.stored, sybilsKept: sybils.kept, sybilsEvicted: sybils.evicted, sybilsRefused: sybils.counts.refused ?? 0, sybilsRejected: sybils.counts.rejected ?? 0, sybilsFailed: sybils.counts.failed ?? 0 },
    },
    {
      case: 'request-bytes',
      unit: 'bytes',
      withoutFlood: max(quiet.samples.map((s) => s.requestBytes)),
      duringFlood: requestBytes,
      bound: REQUESTS_MAX_TOTAL_BYTES,
      rule: 'duringFlood <= bound',
      met: requestBytes <= REQUESTS_MAX_TOTAL_BYTES,
      check: true,
      detail: { afterFlood: m.requests.reduce((n, r) => n + r.bytes, 0) },
    },
    {
      case: 'flooder-stored',
      unit: 'texts',
      duringFlood: flooderStored,
      bound: REQUEST_MAX_MESSAGES_PER_SENDER,
      rule: 'duringFlood <= bound',
      met: flooderStored <= REQUEST_MAX_MESSAGES_PER_SENDER && max(floodSamples.map((s) => s.maxRequestMessages)) <= REQUEST_MAX_MESSAGES_PER_SENDER,
      check: true,
      detail: {
        sent: m.plan.floodTexts,
        refused: attack.flood.acks.refused ?? 0,
        rejected: attack.flood.acks.rejected ?? 0,
        envelopeBytes: attack.flood.envelopeBytes,
        roomInRequest: requestRoomFor(attack.flood.envelopeBytes),
        mostTextsInAnyRequest: max(floodSamples.map((s) => s.maxRequestMessages)),
        ms: roundTo(attack.flood.ms, 0),
      },
    },
    {
      case: 'contacts',
      unit: 'contacts',
      duringFlood: m.contacts.length,
      bound: 1,
      rule: 'duringFlood == bound',
      met: onlyHonest,
      check: true,
    },
    {
      case: 'store-growth-disk',
      unit: 'bytes',
      withoutFlood: quietGrowth,
      duringFlood: diskGrowth,
      bound: REQUESTS_MAX_TOTAL_BYTES + LEVELDB_LOG_BYTES,
      rule: 'duringFlood <= bound',
      met: diskGrowth <= REQUESTS_MAX_TOTAL_BYTES + LEVELDB_LOG_BYTES,
      check: false,
      detail: { afterFlood: store.floodEnd.diskBytes - store.floodStart.diskBytes, afterStop: store.closedAfter - store.floodStart.diskBytes, atFloodStart: store.floodStart.diskBytes },
    },
    {
      case: 'store-growth-compacted',
      unit: 'bytes',
      duringFlood: compactedGrowth,
      bound: REQUESTS_MAX_TOTAL_BYTES,
      rule: 'duringFlood <= bound',
      met: compactedGrowth <= REQUESTS_MAX_TOTAL_BYTES,
      check: false,
      detail: { compactedBefore: store.compactedBefore, compactedAfter: store.compactedAfter },
    },
  ];
}

/** How the Sybils fared: acks by status, and how many stored requests were evicted again. */
function sybilOutcome(m: Measured): { counts: Record<string, number>; stored: number; kept: number; evicted: number } {
  const results = m.attack.sybils.results;
  const held = new Set(m.requests.map((r) => r.peerId));
  const stored = results.filter((r) => r.status === 'stored');
  const kept = stored.filter((r) => held.has(r.peerId)).length;
  return { counts: tally(results.map((r) => r.status)) as Record<string, number>, stored: stored.length, kept, evicted: stored.length - kept };
}

function formatNumber(value: number, decimals = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A value in its unit, for people: bytes as MiB (KiB when small). */
function formatValue(value: number | undefined, unit: Row['unit']): string {
  if (value === undefined) return '-';
  if (unit === 'ms') return formatNumber(value, MS_DECIMALS);
  if (unit !== 'bytes') return formatNumber(value);
  return Math.abs(value) >= MIB ? `${formatNumber(value / MIB, 2)} MiB` : `${formatNumber(value / KIB, 0)} KiB`;
}

/** What the bound is, in words. */
function boundText(r: Row): string {
  const value = formatValue(r.bound, r.unit);
  switch (r.case) {
    case 'honest-delivered':
      return `all ${value}, once each`;
    case 'contacts':
      return 'the honest one only';
    case 'honest-delivery':
    case 'contacts-list':
    case 'chat-first-screen':
      return `<= ${value} (${LATENCY_TOLERANCE}x without)`;
    case 'store-growth-disk':
      return `<= ${value} (quota + LevelDB log)`;
    case 'store-growth-compacted':
      return `<= ${value} (quota)`;
    default:
      return `<= ${value}`;
  }
}

function verdict(r: Row): string {
  if (r.met) return r.check ? 'ok' : 'met';
  return r.check ? 'BROKEN' : 'NOT MET';
}

const TABLE_HEADER = ['case', 'unit', 'without flood', 'during flood', 'bound', 'verdict'];

function tableCells(r: Row): string[] {
  const unit = r.unit === 'bytes' ? 'size' : r.unit;
  return [r.case, unit, formatValue(r.withoutFlood, r.unit), formatValue(r.duringFlood, r.unit), boundText(r), verdict(r)];
}

/** "name p90 a / b ms (max c)" of a latency row. */
function latencySpread(row: Row): string {
  const d = row.detail!;
  return `${row.case} ${formatValue(d.withoutFloodP90!, 'ms')} / ${formatValue(d.duringFloodP90!, 'ms')} ms (max ${formatValue(d.duringFloodMax!, 'ms')})`;
}

/** How many cores each party kept busy on average over `wallMs`. */
function cpuLine(label: string, cpu: PhaseCpu, wallMs: number): string {
  const cores = (ms: number): string => formatNumber(ms / wallMs, 2);
  const measured = (ms: number | null): string => (ms === null ? 'not measured' : cores(ms));
  const parts = [`victim ${measured(cpu.victimMs)}`, `spawned commands ${measured(cpu.commandsMs)}`, `honest contact and chat loads ${cores(cpu.benchMs)}`];
  if (cpu.attackersMs !== undefined) parts.push(`attackers ${cores(cpu.attackersMs)}`);
  parts.push(`whole machine ${measured(cpu.machineMs)} of ${os.cpus().length}`);
  return `${label} ${parts.join(', ')}`;
}

const MS_PER_SECOND = 1000;
const seconds = (ms: number, decimals = 1): string => `${formatNumber(ms / MS_PER_SECOND, decimals)} s`;

/** The report for people: how it was measured, the table, the flood's outcomes, what the store figures mean. */
export function humanReport(r: StrangersResults): string {
  const cpus = os.cpus();
  const sybils = sybilOutcome(r);
  const byRow = (name: CaseName): Row => r.rows.find((row) => row.case === name)!;
  const disk = byRow('store-growth-disk');
  const compacted = byRow('store-growth-compacted');
  const flooder = byRow('flooder-stored').detail!;
  const lines = [
    `Strangers and hostile peers: a flood of ${r.plan.floodTexts} x ${formatNumber(r.attack.flood.envelopeBytes)}-byte envelopes from one stranger and ${r.plan.sybils} Sybil strangers, while an honest contact sends`,
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores; node ${process.version} (${process.platform}-${process.arch}); everything on 127.0.0.1, attackers on the same cores at nice ${ATTACKER_NICE}`,
    'method: the victim is `sotto start` on an encrypted home; attackers are minimal libp2p peers in their own process; probes run side by side,',
    `        without the flood (${r.plan.quietRuns} runs each) and during it (until it is over): \`sotto contacts list\` spawned; the chat's first screen`,
    `        (id, contacts, first conversation over the control socket); honest send -> delivered (${seconds(HONEST_PAUSE_MS)} between two); store sampled every ${seconds(SAMPLE_INTERVAL_MS, 2)}`,
    '',
    textTable(TABLE_HEADER, r.rows.map(tableCells)),
    `p90 without / during the flood (max during): ${(['honest-delivery', 'contacts-list', 'chat-first-screen'] as const).map((name) => latencySpread(byRow(name))).join('; ')}`,
    '',
    `flood: ${formatNumber(r.plan.floodTexts)} texts in ${seconds(r.attack.flood.ms)}: ${r.attack.flood.acks.stored ?? 0} stored, ${flooder.refused} refused before decryption, ${flooder.rejected} rejected;` +
      ` its request has room for ${flooder.roomInRequest} texts of this size (${formatNumber(REQUEST_MAX_BYTES_PER_SENDER / KIB)} KiB per stranger, ${REQUEST_MAX_MESSAGES_PER_SENDER} texts)`,
    `Sybils: ${formatNumber(r.plan.sybils)} in ${seconds(r.attack.sybils.ms)} (${r.plan.sybilConcurrency} at a time, under ${INBOUND_CONNECTION_THRESHOLD} new connections a second from one address): ` +
      Object.entries(sybils.counts).map(([status, n]) => `${n} ${status}`).join(', ') +
      `; of the stored, ${sybils.kept} still held as requests, ${sybils.evicted} evicted (oldest first)`,
    `requests after the flood: ${r.requests.length} (${formatValue(r.requests.reduce((n, q) => n + q.bytes, 0), 'bytes')} by their own count); the flooder's request ${r.requests.some((q) => q.peerId === r.attack.flood.peerId) ? 'is still held' : 'was evicted'}`,
    `store on disk (LevelDB folder): ${formatValue(r.store.floodStart.diskBytes, 'bytes')} at the start of the flood; peak growth ${formatValue(disk.duringFlood, 'bytes')};` +
      ` ${formatValue(disk.detail!.afterFlood!, 'bytes')} once it was over, ${formatValue(disk.detail!.afterStop!, 'bytes')} after the node stopped;` +
      ` after a full compaction ${formatValue(compacted.duringFlood, 'bytes')} more than before the flood (${formatValue(r.store.compactedBefore, 'bytes')} -> ${formatValue(r.store.compactedAfter, 'bytes')})`,
  ];
  if (!disk.met) {
    lines.push(
      `  on disk the store grew past the strangers' quota while the node ran: LevelDB keeps overwritten and deleted records (evicted requests, the prekey state rewritten for every bundle handed out) until its compactions reach them;` +
        ` a full compaction leaves ${formatValue(compacted.duringFlood, 'bytes')} of growth${compacted.met ? ', within the quota' : ', still past the quota'}`,
    );
  }
  lines.push(`CPU (cores busy on average): ${cpuLine('without the flood', r.cpu.quiet, r.quiet.ms)}; ${cpuLine('during it', r.cpu.flood, r.flood.ms)}`);
  if (r.victimMemory) {
    const { before, after } = r.victimMemory;
    lines.push(`victim memory: RSS ${formatNumber(before.rss / MIB, 0)} MiB before the flood, ${formatNumber(after.rss / MIB, 0)} MiB after it (peak ${formatNumber(after.peak / MIB, 0)} MiB)`);
  }
  const broken = r.rows.filter((row) => row.check && !row.met).map((row) => row.case);
  lines.push(broken.length === 0 ? 'checks: every honest message delivered once; requests within their quotas; the flooder held to its own; no stranger a contact' : `BROKEN: ${broken.join(', ')}`);
  return lines.join('\n');
}

/** One JSON object per row, each on its own line. */
export function jsonLines(rows: readonly Row[]): string {
  return rows.map((row) => JSON.stringify({ bench: 'strangers', ...row })).join('\n');
}
