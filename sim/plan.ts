/**
 * How big and how long a simulation is. Times are wall-clock seconds;
 * Sotto's own timers run `speed` times faster (./clock.ts).
 */

export interface SimPlan {
  readonly name: 'full' | 'quick';
  /** Every node, the drain sender and the drain recipient included. */
  readonly nodes: number;
  /** Nodes that run a MailboxService (they also run the messenger, but have no contacts). */
  readonly mailboxes: number;
  /** Average contacts of a user. */
  readonly contactsPerUser: number;
  /** Peers each node bootstraps to (random, online; never a star). */
  readonly bootstrapFanout: number;
  /** Sotto's timers and clock run this many times faster than the wall clock. */
  readonly speed: number;
  /** After every node is up and contacts are added: time for routing tables and bundle records. */
  readonly warmUpSeconds: number;
  /** Length of the churn phase. */
  readonly churnSeconds: number;
  /** Messages per second (Poisson) from random online users to random contacts. */
  readonly sendsPerSecond: number;
  /** Users alternate online and offline periods (exponential, offline ones at least the minimum). */
  readonly onlineMeanSeconds: number;
  readonly offlineMeanSeconds: number;
  readonly offlineMinSeconds: number;
  /** Mailbox nodes that stop for good during the churn phase. */
  readonly mailboxVanish: number;
  /** Chance that a mailbox (of those that stay) has one temporary outage, and its mean length. */
  readonly mailboxOutageChance: number;
  readonly mailboxOutageMeanSeconds: number;
  /** A findPeer and a closest-peers probe every this many seconds. */
  readonly probeIntervalSeconds: number;
  /** Longest settle phase (everyone back, mail fetched, outboxes empty). */
  readonly settleSeconds: number;
  /** Messages queued for the offline drain recipient. */
  readonly drainMessages: number;
}

export const FULL_PLAN: SimPlan = {
  name: 'full',
  nodes: 50,
  mailboxes: 15,
  contactsPerUser: 4,
  bootstrapFanout: 4,
  speed: 6,
  warmUpSeconds: 10,
  churnSeconds: 150,
  sendsPerSecond: 2,
  onlineMeanSeconds: 40,
  offlineMeanSeconds: 35,
  offlineMinSeconds: 15,
  mailboxVanish: 3,
  mailboxOutageChance: 0.3,
  mailboxOutageMeanSeconds: 25,
  probeIntervalSeconds: 2,
  settleSeconds: 120,
  drainMessages: 10_000,
};

/** The smoke test's plan: every path runs, on 12 nodes, in well under a minute. */
export const QUICK_PLAN: SimPlan = {
  name: 'quick',
  nodes: 12,
  mailboxes: 4,
  contactsPerUser: 3,
  bootstrapFanout: 3,
  speed: 10,
  warmUpSeconds: 3,
  churnSeconds: 15,
  sendsPerSecond: 2,
  onlineMeanSeconds: 6,
  offlineMeanSeconds: 8,
  offlineMinSeconds: 6,
  mailboxVanish: 1,
  mailboxOutageChance: 0,
  mailboxOutageMeanSeconds: 5,
  probeIntervalSeconds: 1,
  settleSeconds: 40,
  drainMessages: 500,
};

/** `plan` for another node count: mailboxes stay at the plan's share (at least 4, so k = 3 survive one vanishing). */
export function withNodes(plan: SimPlan, nodes: number): SimPlan {
  const share = plan.mailboxes / plan.nodes;
  const mailboxes = Math.max(4, Math.round(nodes * share));
  if (nodes - mailboxes - 2 < 2) throw new RangeError(`--nodes ${nodes}: too few for ${mailboxes} mailboxes, two users and the drain pair`);
  return { ...plan, nodes, mailboxes, mailboxVanish: Math.min(plan.mailboxVanish, mailboxes - 4) };
}
