/**
 * Real Sotto nodes in one test process (libp2p on loopback, stores in
 * memory): messengers with their inbox, mailboxes, and bare libp2p nodes
 * with an identity of their own for attackers that speak raw bytes. One
 * {@link LiveParties} per test file; `stop()` in `after`.
 */
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import type { IdentityKeyPair } from '../../src/crypto/identity.ts';
import type { Core } from '../../src/node/core/core.ts';
import { MailboxService } from '../../src/node/mailbox/service.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { memoryBackend } from '../../src/node/store/backend.ts';
import type { MessageRecord } from '../../src/node/store/records.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';

/** Where test nodes listen: loopback, any port. */
export const LOOPBACK = ['/ip4/127.0.0.1/tcp/0'];

/** A running messenger on a real node. */
export interface LiveParty {
  readonly node: SottoNode;
  readonly messenger: Messenger;
  readonly store: SottoStore;
  /** Every 'message' event, in order. */
  readonly inbox: MessageRecord[];
  readonly mailbox?: MailboxService;
}

/** The messenger's shared state, for tests that reach below the API. */
export function coreOf(messenger: Messenger): Core {
  return (messenger as unknown as { core: Core }).core;
}

/** The nodes and messengers of one test file. */
export class LiveParties {
  private readonly parties: LiveParty[] = [];
  private readonly bare: SottoNode[] = [];

  /** A messenger on a new node (a mailbox too with `mailbox`, holding at most `maxTotalBytes`). */
  async party(name: string, bootstrap: readonly string[], options: { mailbox?: boolean; maxTotalBytes?: number } = {}): Promise<LiveParty> {
    const ctx = await nodeCryptoContext(() => Date.now());
    const store = await new SottoStore(memoryBackend()).open();
    const { identity } = await Messenger.initialise(store, ctx, { name });
    const node = await createNode({ identity, listen: LOOPBACK, bootstrap: [...bootstrap] });
    const mailbox = options.mailbox
      ? await MailboxService.open({ ctx, store, identity, scheduler: realScheduler, ...(options.maxTotalBytes === undefined ? {} : { maxTotalBytes: options.maxTotalBytes }) })
      : undefined;
    const messenger = await Messenger.open({ ctx, store, scheduler: realScheduler, network: libp2pNetwork(node), ...(mailbox ? { mailbox } : {}) });
    const inbox: MessageRecord[] = [];
    messenger.on('message', (m) => inbox.push(m));
    await messenger.start();
    const party = { node, messenger, store, inbox, ...(mailbox ? { mailbox } : {}) };
    this.parties.push(party);
    return party;
  }

  /** A bare libp2p node with an identity of its own and no messenger: it speaks whatever bytes the test sends. */
  async attacker(bootstrap: readonly string[], name = 'mallory'): Promise<{ node: SottoNode; identity: IdentityKeyPair }> {
    const ctx = await nodeCryptoContext(() => Date.now());
    const { identity } = await Messenger.initialise(await new SottoStore(memoryBackend()).open(), ctx, { name });
    const node = await createNode({ identity, listen: LOOPBACK, bootstrap: [...bootstrap] });
    this.bare.push(node);
    return { node, identity };
  }

  /** Stops every node and messenger made here. */
  async stop(): Promise<void> {
    for (const node of this.bare) await node.stop().catch(() => {});
    for (const { node, messenger } of this.parties) {
      await messenger.stop().catch(() => {});
      await node.stop().catch(() => {});
    }
  }
}
