/**
 * The churn phase's schedule, drawn in full from the seed before anything
 * runs, so that one seed gives one schedule whatever the network's timing:
 * users' online and offline periods, mailbox outages and vanishings, sends
 * from users that are online (by the schedule) to random contacts, and
 * lookup probes between nodes that are online.
 */
import type { SimPlan } from './plan.ts';
import type { Rng } from './rng.ts';

/** A node as the schedule sees it. */
export interface Member {
  readonly name: string;
  readonly kind: 'mailbox' | 'user';
  readonly contacts: readonly string[];
  /** Exempt from churn (the drain recipient's mailboxes). */
  readonly protected: boolean;
}

export type ScheduledEvent =
  | { readonly at: number; readonly type: 'leave' | 'return' | 'vanish'; readonly node: string }
  | { readonly at: number; readonly type: 'send'; readonly from: string; readonly to: string }
  | { readonly at: number; readonly type: 'probe'; readonly from: string; readonly target: string };

export interface Schedule {
  /** Sorted by time (seconds from the start of the churn phase). */
  readonly events: readonly ScheduledEvent[];
  /** Per node, offline periods [from, to) in seconds (to = Infinity for a vanished mailbox). */
  readonly offline: ReadonlyMap<string, readonly (readonly [number, number])[]>;
}

function isOffline(periods: readonly (readonly [number, number])[] | undefined, t: number): boolean {
  return (periods ?? []).some(([a, b]) => a <= t && t < b);
}

export function drawSchedule(plan: SimPlan, members: readonly Member[], rng: Rng): Schedule {
  const end = plan.churnSeconds;
  const events: ScheduledEvent[] = [];
  const offline = new Map<string, [number, number][]>();
  const churnRng = rng.fork('churn');

  // Users: online first (everyone is up when the phase starts), then alternate.
  for (const m of members.filter((x) => x.kind === 'user')) {
    const periods: [number, number][] = [];
    let t = churnRng.exp(plan.onlineMeanSeconds);
    while (t < end) {
      const away = Math.max(plan.offlineMinSeconds, churnRng.exp(plan.offlineMeanSeconds));
      periods.push([t, t + away]);
      events.push({ at: t, type: 'leave', node: m.name });
      if (t + away < end) events.push({ at: t + away, type: 'return', node: m.name });
      t += away + churnRng.exp(plan.onlineMeanSeconds);
    }
    offline.set(m.name, periods);
  }

  // Mailboxes: some vanish for good, some others have one outage.
  const mailboxRng = rng.fork('mailboxes');
  const candidates = mailboxRng.shuffle(members.filter((x) => x.kind === 'mailbox' && !x.protected));
  const vanishing = candidates.slice(0, plan.mailboxVanish);
  for (const m of vanishing) {
    const at = mailboxRng.uniform(0.1, 0.7) * end;
    events.push({ at, type: 'vanish', node: m.name });
    offline.set(m.name, [[at, Infinity]]);
  }
  for (const m of candidates.slice(plan.mailboxVanish)) {
    if (!mailboxRng.chance(plan.mailboxOutageChance)) continue;
    const at = mailboxRng.uniform(0.05, 0.8) * end;
    const away = Math.max(plan.offlineMinSeconds, mailboxRng.exp(plan.mailboxOutageMeanSeconds));
    events.push({ at, type: 'leave', node: m.name });
    if (at + away < end) events.push({ at: at + away, type: 'return', node: m.name });
    offline.set(m.name, [[at, at + away]]);
  }

  // Sends: a Poisson process; the sender is a random user online at that moment.
  const sendRng = rng.fork('sends');
  const senders = members.filter((x) => x.kind === 'user' && x.contacts.length > 0);
  for (let t = sendRng.exp(1 / plan.sendsPerSecond); t < end; t += sendRng.exp(1 / plan.sendsPerSecond)) {
    const online = senders.filter((m) => !isOffline(offline.get(m.name), t));
    if (online.length === 0) continue;
    const from = sendRng.pick(online);
    events.push({ at: t, type: 'send', from: from.name, to: sendRng.pick(from.contacts) });
  }

  // Probes: between two nodes online at that moment.
  const probeRng = rng.fork('probes');
  for (let t = plan.probeIntervalSeconds / 2; t < end; t += plan.probeIntervalSeconds) {
    const online = members.filter((m) => !isOffline(offline.get(m.name), t) && !isOffline(offline.get(m.name), t + 1));
    if (online.length < 2) continue;
    const [from, target] = probeRng.sample(online, 2) as [Member, Member];
    events.push({ at: t, type: 'probe', from: from.name, target: target.name });
  }

  events.sort((a, b) => a.at - b.at);
  return { events, offline };
}
