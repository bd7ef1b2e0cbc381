/**
 * The group scenario's report: rows in the churn report's shape (a table,
 * or with --json one JSON object per line with `sim: 'groups'`), then the
 * membership changes, what was not delivered and why, and the errors the
 * simulation hit.
 */
import os from 'node:os';
import { roundTo, textTable } from '../bench/stats.ts';
import { GROUP_POLL_INTERVAL_MS, MAILBOX_REPLICAS } from '../src/node/constants.ts';
import type { GroupAnalysis } from './group-analysis.ts';
import { DIRECT_WINDOW_MS } from './group-analysis.ts';
import type { GroupScenario } from './group-scenario.ts';
import { fmt, ms, pct, quantileRows, rowCells, verdictRow, type ErrorSummary, type Row } from './report.ts';

/** Seconds as the report rounds them. */
function seconds(v: number | null): number | null {
  return v === null ? null : roundTo(v / 1000, 1);
}

export function buildGroupRows(s: GroupScenario, a: GroupAnalysis, errors: ErrorSummary): Row[] {
  const churn = (kind: string): number => s.churn.filter((e) => e.kind === kind).length;
  const c = s.convergence;
  return [
    {
      metric: 'group-nodes',
      unit: 'count',
      value: s.network.nodes.length,
      detail: { mailboxes: s.plan.mailboxes, members: s.plan.members, joiners: s.plan.joiners, admins: s.admins, groupMailboxes: s.groupMailboxes, seed: s.seed, timerSpeedup: s.plan.speed },
    },
    { metric: 'group-churn-events', unit: 'count', value: churn('leave') + churn('return') + churn('vanish'), detail: { leaves: churn('leave'), returns: churn('return'), vanished: churn('vanish'), churnSeconds: s.plan.churnSeconds } },
    {
      metric: 'group-membership-changes',
      unit: 'count',
      value: s.changes.filter((x) => x.doneAt !== null && (x.kind === 'add' || x.kind === 'remove')).length,
      detail: { changes: s.changes.map((x) => ({ kind: x.kind, admin: x.admin, target: x.target, phase: x.phase, attempts: x.attempts, done: x.doneAt !== null, ms: x.doneAt === null ? null : ms(x.doneAt - x.at), refusal: x.error })) },
    },
    { metric: 'group-messages', unit: 'count', value: a.sent, detail: { skipped: a.skipped, owedPairs: a.owed, custodyBy0: a.custody[0], custodyBy1: a.custody[1], custodyBy2: a.custody[2], [`custodyBy${MAILBOX_REPLICAS}`]: a.custody[MAILBOX_REPLICAS] } },
    verdictRow({
      metric: 'group-delivery-eligible',
      unit: '%',
      value: pct(a.eligibleDelivered, a.eligible),
      target: 100,
      rule: 'value >= target',
      detail: { eligible: a.eligible, delivered: a.eligibleDelivered, rule: `a member online on the sender's side for ${DIRECT_WINDOW_MS / 1000} s after the send, or custody by a mailbox that survived until the member was back` },
    }),
    { metric: 'group-delivery-overall', unit: '%', value: pct(a.owedDelivered, a.owed), detail: { owed: a.owed, delivered: a.owedDelivered, excused: a.excused.length } },
    verdictRow({ metric: 'group-lost', unit: 'count', value: a.lost.length, target: 0, rule: 'value <= target', detail: { lost: a.lost.slice(0, 20), excused: a.excused.slice(0, 20) } }),
    verdictRow({ metric: 'group-duplicates', unit: 'count', value: a.duplicates.history + a.duplicates.events, target: 0, rule: 'value <= target', detail: { inHistories: a.duplicates.history, events: a.duplicates.events, messages: a.duplicates.messages, unknownIds: a.unknownIds } }),
    {
      metric: 'group-converge-after-heal',
      unit: 's',
      value: seconds(c.afterHeal),
      detail: { converged: c.afterHeal !== null, forked: c.forked, statesAtEnd: c.states, splits: c.splits, formedMs: ms(c.formed), regroupedMs: ms(c.regrouped), groupPollSeconds: roundTo(GROUP_POLL_INTERVAL_MS / 1000 / s.plan.speed, 1) },
    },
    ...quantileRows('group-direct-delivery', a.latency.direct, {}),
    ...quantileRows('group-return-to-delivery', a.latency.afterReturn, {}),
    { metric: 'sim-errors', unit: 'count', value: errors.count, detail: { kinds: errors.kinds.slice(0, 8).map(([kind, n]) => ({ n, kind })) } },
  ];
}

