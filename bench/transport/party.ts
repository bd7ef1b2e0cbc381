/**
 * One side of the transport benchmark: a Sotto node on 127.0.0.1 and a
 * Messenger on it, as `sotto start` builds them (createNode, libp2pNetwork,
 * an on-disk level store with synced writes, the Node crypto context, real
 * timers), plus the bare echo protocols of the baseline on the same node.
 */
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import { MailboxService } from '../../src/node/mailbox/service.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { memoryBackend } from '../../src/node/store/backend.ts';
import { openLevelStore } from '../../src/node/store/level.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import { serveBaseline } from './echo.ts';
import { watchStoreWrites, type StoreWatch } from './store-stats.ts';

/** Loopback only: nothing leaves the machine. */
export const LOOPBACK_LISTEN = ['/ip4/127.0.0.1/tcp/0'];

/**
 * The store under a party. The benchmark always uses 'level' (the real
 * thing: level on disk, synced writes where Sotto asks for them); the other
 * two exist to take the store's share out of a measurement when analysing it:
 * 'level-nosync' is level on disk with every write unsynced, 'memory' keeps
 * everything in a Map.
 */
export type StoreMode = 'level' | 'level-nosync' | 'memory';
export const STORE_MODES: readonly StoreMode[] = ['level', 'level-nosync', 'memory'];

async function openStore(dir: string, mode: StoreMode): Promise<SottoStore> {
  if (mode === 'memory') return new SottoStore(memoryBackend()).open();
  const store = await openLevelStore(dir);
  if (mode === 'level-nosync') {
    const backend = (store as unknown as { backend: { batch: (ops: unknown, options: { sync: boolean }) => Promise<void> } }).backend;
    const batch = backend.batch.bind(backend);
    backend.batch = (ops, options) => batch(ops, { ...options, sync: false });
  }
  return store;
}

/** Incoming texts seen through the 'message' event. */
export interface Received {
  /** Texts in arrival order. */
  readonly texts: string[];
  /** When each arrived: performance.timeOrigin + performance.now(), so comparable across processes. */
  readonly at: number[];
}

export interface Party {
  readonly name: string;
  readonly node: SottoNode;
  readonly messenger: Messenger;
  readonly store: SottoStore;
  readonly writes: StoreWatch | undefined;
  readonly received: Received;
  /** Its mailbox, when it was opened with one. */
  readonly mailbox?: MailboxService;
  close(): Promise<void>;
}

/** Wall-clock milliseconds with sub-millisecond resolution, the same clock in every process. */
export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Creates a home in `dir` (a fresh level database; one made before is
 * opened as it is), its node and its messenger, started. `serveEcho` also registers the baseline's protocols.
 * `store` defaults to 'level'. With `mailbox` it also holds mail for others
 * (as `sotto start --mailbox`), bounded to `mailbox.maxTotalBytes`.
 */
export async function openParty(dir: string, name: string, options: { serveEcho: boolean; store?: StoreMode; mailbox?: { maxTotalBytes?: number } }): Promise<Party> {
  const ctx = await nodeCryptoContext(() => Date.now());
  const store = await openStore(dir, options.store ?? 'level');
  let node: SottoNode | undefined;
  try {
    const identity = (await store.getIdentity(ctx)) ?? (await Messenger.initialise(store, ctx, { name })).identity;
    node = await createNode({ identity, listen: LOOPBACK_LISTEN, bootstrap: [] });
    if (options.serveEcho) await serveBaseline(node);
    const mailbox = options.mailbox ? await MailboxService.open({ ctx, store, identity, scheduler: realScheduler, ...options.mailbox }) : undefined;
    const messenger = await Messenger.open({ ctx, store, scheduler: realScheduler, network: libp2pNetwork(node), ...(mailbox ? { mailbox } : {}) });
    const received: Received = { texts: [], at: [] };
    messenger.on('message', (m) => {
      received.texts.push(m.text);
      received.at.push(absoluteNow());
    });
    await messenger.start();
    const writes = watchStoreWrites(store);
    const running = node;
    let closing: Promise<void> | undefined;
    return {
      name,
      node,
      messenger,
      store,
      writes,
      received,
      ...(mailbox ? { mailbox } : {}),
      close: () =>
        (closing ??= (async () => {
          await messenger.stop().catch(() => {});
          await running.stop().catch(() => {});
          await store.close();
        })()),
    };
  } catch (err) {
    await node?.stop().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
}
