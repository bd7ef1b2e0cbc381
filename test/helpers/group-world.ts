/**
 * Group members on the in-memory network: homes with mailboxes beside them,
 * every pair of them contacts, each running its GroupService.
 */
import { GroupService } from '../../src/node/groups/group-service.ts';
import { MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import type { AckStatus } from '../../src/node/messaging/wire.ts';
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

/** The acks `service` gives, from now on, to frames `peerId` hands it directly (in order). */
export function acksTo(service: GroupService, peerId: string): AckStatus[] {
  const acks: AckStatus[] = [];
  const receive = service.receive.bind(service);
  service.receive = async (bytes, from) => {
    const status = await receive(bytes, from);
    if (from === peerId) acks.push(status);
    return status;
  };
  return acks;
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

/**
 * The fork scenario of docs/GROUPS.md, "Ordering without a server": alice,
 * bob, carol, dave and erin beside two sets of MAILBOX_REPLICAS mailboxes;
 * alice created 'team' with bob, carol and dave and made bob an admin too.
 * `split()` partitions alice, carol, erin and the first mailboxes from bob,
 * dave and the others, then alice adds erin and bob removes dave at once:
 * two branches of one epoch.
 */
export async function twoAdminTeam(): Promise<GroupWorld & { readonly g: (name: string) => GroupService; readonly split: () => Promise<void> }> {
  const world = await groupWorld(['alice', 'bob', 'carol', 'dave', 'erin'], { mailboxes: 2 * MAILBOX_REPLICAS });
  const g = (name: string): GroupService => world.groups.get(name)!;
  await g('alice').create('team', ['bob', 'carol', 'dave']);
  await world.scheduler.advance(1);
  await g('alice').setAdmins('team', [null, 'bob']);
  await world.scheduler.advance(1);
  const split = async (): Promise<void> => {
    const [alice, bob, carol, dave, erin] = world.homes as [Home, Home, Home, Home, Home];
    const { mailboxes } = world;
    world.hub.partition([alice, carol, erin, ...mailboxes.slice(0, MAILBOX_REPLICAS)].map((h) => h.peerId), [bob, dave, ...mailboxes.slice(MAILBOX_REPLICAS)].map((h) => h.peerId));
    await g('alice').add('team', ['erin']);
    await g('bob').remove('team', 'dave');
    await world.scheduler.advance(1);
  };
  return { ...world, g, split };
}