export function humanGroupReport(s: GroupScenario, a: GroupAnalysis, rows: readonly Row[], errors: ErrorSummary): string {
  const cpus = os.cpus();
  const plan = s.plan;
  const c = s.convergence;
  const lines = [
    `Sotto group simulation (${plan.name}): ${s.network.nodes.length} real libp2p nodes on 127.0.0.1, each with a Messenger and a GroupService on an on-disk level store, in ${s.network.hostCount} host processes`,
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores; node ${process.version}; seed ${s.seed} (npm run sim -- --groups --seed ${s.seed}${plan.name === 'quick' ? ' --quick' : ''} replays the schedule)`,
    `plan: one group (X-Wing MLS) of ${plan.members} members, 2 admins, ${plan.joiners} joiners; ${plan.mailboxes} mailboxes (the group uses the ${MAILBOX_REPLICAS} closest to its key: ${s.groupMailboxes.join(' ')}), ${plan.mailboxVanish} of them vanish;`,
    `      churn ${plan.churnSeconds} s (members online ~${plan.onlineMeanSeconds} s / offline ~${plan.offlineMeanSeconds} s), ${plan.sendsPerSecond} msg/s; a ${plan.partitionSeconds} s partition with a change on each side; Sotto's timers ${plan.speed}x faster (group poll ${roundTo(GROUP_POLL_INTERVAL_MS / 1000 / plan.speed, 1)} s wall)`,
    `run: ${fmt(s.wall.total / 1000, 1)} s wall in all`,
    '',
    textTable(['metric', 'unit', 'value', 'target', 'verdict'], rows.map(rowCells)),
    '',
    `convergence: formed in ${fmt(c.formed)} ms; after the churn ${fmt(c.regrouped)} ms; the partition ${c.forked ? 'forked the group' : 'did NOT fork the group'}; after the heal ${c.afterHeal === null ? `NOT converged (${c.states} states)` : `${fmt(c.afterHeal)} ms`}`,
    ...Object.entries(c.splits).map(([phase, split]) => `  NOT converged when the wait ended (${phase}): ${split.join('; ')}`),
    'membership changes:',
    ...s.changes.map((x) => `  ${x.phase.padEnd(9)} ${x.kind.padEnd(10)} ${x.target.padEnd(4)} by ${x.admin}: ${x.doneAt === null ? `NOT done (${x.error ?? '?'})` : `done in ${fmt(x.doneAt - x.at)} ms`}${x.attempts > 1 ? `, ${x.attempts} attempts (last refusal ${x.error ?? 'none'})` : ''}`),
    `custody of group messages: ${a.custody.map((n, i) => `${n} held by ${i}${i === a.custody.length - 1 ? '+' : ''}`).join(', ')} mailboxes`,
  ];
  if (a.lost.length > 0) lines.push(`LOST (eligible, not delivered; ${a.lost.length}):`, ...a.lost.slice(0, 20).map((l) => `  ${l.id.slice(0, 12)} ${l.from} -> ${l.to} (${l.phase}): ${l.why}`));
  if (a.excused.length > 0) lines.push(`not delivered, not eligible (${a.excused.length}):`, ...a.excused.slice(0, 10).map((l) => `  ${l.id.slice(0, 12)} ${l.from} -> ${l.to} (${l.phase}): ${l.why}`));
  if (errors.count > 0) lines.push('', `errors the simulation hit (${errors.count}), by kind:`, ...errors.kinds.slice(0, 12).map(([kind, n]) => `  ${String(n).padStart(6)}  ${kind}`));
  return lines.join('\n');
}
