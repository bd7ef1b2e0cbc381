/**
 * Turns what the group scenario recorded into the report's numbers.
 *
 * Per group message and per member it was meant for (a recipient in the
 * sender's group outbox entry: the other members in the sender's state
 * when it was made), leaving out a member whose removal was asked for
 * before the message was sent:
 * - owed: that pair;
 * - delivered: the message's id is in the member's history at the end
 *   (or a 'group-message' event for it came);
 * - eligible: the member was online and on the sender's side of any
 *   partition for DIRECT_WINDOW_MS after the send (the direct path), or a
 *   mailbox acknowledged custody of the message's frame (the first one or
 *   one re-sent after a fork) and did not vanish before the member was
 *   back (the mailbox path). Every eligible pair must be delivered; an
 *   owed pair that is not eligible and not delivered is listed as excused,
 *   with why.
 * Duplicates: a member whose history holds one message id twice, or whose
 * application got a second 'group-message' event for it.
 */
import { createHash } from 'node:crypto';
import { MAILBOX_REPLICAS } from '../src/node/constants.ts';
import { quantiles, type Quantiles } from './analysis.ts';
import type { GroupScenario } from './group-scenario.ts';
import type { Recorder } from './recorder.ts';

/** A member online this long after a send, on the sender's side, is owed the message by the direct path. */
export const DIRECT_WINDOW_MS = 5000;

/** A (message, member) pair not delivered, and why. */
export interface GroupLoss {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly phase: string;
  readonly why: string;
}

export interface GroupAnalysis {
  readonly sent: number;
  readonly skipped: number;
  readonly owed: number;
  readonly owedDelivered: number;
  readonly eligible: number;
  readonly eligibleDelivered: number;
  /** Eligible and not delivered: what the target forbids. */
  readonly lost: readonly GroupLoss[];
  /** Owed, not eligible, not delivered. */
  readonly excused: readonly GroupLoss[];
  readonly duplicates: { readonly history: number; readonly events: number; readonly messages: number };
  /** History entries (in) whose id the simulation never sent. */
  readonly unknownIds: number;
  /** Messages by how many mailboxes acknowledged custody (the last bucket: k or more). */
  readonly custody: readonly number[];
  readonly latency: { readonly direct: Quantiles; readonly afterReturn: Quantiles };
}

