/**
 * The simulation's report: one row per metric (printed as a table, or with
 * --json as one JSON object per line), then details for a human reader
 * (per-mailbox use, the drain's breakdown and profile, undelivered
 * messages, errors the simulation itself hit).
 */
import os from 'node:os';
import { roundTo, textTable } from '../bench/stats.ts';
import { MAILBOX_FETCH_BATCH, MAILBOX_POLL_INTERVAL_MS, MAILBOX_REPLICAS, RETRY_MAX_MS } from '../src/node/constants.ts';
import type { Analysis, LookupStats, Quantiles } from './analysis.ts';
import type { ProfileSummary } from './profile.ts';
import type { Scenario } from './scenario.ts';

export type Unit = 'count' | '%' | 'ms' | 's' | 'items' | 'bytes' | 'msg/s' | 'queries';

/** One line of the report. */
export interface Row {
  readonly metric: string;
  readonly unit: Unit;
  readonly value: number | null;
  readonly target?: number;
  /** What the target bounds: "value >= target" or "value <= target". */
  readonly rule?: 'value >= target' | 'value <= target';
  readonly met?: boolean;
  readonly detail?: Record<string, unknown>;
}

/** The drain's target (issue 4): a backlog of DRAIN_TARGET_MESSAGES drained in at most DRAIN_TARGET_MS. */
export const DRAIN_TARGET_MS = 3000;
export const DRAIN_TARGET_MESSAGES = 10_000;

/** The drain target applies to a backlog of at least the target's size; a smaller drain (--quick, --drain N) is reported without a verdict. */
function drainTarget(messages: number): number | undefined {
  return messages >= DRAIN_TARGET_MESSAGES ? DRAIN_TARGET_MS : undefined;
}
const MS = 1;
const PCT = 2;

/** `row` with its verdict: met when the value is within the target (no verdict without a target). */
export function verdictRow(row: Omit<Row, 'met'>): Row {
  if (row.target === undefined || row.value === null) return row.target === undefined ? row : { ...row, met: false };
  return { ...row, met: row.rule === 'value >= target' ? row.value >= row.target : row.value <= row.target };
}

/** Measured against the target in words: met, or missed by how much. */
function drainVerdict(messages: number, delivered: number, measured: number): string {
  if (drainTarget(messages) === undefined) return `the target, <= ${fmt(DRAIN_TARGET_MS)} ms, is for ${fmt(DRAIN_TARGET_MESSAGES)} messages: no verdict for ${fmt(messages)}`;
  if (delivered < DRAIN_TARGET_MESSAGES) return `target <= ${fmt(DRAIN_TARGET_MS)} ms for ${fmt(DRAIN_TARGET_MESSAGES)}: NOT MET, only ${fmt(delivered)} messages were drained`;
  if (measured <= DRAIN_TARGET_MS) return `target <= ${fmt(DRAIN_TARGET_MS)} ms: met, ${fmt(DRAIN_TARGET_MS - measured)} ms to spare`;
  return `target <= ${fmt(DRAIN_TARGET_MS)} ms: NOT MET, ${fmt(measured - DRAIN_TARGET_MS)} ms over (${(measured / DRAIN_TARGET_MS).toFixed(2)}x the target)`;
}

/** The drain's row: met only when the whole backlog of the target's size reached the application within the target. */
function drainRow(row: Omit<Row, 'met'>, messages: number, delivered: number): Row {
  const judged = verdictRow(row);
  if (judged.met === undefined) return judged;
  return { ...judged, met: judged.met === true && delivered >= Math.min(messages, DRAIN_TARGET_MESSAGES) };
}

/** Milliseconds as the report rounds them. */
export function ms(v: number | null): number | null {
  return v === null ? null : roundTo(v, MS);
}

/** `part` of `whole` in percent, as the report rounds it (null for nothing). */
export function pct(part: number, whole: number): number | null {
  return whole === 0 ? null : roundTo((100 * part) / whole, PCT);
}

/** A p50 and a p99 row of `q`. */
export function quantileRows(metric: string, q: Quantiles, detail: Record<string, unknown>): Row[] {
  return [
    { metric: `${metric}-p50`, unit: 'ms', value: ms(q.p50), detail: { samples: q.samples, ...detail } },
    { metric: `${metric}-p99`, unit: 'ms', value: ms(q.p99), detail: { samples: q.samples, max: ms(q.max) } },
  ];
}

