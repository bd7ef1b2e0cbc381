/**
 * Turns what the simulation recorded into the report's numbers.
 *
 * Delivery, per churn message (sent by a user to a contact):
 * - delivered: the recipient's messenger emitted 'message' for its id;
 * - eligible: at least one mailbox acknowledged custody (a signed receipt
 *   the sender accepted) and at least one of those mailboxes survived the
 *   recipient's offline period: it did not vanish before the recipient came
 *   back after the custody receipt. Eligible messages must all be delivered.
 * - overall: every churn message, whatever path it took (direct, a retry,
 *   mailboxes), counted after the settle phase brought everyone back.
 * Latency: if the recipient was online from send() to delivery, the direct
 * latency (send → 'message'); otherwise the time from the recipient's last
 * return (start() resolved) to the 'message' event.
 */
import { MSG_PROTOCOL } from '../src/node/constants.ts';
import { percentile } from '../bench/stats.ts';
import type { LookupKind, Recorder } from './recorder.ts';
import type { MailboxStats, Scenario } from './scenario.ts';

export interface Quantiles {
  readonly samples: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export function quantiles(values: readonly number[]): Quantiles {
  if (values.length === 0) return { samples: 0, p50: null, p99: null, max: null };
  return { samples: values.length, p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: Math.max(...values) };
}

export interface LookupStats extends Quantiles {
  readonly failed: number;
  readonly meanFound: number | null;
  readonly meanMailboxes: number | null;
  readonly meanQueries: number | null;
  readonly meanOnline: number | null;
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export function lookupStats(recorder: Recorder, kind: LookupKind, phases: readonly string[]): LookupStats {
  const samples = recorder.lookups.filter((l) => l.kind === kind && phases.includes(l.phase));
  const ok = samples.filter((l) => l.ok);
  return {
    ...quantiles(ok.map((l) => l.ms)),
    failed: samples.length - ok.length,
    meanFound: mean(ok.map((l) => l.found)),
    meanMailboxes: mean(ok.flatMap((l) => (l.mailboxes === undefined ? [] : [l.mailboxes]))),
    meanQueries: mean(ok.flatMap((l) => (l.queries === undefined ? [] : [l.queries]))),
    meanOnline: mean(samples.map((l) => l.online)),
  };
}

/** An eligible message that was not delivered, for the report. */
export interface Undelivered {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly custody: readonly string[];
  readonly storedBy: number | null;
}

export interface Analysis {
  readonly nodes: { total: number; mailboxes: number; users: number; online: number };
  readonly churn: { leaves: number; returns: number; vanished: number; mailboxOutages: number; mailboxReturns: number; settleReturns: number };
  readonly messages: {
    sent: number;
    delivered: number;
    eligible: number;
    eligibleDelivered: number;
    undeliveredEligible: Undelivered[];
    /** Messages by how many mailboxes acknowledged custody (index = count, the last bucket = k or more). */
    custody: number[];
    /** Messages whose sender saw 'stored' from fewer than k mailboxes and never got them to k. */
    duplicateEvents: number;
    messagesWithDuplicates: number;
    wrong: number;
    unexpected: number;
    setup: number;
  };
  readonly latency: { afterReturn: Quantiles; afterReturnViaMailbox: number; afterReturnOther: number; direct: Quantiles };
  readonly lookups: { closestTraffic: LookupStats; closestProbe: LookupStats; findPeer: LookupStats };
  readonly dials: { msgFailed: Quantiles; msgOk: Quantiles };
  readonly nodeStop: Quantiles;
  readonly nodeStart: Quantiles;
  readonly mailboxes: readonly MailboxStats[];
}

export function analyse(s: Scenario, recorder: Recorder): Analysis {
  const net = s.network;
  const byName = new Map([...net.nodes, s.drainRecipient].map((n) => [n.name, n]));
  const byPeer = new Map([...net.nodes, s.drainRecipient].map((n) => [n.peerId, n]));
  const churnMessages = [...recorder.messages.values()].filter((m) => m.kind === 'churn');

  let eligible = 0;
  let eligibleDelivered = 0;
  const undelivered: Undelivered[] = [];
  const custodyBuckets = [0, 0, 0, 0];
  const afterReturn: number[] = [];
  const direct: number[] = [];
  let viaMailbox = 0;
  let other = 0;
  for (const m of churnMessages) {
    const recipient = byName.get(m.to)!;
    const custody = s.custody.get(m.id);
    const held = custody?.mailboxes.size ?? 0;
    custodyBuckets[Math.min(held, custodyBuckets.length - 1)]!++;
    if (custody && held > 0) {
      const returnAt = recipient.onlineAt(custody.firstAt) ? custody.firstAt : recipient.intervals.find((i) => i.start >= custody.firstAt)?.start;
      const survived = [...custody.mailboxes].some((peer) => {
        const gone = s.goneAt.get(byPeer.get(peer)?.name ?? '');
        return gone === undefined || (returnAt !== undefined && gone > returnAt);
      });
      if (survived && returnAt !== undefined) {
        eligible++;
        if (m.events > 0) eligibleDelivered++;
        else undelivered.push({ id: m.id, from: m.from, to: m.to, custody: [...custody.mailboxes].map((p) => byPeer.get(p)?.name ?? p.slice(0, 12)), storedBy: m.storedBy ?? null });
      }
    }
    if (m.deliveredAt === undefined) continue;
    const interval = recipient.intervals.find((i) => i.start <= m.sentAt && (i.end === undefined || m.sentAt < i.end));
    const continuous = interval !== undefined && (interval.end === undefined || m.deliveredAt <= interval.end);
    if (continuous) {
      direct.push(m.deliveredAt - m.sentAt);
    } else {
      const back = recipient.returnBefore(m.deliveredAt);
      if (back === undefined) continue;
      afterReturn.push(Math.max(0, m.deliveredAt - back));
      if (held > 0) viaMailbox++;
      else other++;
    }
  }

  const count = (kind: string): number => recorder.churn.filter((c) => c.kind === kind).length;
  const settleReturns = net.nodes.reduce((n, node) => n + node.intervals.filter((i) => recorder.phaseTimes.some((p) => p.phase === 'settle' && i.start >= p.start && (p.end === undefined || i.start <= p.end))).length, 0);
  const msgDials = recorder.dials.filter((d) => d.protocol === MSG_PROTOCOL && d.phase === 'churn');
  return {
    nodes: { total: net.nodes.length + 1, mailboxes: net.mailboxes.length, users: net.users.length, online: net.online.length },
    churn: { leaves: count('leave'), returns: count('return'), vanished: count('vanish'), mailboxOutages: count('mailbox-outage'), mailboxReturns: count('mailbox-back'), settleReturns },
    messages: {
      sent: churnMessages.length,
      delivered: churnMessages.filter((m) => m.events > 0).length,
      eligible,
      eligibleDelivered,
      undeliveredEligible: undelivered,
      custody: custodyBuckets,
      duplicateEvents: [...recorder.messages.values()].reduce((n, m) => n + Math.max(0, m.events - 1), 0),
      messagesWithDuplicates: [...recorder.messages.values()].filter((m) => m.events > 1).length,
      wrong: [...recorder.messages.values()].filter((m) => m.wrong).length,
      unexpected: recorder.unexpectedEvents,
      setup: [...recorder.messages.values()].filter((m) => m.kind === 'setup').length,
    },
    latency: { afterReturn: quantiles(afterReturn), afterReturnViaMailbox: viaMailbox, afterReturnOther: other, direct: quantiles(direct) },
    lookups: {
      closestTraffic: lookupStats(recorder, 'closest-traffic', ['churn', 'settle']),
      closestProbe: lookupStats(recorder, 'closest-probe', ['churn']),
      findPeer: lookupStats(recorder, 'findpeer-probe', ['churn']),
    },
    dials: { msgFailed: quantiles(msgDials.filter((d) => !d.ok).map((d) => d.ms)), msgOk: quantiles(msgDials.filter((d) => d.ok).map((d) => d.ms)) },
    nodeStop: quantiles(net.nodes.flatMap((n) => n.stopMs.filter((x) => x.phase !== 'teardown').map((x) => x.ms))),
    nodeStart: quantiles(net.nodes.flatMap((n) => n.startMs.filter((x) => x.phase !== 'build').map((x) => x.ms))),
    mailboxes: s.mailboxStats,
  };
}