export function analyseGroups(s: GroupScenario, recorder: Recorder): GroupAnalysis {
  const nodes = new Map(s.network.nodes.map((n) => [n.name, n]));
  const nameOf = new Map(s.network.nodes.map((n) => [n.peerId, n.name]));
  // Frames by message id: recipients of the first one, custody of any.
  const frames = new Map<string, { recipients: readonly string[]; epoch: number; at: number }>();
  const frameId = new Map<string, string>();
  for (const [hash, f] of recorder.groupFrames) {
    frameId.set(hash, f.id);
    const known = frames.get(f.id);
    if (!known || f.at < known.at) frames.set(f.id, { recipients: f.recipients, epoch: f.epoch, at: f.at });
  }
  const custody = new Map<string, { mailboxes: Set<string>; firstAt: number }>();
  for (const c of recorder.custody) {
    if (c.mailboxKey !== s.groupKey) continue;
    const id = frameId.get(createHash('sha256').update(c.item).digest('hex'));
    if (!id) continue;
    const entry = custody.get(id) ?? { mailboxes: new Set<string>(), firstAt: c.at };
    entry.mailboxes.add(nameOf.get(c.mailbox) ?? c.mailbox);
    entry.firstAt = Math.min(entry.firstAt, c.at);
    custody.set(id, entry);
  }
  const inPartition = (t: number): boolean => t >= s.partition.from && t < s.partition.to;
  const sameSide = (a: string, b: string): boolean => s.partition.sides.get(nodes.get(a)!.peerId) === s.partition.sides.get(nodes.get(b)!.peerId);
  const has = (member: string, id: string): boolean => (s.histories.get(member) ?? []).some((m) => m.id === id && m.direction === 'in');

  let owed = 0;
  let owedDelivered = 0;
  let eligible = 0;
  let eligibleDelivered = 0;
  const lost: GroupLoss[] = [];
  const excused: GroupLoss[] = [];
  const custodyBuckets = Array.from({ length: MAILBOX_REPLICAS + 1 }, () => 0);
  const direct: number[] = [];
  const afterReturn: number[] = [];
  for (const m of s.messages.values()) {
    const held = custody.get(m.id);
    custodyBuckets[Math.min(held?.mailboxes.size ?? 0, MAILBOX_REPLICAS)]!++;
    for (const peer of frames.get(m.id)?.recipients ?? []) {
      const to = nameOf.get(peer);
      if (!to) continue;
      const removedAt = s.removedAt.get(to);
      if (removedAt !== undefined && removedAt <= m.sentAt) continue;
      owed++;
      const recipient = nodes.get(to)!;
      const got = has(to, m.id) || (m.events.get(to) ?? 0) > 0;
      if (got) owedDelivered++;
      const online = recipient.intervals.some((i) => i.start <= m.sentAt && (i.end === undefined || i.end >= m.sentAt + DIRECT_WINDOW_MS));
      const reachable = online && (!inPartition(m.sentAt) || sameSide(m.from, to));
      const survivor = held
        ? [...held.mailboxes].find((box) => {
            const back = recipient.onlineAt(held.firstAt) ? held.firstAt : recipient.intervals.find((i) => i.start >= held.firstAt)?.start;
            const gone = s.goneAt.get(box);
            return back !== undefined && (gone === undefined || gone > back);
          })
        : undefined;
      const first = m.firstAt.get(to);
      if (first !== undefined) {
        if (reachable) direct.push(first - m.sentAt);
        else {
          const back = recipient.returnBefore(first);
          if (back !== undefined && back > m.sentAt) afterReturn.push(first - back);
        }
      }
      if (reachable || survivor) {
        eligible++;
        if (got) eligibleDelivered++;
        else {
          const removal = removedAt === undefined ? '' : `; removed ${Math.round((removedAt - m.sentAt) / 1000)} s after it was sent`;
          lost.push({ id: m.id, from: m.from, to, phase: m.phase, why: `sent in epoch ${frames.get(m.id)?.epoch ?? '?'}, ${reachable ? 'online on the sender\'s side' : 'away'}; custody ${held ? [...held.mailboxes].join(' ') : 'none'}${survivor ? ` (${survivor} survived)` : ''}${removal}` });
        }
      } else if (!got) {
        const boxes = held ? [...held.mailboxes].map((b) => `${b}${s.goneAt.has(b) ? ' (vanished)' : ''}`).join(' ') : 'none';
        excused.push({ id: m.id, from: m.from, to, phase: m.phase, why: `${online ? 'across the partition' : 'away'} when it was sent; custody ${boxes}` });
      }
    }
  }
  let historyDuplicates = 0;
  let unknownIds = 0;
  const doubled = new Set<string>();
  for (const history of s.histories.values()) {
    const seen = new Set<string>();
    for (const m of history) {
      if (seen.has(m.id)) {
        historyDuplicates++;
        doubled.add(m.id);
      }
      seen.add(m.id);
      if (m.direction === 'in' && !s.messages.has(m.id)) unknownIds++;
    }
  }
  let eventDuplicates = 0;
  for (const m of s.messages.values()) {
    for (const n of m.events.values()) {
      if (n > 1) doubled.add(m.id);
      eventDuplicates += Math.max(0, n - 1);
    }
  }
  return {
    sent: s.messages.size,
    skipped: s.skippedSends,
    owed,
    owedDelivered,
    eligible,
    eligibleDelivered,
    lost,
    excused,
    duplicates: { history: historyDuplicates, events: eventDuplicates, messages: doubled.size },
    unknownIds,
    custody: custodyBuckets,
    latency: { direct: quantiles(direct), afterReturn: quantiles(afterReturn) },
  };
}
