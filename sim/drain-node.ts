/**
 * The drain recipient, in its own process (its own core of the two): the
 * returning node that finds a backlog in its mailboxes. Spawned by
 * ./drain.ts with an IPC channel:
 *
 *   node --import tsx sim/drain-node.ts '<json DrainNodeArgs>'
 *
 * It opens its home (an on-disk level store, synced writes), starts its
 * libp2p node bootstrapped to a few peers of the simulation, opens its
 * Messenger without starting it, and reports "ready". Then, on request:
 * - 'add-contact', 'start' (messenger.start), 'send', 'events' (the
 *   'message' events so far): to set up the session both ways;
 * - 'drain': messenger.start(), then fetchMail() timed from its call to its
 *   completion (every item fetched, unsealed, decrypted, written with a
 *   synced write, acknowledged so the mailbox deletes it), optionally under
 *   the V8 CPU profiler (the same sampling profiler as node --cpu-prof,
 *   scoped to the drain by the inspector);
 * - 'stop'.
 * The parent kills it with SIGKILL after a drain and reopens the store:
 * whatever was acknowledged must be on disk.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { nodeCryptoContext } from '../src/app/context.ts';
import { bundleRecordDhtHooks } from '../src/node/bundles/bundle-record.ts';
import { MAILBOX_REPLICAS } from '../src/node/constants.ts';
import { createNode } from '../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../src/node/transport/libp2p-network.ts';
import { Messenger } from '../src/node/messaging/messenger.ts';
import { openLevelStore } from '../src/node/store/level.ts';
import { SimClock, sleep, wallNow, type ClockParams } from './clock.ts';
import { watchStoreWrites, type StoreWriteStats } from '../bench/transport/store-stats.ts';
import { instrumentNetwork, type FetchPhases } from './instrument.ts';
import { serveRequests } from './ipc.ts';
import { Recorder } from './recorder.ts';

export interface DrainNodeArgs {
  readonly dir: string;
  readonly bootstrap: readonly string[];
  readonly clock: ClockParams;
  readonly mailboxes: readonly string[];
  /** The home's passphrase (it is encrypted at rest, as `sotto init` makes it by default). */
  readonly passphrase: string | null;
}

/** A 'message' event seen by the drain recipient. */
export interface DrainEvent {
  readonly id: string;
  readonly peerId: string;
  readonly text: string;
  readonly at: number;
}

export interface DrainResult {
  /** fetchMail() call to completion, ms. */
  readonly ms: number;
  /** What fetchMail() resolved to: items received from every mailbox (copies included). */
  readonly items: number;
  readonly events: readonly DrainEvent[];
  /** The DHT lookup of the mailboxes, ms. */
  readonly lookupMs: number | null;
  /** Each mailbox's stream: its peer id, how long it was open, items it delivered, where the time went, in order. */
  readonly mailboxes: readonly ({ peerId: string; ms: number; items: number } & FetchPhases)[];
  /** The drain recipient's store during the drain: transactions, batches written, synced ones, time inside the database's batch(). */
  readonly writes: StoreWriteStats | null;
  /** Node start to "ready" (connected, routing table warm), ms. */
  readonly readyMs: number;
  readonly profile: string | null;
}

export interface DrainRequests {
  'add-contact': { args: { name: string; peerId: string }; result: null };
  start: { args: Record<string, never>; result: null };
  events: { args: Record<string, never>; result: DrainEvent[] };
  send: { args: { name: string; text: string; waitMs: number }; result: { id: string; status: string } };
  drain: { args: { profile: string | null }; result: DrainResult };
  stop: { args: Record<string, never>; result: null };
}

export interface DrainReady {
  readonly peerId: string;
  readonly address: string;
}

