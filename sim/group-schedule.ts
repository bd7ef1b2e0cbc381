/**
 * The group scenario's churn phase, drawn in full from the seed before
 * anything runs (as ./schedule.ts draws the churn scenario's): members'
 * online and offline periods (the two admins stay), group messages at
 * Poisson times, the admins' adds and removals spread over the phase, and
 * the group's closest mailboxes vanishing one after another. Who sends and
 * whom a removal takes are chosen when the event is due (among members
 * online then), with the schedule's own random stream.
 */
import type { GroupPlan } from './group-plan.ts';
import type { Rng } from './rng.ts';

export type GroupScheduledEvent =
  | { readonly at: number; readonly type: 'leave' | 'return'; readonly node: string }
  | { readonly at: number; readonly type: 'send' }
  | { readonly at: number; readonly type: 'add'; readonly admin: number; readonly joiner: string }
  | { readonly at: number; readonly type: 'remove'; readonly admin: number }
  /** The group's mailbox of this rank (0: the closest to its key among those left) vanishes for good. */
  | { readonly at: number; readonly type: 'vanish'; readonly rank: number };

/** Seconds between two of an admin's membership changes and the ends of the phase, as a share of it. */
function spread(count: number, end: number, offset: number): number[] {
  return Array.from({ length: count }, (_, i) => ((i + 1 + offset) / (count + 1)) * end);
}

/**
 * The churn phase's events, sorted by time (seconds from its start).
 * `churners` leave and return; `joiners` are added in order (the last one
 * is kept for the partition, so it is not among them here).
 */
export function drawGroupSchedule(plan: GroupPlan, churners: readonly string[], joiners: readonly string[], rng: Rng): GroupScheduledEvent[] {
  const end = plan.churnSeconds;
  const events: GroupScheduledEvent[] = [];
  const churnRng = rng.fork('churn');
  for (const node of churners) {
    let t = churnRng.exp(plan.onlineMeanSeconds);
    while (t < end) {
      const away = Math.max(plan.offlineMinSeconds, churnRng.exp(plan.offlineMeanSeconds));
      events.push({ at: t, type: 'leave', node });
      if (t + away < end) events.push({ at: t + away, type: 'return', node });
      t += away + churnRng.exp(plan.onlineMeanSeconds);
    }
  }
  const sendRng = rng.fork('sends');
  for (let t = sendRng.exp(1 / plan.sendsPerSecond); t < end; t += sendRng.exp(1 / plan.sendsPerSecond)) events.push({ at: t, type: 'send' });
  // Membership changes alternate between the admins: add, remove, add, ...
  const changes: ({ type: 'add'; joiner: string } | { type: 'remove' })[] = [];
  for (let i = 0; i < Math.max(joiners.length, plan.removals); i++) {
    if (i < joiners.length) changes.push({ type: 'add', joiner: joiners[i]! });
    if (i < plan.removals) changes.push({ type: 'remove' });
  }
  spread(changes.length, end * 0.9, 0).forEach((at, i) => events.push({ at, ...changes[i]!, admin: i % 2 }));
  spread(plan.mailboxVanish, end * 0.9, -0.5).forEach((at) => events.push({ at, type: 'vanish', rank: 0 }));
  return events.sort((a, b) => a.at - b.at);
}