function lookupRows(metric: string, l: LookupStats, what: string): Row[] {
  const detail: Record<string, unknown> = { what, failed: l.failed, meanOnline: l.meanOnline === null ? null : roundTo(l.meanOnline, 1) };
  if (l.meanFound !== null) detail['meanPeersReturned'] = roundTo(l.meanFound, 1);
  if (l.meanMailboxes !== null) detail['meanMailboxesAmongThem'] = roundTo(l.meanMailboxes, 1);
  if (l.meanQueries !== null) detail['meanQueriesSent'] = roundTo(l.meanQueries, 1);
  return quantileRows(metric, l, detail);
}

/** Errors the simulation hit (its own, and failures nobody awaited), by kind. */
export interface ErrorSummary {
  readonly count: number;
  readonly kinds: readonly (readonly [string, number])[];
}

export function buildRows(s: Scenario, a: Analysis, profile: ProfileSummary | null, errors: ErrorSummary): Row[] {
  const m = a.messages;
  const d = s.drain;
  const r = d.result;
  const mailboxes = a.mailboxes;
  const alive = mailboxes.filter((b) => b.fate === 'alive');
  const sum = (xs: readonly (number | null)[]): number => xs.reduce<number>((acc, x) => acc + (x ?? 0), 0);
  const drainDelivered = d.delivered;
  const rows: Row[] = [
    {
      metric: 'nodes',
      unit: 'count',
      value: a.nodes.total,
      detail: { mailboxes: a.nodes.mailboxes, users: a.nodes.users, drainPair: 2, contactPairs: s.contactPairs, bootstrapFanout: s.plan.bootstrapFanout, seed: s.seed, timerSpeedup: s.plan.speed },
    },
    {
      metric: 'churn-events',
      unit: 'count',
      value: a.churn.leaves + a.churn.returns + a.churn.vanished + a.churn.mailboxOutages + a.churn.mailboxReturns,
      detail: { ...a.churn, churnSeconds: s.plan.churnSeconds },
    },
    { metric: 'messages', unit: 'count', value: m.sent, detail: { churn: m.sent, drain: d.messages, setup: m.setup } },
    verdictRow({
      metric: 'delivery-eligible',
      unit: '%',
      value: pct(m.eligibleDelivered, m.eligible),
      target: 100,
      rule: 'value >= target',
      detail: { eligible: m.eligible, delivered: m.eligibleDelivered, rule: 'custody acknowledged by >= 1 mailbox that survived the recipient\'s offline period' },
    }),
    {
      metric: 'delivery-overall',
      unit: '%',
      value: pct(m.delivered, m.sent),
      detail: { sent: m.sent, delivered: m.delivered, custodyBy0: m.custody[0], custodyBy1: m.custody[1], custodyBy2: m.custody[2], [`custodyBy${MAILBOX_REPLICAS}`]: m.custody[3] },
    },
    verdictRow({
      metric: 'duplicates',
      unit: 'count',
      value: m.duplicateEvents,
      target: 0,
      rule: 'value <= target',
      detail: { messagesWithDuplicates: m.messagesWithDuplicates, wrongSenderOrText: m.wrong, unknownIds: m.unexpected, drainDuplicates: d.duplicateEvents },
    }),
    ...quantileRows('return-to-delivery', a.latency.afterReturn, { viaMailbox: a.latency.afterReturnViaMailbox, directRetry: a.latency.afterReturnOther }),
    ...quantileRows('direct-delivery', a.latency.direct, {}),
    {
      metric: 'mailbox-held-peak',
      unit: 'items',
      value: Math.max(0, ...mailboxes.map((b) => b.peakItems)),
      detail: {
        meanItems: roundTo(sum(mailboxes.map((b) => b.peakItems)) / Math.max(1, mailboxes.length), 1),
        maxBytes: Math.max(0, ...mailboxes.map((b) => b.peakBytes)),
        meanBytes: Math.round(sum(mailboxes.map((b) => b.peakBytes)) / Math.max(1, mailboxes.length)),
        bytesPerItem: sum(mailboxes.map((b) => b.peakItems)) === 0 ? null : Math.round(sum(mailboxes.map((b) => b.peakBytes)) / sum(mailboxes.map((b) => b.peakItems))),
      },
    },
    {
      metric: 'mailbox-residual',
      unit: 'items',
      value: sum(alive.map((b) => b.residualItems)),
      detail: { bytes: sum(alive.map((b) => b.residualBytes)), what: 'copies still held after every recipient came back and fetched (drain batch excluded)' },
    },
    {
      metric: 'mailbox-disk',
      unit: 'bytes',
      value: Math.max(0, ...alive.map((b) => b.diskBytes ?? 0)),
      detail: { mean: Math.round(sum(alive.map((b) => b.diskBytes)) / Math.max(1, alive.length)), what: 'level directory of a mailbox node after the settle phase (drain batch included)' },
    },
    ...mailboxes.map(
      (b): Row => ({
        metric: 'mailbox-use',
        unit: 'items',
        value: b.peakItems,
        detail: { mailbox: b.name, fate: b.fate, protected: b.protected, peakBytes: b.peakBytes, endItems: b.endItems, endBytes: b.endBytes, residualItems: b.residualItems, residualBytes: b.residualBytes, diskBytes: b.diskBytes, drainHeld: b.drainHeld, drainLeft: b.drainLeft },
      }),
    ),
    ...lookupRows('lookup-closest-traffic', a.lookups.closestTraffic, 'closestPeers for mailbox placement and fetch (Messenger traffic)'),
    ...lookupRows('lookup-closest-probe', a.lookups.closestProbe, 'getClosestPeers of a random key between online nodes'),
    ...lookupRows('lookup-findpeer', a.lookups.findPeer, 'SottoNode.findPeer of an online node (DHT, no cache)'),
    ...quantileRows('direct-dial-failed', a.dials.msgFailed, { what: 'opening /sotto/msg to an unreachable recipient until the courier gives up and places the mail' }),
    ...quantileRows('node-stop', a.nodeStop, { what: 'messenger.stop + node.stop + store.close, as sotto start does on SIGINT' }),
    drainRow({
      metric: 'drain',
      unit: 'ms',
      value: r ? ms(r.ms) : null,
      ...(drainTarget(d.messages) === undefined ? {} : { target: DRAIN_TARGET_MS, rule: 'value <= target' as const }),
      detail: {
        messages: d.messages,
        heldByK: d.placedAll,
        itemsFetched: r?.items ?? null,
        delivered: drainDelivered,
        durableAfterKill: d.durable,
        leftInMailboxes: d.leftInMailboxes,
        messagesPerSecond: r && r.ms > 0 ? Math.round((drainDelivered * 1000) / r.ms) : null,
        lookupMs: r ? ms(r.lookupMs) : null,
        perMailbox: r
          ? r.mailboxes.map((x) => ({ ms: roundTo(x.ms, MS), items: x.items, batches: x.batches, fetchWaitMs: roundTo(x.fetchWait, MS), processingMs: roundTo(x.processing, MS), ackWaitMs: roundTo(x.ackWait, MS) }))
          : null,
        storeWrites: r?.writes ? { commits: r.writes.commits, batches: r.writes.batches, syncedBatches: r.writes.syncBatches, msInBatch: roundTo(r.writes.batchMs, MS), msInSyncedBatch: roundTo(r.writes.syncBatchMs, MS) } : null,
        profiled: r?.profile !== null && r?.profile !== undefined,
        whatIf: s.fifoMailboxes ? 'mailboxes hand out mail in deposit order (emulated)' : null,
        error: d.error,
      },
    }, d.messages, drainDelivered),
    verdictRow({
      metric: 'drain-complete',
      unit: '%',
      value: pct(d.durable, d.messages),
      target: 100,
      rule: 'value >= target',
      detail: { durableAfterKill: d.durable, messages: d.messages, leftInMailboxes: d.leftInMailboxes },
    }),
    {
      metric: 'drain-placement',
      unit: 'msg/s',
      value: d.placementMs > 0 ? Math.round((d.placedAll * 1000) / d.placementMs) : null,
      detail: { messages: d.messages, heldByK: d.placedAll, heldByAny: d.placedAny, ms: ms(d.placementMs), what: 'send() of the batch to every message held by k mailboxes (one stream per mailbox, deposits one at a time)' },
    },
  ];
  if (profile) {
    rows.push({
      metric: 'drain-profile',
      unit: 'ms',
      value: roundTo(profile.totalMs, MS),
      detail: { samples: profile.samples, byArea: profile.byArea.slice(0, 10), inclusiveSotto: profile.inclusiveSotto.slice(0, 12), selfByFunction: profile.selfByFunction.slice(0, 10) },
    });
  }
  rows.push({ metric: 'sim-errors', unit: 'count', value: errors.count, detail: { kinds: errors.kinds.slice(0, 8).map(([kind, n]) => ({ n, kind })) } });
  return rows;
}

