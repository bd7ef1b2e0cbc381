/**
 * How big and how long the group scenario is (./group-scenario.ts). Times
 * are wall-clock seconds; Sotto's own timers run `speed` times faster
 * (./clock.ts), the group poll among them.
 */
import type { SimPlan } from './plan.ts';

/** Shared with the churn scenario's plan, with the same meaning: the timer speed-up, the churn phase's length and send rate, members' online and offline periods. */
type Shared = Pick<SimPlan, 'name' | 'speed' | 'churnSeconds' | 'sendsPerSecond' | 'onlineMeanSeconds' | 'offlineMeanSeconds' | 'offlineMinSeconds'>;

export interface GroupPlan extends Shared {
  /** Mailbox nodes; the group's frames go to the k closest to its mailbox key. */
  readonly mailboxes: number;
  /** Users in the group when it is made, its two admins included (the admins stay online; the others churn). */
  readonly members: number;
  /** Users the admins add during the run (contacts of both admins, in no group at first); the last is added during the partition. */
  readonly joiners: number;
  /** Members the admins remove during the churn phase (one more is removed during the partition). */
  readonly removals: number;
  /** Of the group's k mailboxes, this many vanish for good during the churn phase (the closest first). */
  readonly mailboxVanish: number;
  /** How long the two halves stay apart. */
  readonly partitionSeconds: number;
  /** Longest wait for every member to agree on one group state (after building, before the partition, after the heal). */
  readonly convergeSeconds: number;
  /** Longest wait, at the end, for every message a member is owed. */
  readonly settleSeconds: number;
}

export const GROUP_FULL_PLAN: GroupPlan = {
  name: 'full',
  mailboxes: 6,
  members: 10,
  joiners: 3,
  removals: 2,
  speed: 6,
  churnSeconds: 60,
  sendsPerSecond: 1,
  onlineMeanSeconds: 25,
  offlineMeanSeconds: 15,
  offlineMinSeconds: 6,
  mailboxVanish: 2,
  partitionSeconds: 15,
  convergeSeconds: 90,
  settleSeconds: 60,
};

/** The smoke test's plan: every path runs (churn, a vanishing mailbox, adds and removals, the partition), on 11 nodes. */
export const GROUP_QUICK_PLAN: GroupPlan = {
  name: 'quick',
  mailboxes: 4,
  members: 5,
  joiners: 2,
  removals: 1,
  speed: 12,
  churnSeconds: 12,
  sendsPerSecond: 1.5,
  onlineMeanSeconds: 7,
  offlineMeanSeconds: 6,
  offlineMinSeconds: 4,
  mailboxVanish: 1,
  partitionSeconds: 5,
  convergeSeconds: 60,
  settleSeconds: 40,
};
