/**
 * The mailbox process of the drain benchmark, spawned by it with an IPC
 * channel: `node --import tsx bench/drain/mailboxes.ts <dir> <count>`.
 * It opens `count` mailbox homes under <dir> (as `sotto start --mailbox`: an
 * on-disk level store encrypted at rest, a libp2p node on 127.0.0.1, a
 * MailboxService and a Messenger on it), joined into one network through
 * the first, reports "ready" with their peer ids and addresses, then answers
 * the benchmark's requests (./ipc.ts) until "stop". It exits when the
 * benchmark goes away.
 */
import { join } from 'node:path';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import { bundleRecordDhtHooks } from '../../src/node/bundles/bundle-record.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import { MailboxService } from '../../src/node/mailbox/service.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { openLevelStore } from '../../src/node/store/level.ts';
import type { SottoStore } from '../../src/node/store/store.ts';
import { sendToParent, serveRequests } from '../rpc.ts';
import type { ReadyMessage, RequestMessage, Requests } from './ipc.ts';

/** Loopback only: nothing leaves the machine. */
const LOOPBACK_LISTEN = ['/ip4/127.0.0.1/tcp/0'];
/** The passphrase of every home (each is encrypted at rest, as `sotto init` makes it by default). */
const PASSPHRASE = 'drain benchmark passphrase';
/** The answer frame type of an accepted deposit (docs/PROTOCOL.md §18). */
const RECEIPT = 2;
/** process.cpuUsage() counts microseconds. */
const MICROSECONDS_PER_MS = 1000;

const dir = process.argv[2];
const count = Number(process.argv[3]);
if (!dir || !Number.isInteger(count) || count < 1 || !process.send) {
  console.error('usage: node --import tsx bench/drain/mailboxes.ts <dir> <count> (spawned by the drain benchmark, with an IPC channel)');
  process.exit(2);
}
interface MailboxHome {
  readonly store: SottoStore;
  readonly node: SottoNode;
  readonly mailbox: MailboxService;
  readonly messenger: Messenger;
}

const ctx = await nodeCryptoContext(() => Date.now());
const homes: MailboxHome[] = [];
let closing: Promise<void> | undefined;

/** Closes every home once (messenger, mailbox, node, store). */
function closeAll(): Promise<void> {
  closing ??= (async () => {
    for (const home of homes) {
      await home.messenger.stop().catch(() => {});
      home.mailbox.close();
      await home.node.stop().catch(() => {});
      await home.store.close().catch(() => {});
    }
  })();
  return closing;
}

// The benchmark went away without "stop": do not linger.
process.on('disconnect', () => {
  void closeAll().finally(() => process.exit(0));
});

try {
  for (let i = 0; i < count; i++) {
    const store = await openLevelStore(join(dir, `mailbox-${i}`), ctx, { passphrase: async () => PASSPHRASE, create: 'encrypted' });
    const { identity } = await Messenger.initialise(store, ctx, { name: `mailbox ${i}` });
    const hooks = bundleRecordDhtHooks(ctx);
    const bootstrap = homes.length > 0 ? [homes[0]!.node.addresses()[0]!] : [];
    const node = await createNode({ identity, listen: LOOPBACK_LISTEN, bootstrap, dhtValidators: hooks.validators, dhtSelectors: hooks.selectors });
    const mailbox = await MailboxService.open({ ctx, store, identity, scheduler: realScheduler });
    const messenger = await Messenger.open({ ctx, store, scheduler: realScheduler, network: libp2pNetwork(node), mailbox });
    await messenger.start();
    homes.push({ store, node, mailbox, messenger });
  }
} catch (err) {
  console.error('sotto bench drain: the mailbox process failed to start:', err);
  await closeAll();
  process.exit(1);
}

async function answer(request: RequestMessage): Promise<unknown> {
  switch (request.name) {
    case 'deposit': {
      const { depositor, mailboxKey, items, pass } = request.args as Requests['deposit']['args'];
      return Promise.all(
        homes.map(async ({ mailbox }) => {
          let accepted = 0;
          for (const item of items) if ((await mailbox.deposit(depositor, mailboxKey, item, pass))[1] === RECEIPT) accepted++;
          return accepted;
        }),
      );
    }
    case 'usage': {
      const cpu = process.cpuUsage();
      return { items: homes.map((h) => h.mailbox.usage().items), cpuMs: (cpu.user + cpu.system) / MICROSECONDS_PER_MS } satisfies Requests['usage']['result'];
    }
    case 'stop':
      await closeAll();
      return null;
  }
}

serveRequests(answer);

sendToParent<ReadyMessage>({ ready: true, mailboxes: homes.map((h) => ({ peerId: h.node.peerId, addresses: h.node.addresses() })), pid: process.pid });