/** A number as the report prints it ('-' for none). */
export function fmt(v: number | null | undefined, decimals = 0): string {
  if (v === null || v === undefined) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function targetText(r: Row): string {
  if (r.target === undefined) return '-';
  return `${r.rule === 'value >= target' ? '>=' : '<='} ${fmt(r.target)}${r.unit === '%' ? ' %' : ` ${r.unit}`}`;
}

function verdict(r: Row): string {
  if (r.met === undefined) return 'info';
  return r.met ? 'met' : 'NOT MET';
}

const DECIMALS: Partial<Record<Unit, number>> = { '%': 2, ms: 1, s: 1 };

/** A row's cells in the report's table. */
export function rowCells(r: Row): string[] {
  return [r.metric, r.unit, fmt(r.value, DECIMALS[r.unit] ?? 0), targetText(r), verdict(r)];
}

function share(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

export function humanReport(s: Scenario, a: Analysis, rows: readonly Row[], profile: ProfileSummary | null, errors: ErrorSummary): string {
  const cpus = os.cpus();
  const plan = s.plan;
  const main = rows.filter((r) => r.metric !== 'mailbox-use' && r.metric !== 'drain-profile');
  const r = s.drain.result;
  const lines = [
    `Sotto churn simulation (${plan.name}): ${a.nodes.total} real libp2p nodes on 127.0.0.1 (TCP, Noise, Yamux, private kad-dht), each with a Messenger on an on-disk level store, spread over ${s.network.hostCount} host processes; the drain recipient in a process of its own`,
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores; node ${process.version}; seed ${s.seed} (npm run sim -- --seed ${s.seed}${plan.name === 'quick' ? ' --quick' : ''} replays the schedule)`,
    `plan: ${plan.mailboxes} mailboxes, ${a.nodes.users} users (~${plan.contactsPerUser} contacts each), bootstrap fanout ${plan.bootstrapFanout}; churn ${plan.churnSeconds} s wall, ${plan.sendsPerSecond} msg/s,`,
    `      users online ~${plan.onlineMeanSeconds} s / offline ~${plan.offlineMeanSeconds} s (>= ${plan.offlineMinSeconds} s), ${plan.mailboxVanish} mailboxes vanish; Sotto's timers and clock ${plan.speed}x faster than the wall`,
    `      (mailbox poll ${MAILBOX_POLL_INTERVAL_MS / 1000 / plan.speed} s, retries back off to ${Math.round(RETRY_MAX_MS / 1000 / plan.speed)} s; sockets, libp2p and src/ AbortSignal timeouts are real); times below are wall-clock ms`,
    `run: ${fmt(s.wall.total / 1000, 1)} s wall in all`,
    '',
    textTable(['metric', 'unit', 'value', 'target', 'verdict'], main.map(rowCells)),
    '',
    'mailboxes (items and bytes of sealed mail held; residual = after everyone came back and fetched, drain batch excluded):',
    textTable(
      ['mailbox', 'fate', 'peak items', 'peak bytes', 'end items', 'residual', 'disk bytes', 'drain held', 'drain left'],
      a.mailboxes.map((b) => [
        `${b.name}${b.protected ? '*' : ''}`,
        b.fate,
        fmt(b.peakItems),
        fmt(b.peakBytes),
        fmt(b.endItems),
        fmt(b.residualItems),
        fmt(b.diskBytes),
        fmt(b.drainHeld),
        fmt(b.drainLeft),
      ]),
    ),
    `  * one of the drain recipient's ${MAILBOX_REPLICAS} closest mailboxes (kept out of the churn so that the drain measures a full backlog)`,
    '',
    `custody of churn messages: ${a.messages.custody.map((n, i) => `${n} held by ${i}${i === a.messages.custody.length - 1 ? '+' : ''}`).join(', ')} mailboxes`,
    `lookups: closest-peers answers held ${fmt(a.lookups.closestTraffic.meanMailboxes, 1)} mailboxes among ${fmt(a.lookups.closestTraffic.meanFound, 1)} peers on average; a probe sent ${fmt(a.lookups.closestProbe.meanQueries, 1)} queries with ~${fmt(a.lookups.closestProbe.meanOnline, 0)} nodes online`,
    `node stop (messenger, node, store): p50 ${fmt(a.nodeStop.p50)} ms, max ${fmt(a.nodeStop.max)} ms; restart p50 ${fmt(a.nodeStart.p50)} ms`,
  ];
  if (a.messages.undeliveredEligible.length > 0) {
    lines.push(`undelivered eligible messages (${a.messages.undeliveredEligible.length}):`);
    for (const u of a.messages.undeliveredEligible.slice(0, 10)) lines.push(`  ${u.id.slice(0, 12)} ${u.from} -> ${u.to}, custody ${u.custody.join(' ')}, sender saw stored by ${u.storedBy ?? '-'}`);
  }
  if (s.fifoMailboxes) lines.push('', 'WHAT-IF: during the drain the mailboxes hand out mail in deposit order (emulated by sim/fifo.ts; src/ lists it by item id)');
  lines.push('', `drain: ${s.drain.messages} messages to the offline drain recipient; ${s.drain.placedAll} held by ${MAILBOX_REPLICAS} mailboxes after ${fmt(s.drain.placementMs)} ms (send() to the last custody receipt)`);
  if (r) {
    const delivered = rows.find((x) => x.metric === 'drain')?.detail?.['delivered'];
    lines.push(
      `  returning node ready (connected, routing table warm) after ${fmt(r.readyMs)} ms; then fetchMail(): ${fmt(r.ms)} ms (${drainVerdict(s.drain.messages, s.drain.delivered, r.ms)})`,
      `  mailbox lookup ${fmt(r.lookupMs)} ms; then the ${MAILBOX_REPLICAS} mailbox streams open together and are drained one after another (fetch batches of ${MAILBOX_FETCH_BATCH}), the later ones deleting their copies meanwhile; per stream (time open; the phases overlap):`,
      ...r.mailboxes.map(
        (x, i) =>
          `    mailbox ${i + 1}: ${fmt(x.ms)} ms, ${fmt(x.items)} items in ${x.batches} batches: blocked waiting for ITEMS ${fmt(x.fetchWait)} ms, processing ${fmt(x.processing)} ms, ACK → ACKED ${fmt(x.ackWait)} ms`,
      ),
      r.writes
        ? `  drain recipient's store: ${fmt(r.writes.commits)} transactions in ${fmt(r.writes.batches)} batches (${fmt(r.writes.syncBatches)} synced), ${fmt(r.writes.batchMs)} ms inside batch() (${fmt(r.writes.syncBatchMs)} ms synced)`
        : '  drain recipient\'s store writes: not observable',
      `  items fetched ${fmt(r.items)} (every mailbox holds a copy of each; copies are deleted by item id without being downloaded); new messages announced ${fmt(Number(delivered))}; after SIGKILL the reopened store holds ${fmt(s.drain.durable)} of ${fmt(s.drain.messages)}; left in mailboxes ${fmt(s.drain.leftInMailboxes)}`,
    );
  } else {
    lines.push(`  the drain failed: ${s.drain.error ?? 'unknown error'}`);
  }
  if (profile) {
    lines.push(
      '',
      `drain profile (V8 sampling profiler in the drain recipient's process, ${fmt(profile.totalMs)} ms, ${profile.samples} samples):`,
      '  self time by area:',
      ...profile.byArea.slice(0, 12).map((e) => `    ${share(e.share).padStart(7)}  ${fmt(e.ms).padStart(6)} ms  ${e.name}`),
      '  inclusive time of Sotto functions (synchronous stretches):',
      ...profile.inclusiveSotto.slice(0, 12).map((e) => `    ${share(e.share).padStart(7)}  ${fmt(e.ms).padStart(6)} ms  ${e.name}`),
      '  self time by function:',
      ...profile.selfByFunction.slice(0, 12).map((e) => `    ${share(e.share).padStart(7)}  ${fmt(e.ms).padStart(6)} ms  ${e.name}`),
    );
  }
  if (errors.count > 0) {
    lines.push('', `errors the simulation hit (${errors.count}; "unhandled" = a promise rejection nobody awaited), by kind:`, ...errors.kinds.slice(0, 12).map(([kind, n]) => `  ${String(n).padStart(6)}  ${kind}`));
  }
  return lines.join('\n');
}

/** One JSON object per row, naming the scenario (`sim`: 'churn' or 'groups'). */
export function jsonLines(rows: readonly Row[], sim: 'churn' | 'groups' = 'churn'): string {
  return rows.map((r) => JSON.stringify({ sim, ...r })).join('\n');
}
