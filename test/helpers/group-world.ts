/**
 * Group members on the in-memory network: homes with mailboxes beside them,
 * every pair of them contacts, each running its GroupService.
 */
import { GroupService } from '../../src/node/groups/group-service.ts';
import { MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import { testClock, type TestClock } from './context.ts';
import { Home } from './homes.ts';
import { MemoryHub } from './memory-network.ts';
import { ManualScheduler } from './scheduler.ts';

/** The homes of a group test and their group services (by home name). */
export interface GroupWorld {
  readonly hub: MemoryHub;
  readonly clock: TestClock;
  readonly scheduler: ManualScheduler;
  readonly mailboxes: Home[];
  readonly homes: Home[];
  readonly groups: Map<string, GroupService>;
}

/** Opens and starts `home`'s group service. */
export async function startGroups(home: Home): Promise<GroupService> {
  const service = await GroupService.open(home.messenger);
  await service.start();
  return service;
}

/**
 * Homes named `names` (contacts of each other) beside `mailboxes` mailbox
 * homes (default MAILBOX_REPLICAS); `beforeGroups` runs before the group
 * services start (to plant a stored group). The scheduler has run once.
 */
export async function groupWorld(names: readonly string[], options: { mailboxes?: number; beforeGroups?: (homes: Home[]) => Promise<void> } = {}): Promise<GroupWorld> {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  const mailboxes: Home[] = [];
  for (let i = 0; i < (options.mailboxes ?? MAILBOX_REPLICAS); i++) mailboxes.push(await new Home(`mailbox-${i}`, hub, clock, scheduler, { mailbox: true }).init());
  const homes: Home[] = [];
  for (const name of names) homes.push(await new Home(name, hub, clock, scheduler).init());
  for (const a of homes) for (const b of homes) if (a !== b) await a.messenger.addContact(b.name, b.peerId);
  await options.beforeGroups?.(homes);
  const groups = new Map<string, GroupService>();
  for (const home of homes) groups.set(home.name, await startGroups(home));
  await scheduler.advance(1);
  return { hub, clock, scheduler, mailboxes, homes, groups };
}