/** Before "ready", a lookup must return this many peers (MAILBOX_REPLICAS), within this long. */
const WARM_PEERS = MAILBOX_REPLICAS;
const WARM_TIMEOUT_MS = 15_000;
const WARM_RETRY_MS = 250;

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? 'null') as DrainNodeArgs | null;
  if (!args || !process.send) {
    console.error('usage: node --import tsx sim/drain-node.ts <json> (spawned by the simulation, with an IPC channel)');
    process.exit(2);
  }
  const began = wallNow();
  const clock = new SimClock(args.clock);
  const ctx = await nodeCryptoContext(clock.now);
  const passphrase = args.passphrase;
  const store = await openLevelStore(args.dir, ctx, passphrase === null ? {} : { passphrase: async () => passphrase });
  const identity = (await store.getIdentity(ctx))!;
  const hooks = bundleRecordDhtHooks(ctx);
  const node = await createNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [...args.bootstrap], dhtValidators: hooks.validators, dhtSelectors: hooks.selectors });
  const recorder = new Recorder();
  const streams: ({ peerId: string; ms: number; items: number } & FetchPhases)[] = [];
  const mailboxes = new Set(args.mailboxes);
  const network = instrumentNetwork(libp2pNetwork(node), 'drain-recipient', recorder, {
    isMailbox: (p) => mailboxes.has(p),
    onMailboxStream: (peerId, ms, items, phases) => streams.push({ peerId, ms, items, ...phases }),
  }, ctx.primitives);
  const messenger = await Messenger.open({ ctx, store, scheduler: clock.scheduler, network });
  const writes = watchStoreWrites(store);
  const events: DrainEvent[] = [];
  messenger.on('message', (m) => events.push({ id: m.id, peerId: m.peerId, text: m.text, at: wallNow() }));

  // A returning node first reconnects: its bootstrap peers, then until a lookup of a random key
  // answers with at least k peers (a fresh routing table is empty until identify and pings fill it).
  await node.bootstrap();
  const warmUntil = wallNow() + WARM_TIMEOUT_MS;
  for (;;) {
    let found = 0;
    try {
      for await (const event of node.libp2p.services.dht.getClosestPeers(ctx.randomBytes(32), { signal: AbortSignal.timeout(WARM_TIMEOUT_MS) })) if (event.name === 'FINAL_PEER') found++;
    } catch {
      // not yet
    }
    if (found >= WARM_PEERS || wallNow() > warmUntil) break;
    await sleep(WARM_RETRY_MS);
  }
  const readyMs = wallNow() - began;

  let started = false;
  const start = async (): Promise<void> => {
    if (started) return;
    started = true;
    await messenger.start();
  };
  const close = async (): Promise<void> => {
    await messenger.stop().catch(() => {});
    await node.stop().catch(() => {});
    await store.close().catch(() => {});
  };

  const ipc = serveRequests<DrainRequests>(
    {
      'add-contact': async ({ name, peerId }) => {
        await messenger.addContact(name, peerId);
        return null;
      },
      start: async () => {
        await start();
        return null;
      },
      events: async () => events,
      send: async ({ name, text, waitMs }) => {
        const sent = await messenger.send(name, text, { waitMs });
        return { id: sent.id, status: sent.status };
      },
      drain: async ({ profile }) => {
        const session = profile ? new Session() : undefined;
        if (session) {
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 200 });
        }
        await start();
        recorder.lookups.length = 0;
        streams.length = 0;
        writes?.reset();
        if (session) await session.post('Profiler.start');
        const t0 = performance.now();
        const items = await messenger.fetchMail();
        const ms = performance.now() - t0;
        const written = writes?.stats() ?? null;
        if (session && profile) {
          const { profile: cpu } = await session.post('Profiler.stop');
          await writeFile(profile, JSON.stringify(cpu));
          session.disconnect();
        }
        const lookup = recorder.lookups.find((l) => l.kind === 'closest-traffic');
        return { ms, items, events, lookupMs: lookup ? lookup.ms : null, mailboxes: streams, writes: written, readyMs, profile };
      },
      stop: async () => {
        await close();
        return null;
      },
    },
    close,
  );
  const ready: DrainReady = { peerId: node.peerId, address: node.addresses()[0]! };
  ipc.ready(ready);
}

await main();
