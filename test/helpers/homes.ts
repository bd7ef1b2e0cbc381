/**
 * Sotto homes on an in-memory network: each has its own store (which
 * survives restarts of its messenger; encrypted at rest with `atRest`), can
 * run a mailbox, and can go offline and come back.
 */
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { MailboxService } from '../../src/node/mailbox/service.ts';
import { MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import { memoryBackend, type KvBackend, type ValueCodec } from '../../src/node/store/backend.ts';
import type { KeyNames } from '../../src/node/store/keys.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import type { MessageRecord } from '../../src/node/store/records.ts';
import { testClock, testContext, type TestClock } from './context.ts';
import { MemoryHub } from './memory-network.ts';
import { ManualScheduler } from './scheduler.ts';

/** One Sotto home in memory. */
export class Home {
  readonly backend: KvBackend = memoryBackend();
  readonly store: SottoStore;
  messenger!: Messenger;
  mailbox: MailboxService | undefined;
  readonly received: MessageRecord[] = [];
  peerId = '';
  private starts = 0;

  constructor(
    readonly name: string,
    readonly hub: MemoryHub,
    readonly clock: TestClock,
    readonly scheduler: ManualScheduler,
    readonly options: { mailbox?: boolean; atRest?: { values: ValueCodec; names: KeyNames } } = {},
  ) {
    this.store = new SottoStore(this.backend, options.atRest?.values, options.atRest?.names);
  }

  /** Creates the identity and starts the messenger online. */
  async init(): Promise<this> {
    await this.store.open();
    this.peerId = (await Messenger.initialise(this.store, testContext(`init:${this.name}`, { clock: this.clock }), { name: this.name })).peerId;
    return this.start();
  }

  /** (Re)starts the messenger on the same store, online. */
  async start(): Promise<this> {
    const ctx = testContext(`run:${this.name}:${++this.starts}`, { clock: this.clock });
    const identity = (await this.store.getIdentity(ctx))!;
    this.peerId = peerIdOfIdentity(identity.public);
    this.mailbox = this.options.mailbox ? await MailboxService.open({ ctx, store: this.store, identity, scheduler: this.scheduler }) : undefined;
    this.messenger = await Messenger.open({ ctx, store: this.store, scheduler: this.scheduler, network: this.hub.network(this.peerId), ...(this.mailbox ? { mailbox: this.mailbox } : {}) });
    this.messenger.on('message', (m) => this.received.push(m));
    await this.messenger.start();
    this.hub.goOnline(this.peerId);
    return this;
  }

  /** Stops the messenger and takes the home off the network. */
  async stop(): Promise<void> {
    await this.messenger.stop();
    this.hub.remove(this.peerId);
  }

  /** Every stored byte of this home's database, as text (to look for plaintext). */
  async rawDump(): Promise<string> {
    let out = '';
    for await (const [key, value] of this.backend.entries({ gte: '', lt: '\uffff' })) out += `${key}=${Buffer.from(value).toString('latin1')}\n`;
    return out;
  }
}

/** Homes named `names` on one new in-memory network, initialised and online, with the clock and scheduler they share. */
export async function homesOnOneHub(...names: string[]): Promise<{ hub: MemoryHub; clock: TestClock; scheduler: ManualScheduler; homes: Home[] }> {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  const homes: Home[] = [];
  for (const name of names) homes.push(await new Home(name, hub, clock, scheduler).init());
  return { hub, clock, scheduler, homes };
}

/**
 * Alice and Bob, contacts of each other, beside `mailboxes` mailbox homes on
 * one new in-memory network; each has delivered its profile and mailbox pass
 * to the other.
 */
export async function contactsWithMailboxes(mailboxes = MAILBOX_REPLICAS): Promise<{ hub: MemoryHub; clock: TestClock; scheduler: ManualScheduler; boxes: Home[]; alice: Home; bob: Home }> {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  const boxes: Home[] = [];
  for (let i = 0; i < mailboxes; i++) boxes.push(await new Home(`mailbox-${i}`, hub, clock, scheduler, { mailbox: true }).init());
  const alice = await new Home('alice', hub, clock, scheduler).init();
  const bob = await new Home('bob', hub, clock, scheduler).init();
  await alice.messenger.addContact('bob', bob.peerId);
  await bob.messenger.addContact('alice', alice.peerId);
  await scheduler.advance(1); // each delivers its profile and mailbox pass to the other
  return { hub, clock, scheduler, boxes, alice, bob };
}
