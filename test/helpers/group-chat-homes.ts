/**
 * Homes on the in-memory network that can hold groups: mailbox nodes for
 * the offline, people who are each other's contacts, each with its
 * GroupService started and the key packages exchanged.
 */
import { GroupService } from '../../src/node/groups/group-service.ts';
import { MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import { testClock } from './context.ts';
import { Home } from './homes.ts';
import { MemoryHub } from './memory-network.ts';
import { ManualScheduler } from './scheduler.ts';

/** `names` as homes on one hub, every one a contact of every other, their group services by name. */
export async function groupHomes(names: readonly string[]) {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  for (let i = 0; i < MAILBOX_REPLICAS; i++) await new Home(`mailbox-${i}`, hub, clock, scheduler, { mailbox: true }).init();
  const homes: Home[] = [];
  for (const name of names) homes.push(await new Home(name, hub, clock, scheduler).init());
  for (const a of homes) for (const b of homes) if (a !== b) await a.messenger.addContact(b.name, b.peerId);
  const groups = new Map<string, GroupService>();
  for (const home of homes) {
    const service = await GroupService.open(home.messenger);
    await service.start();
    groups.set(home.name, service);
  }
  await scheduler.advance(1);
  for (const g of groups.values()) await g.upkeepKeyPackages();
  await scheduler.advance(1);
  return { hub, clock, scheduler, homes, groups };
}
