/**
 * `npm run bench -- drain [--json] [--quick] [--messages N] [--runs N] [--profile FILE]`: a returning
 * node drains a backlog from its mailboxes (issue 4: 10,000 queued messages
 * fetched, decrypted, durably written and acknowledged in ≤ 3 s).
 *
 * Everything is real except that every machine is this one: five libp2p
 * nodes on 127.0.0.1 (TCP, Noise, Yamux, the private DHT), each home an
 * on-disk level store encrypted at rest, the Node crypto context, real
 * timers. The mailboxes are other machines in reality, so they run in a
 * process of their own (./drain/mailboxes.ts, spawned with an IPC channel;
 * one process holds all three, which suits two cores); while the drain is
 * timed, this process runs only the recipient:
 *
 * - three mailbox homes running MailboxService (as `sotto start --mailbox`),
 *   in the mailbox process;
 * - a sender and a recipient, each a Messenger; they set up their session
 *   over the network (one delivered message each way), then the recipient
 *   goes offline (node stopped, store closed);
 * - the sender, offline too, sends the backlog: each message is encrypted by
 *   its ratchet and queued in its outbox exactly as `sotto send` does. Each
 *   outbox envelope is sealed for the recipient (src/crypto/sealed.ts, one
 *   sealed item per message, the same bytes for every mailbox, as the
 *   courier does), handed to the mailbox process over IPC and deposited
 *   there with every mailbox through MailboxService.deposit (a synced write
 *   and a signed receipt each) in send order. (The courier's placement
 *   would do the same over the DHT, at a few hundred deposits a second: too
 *   slow to set up 30,000 of them.) Then the sender's home is closed.
 *
 * Measured: the recipient comes back (store opened, node started and
 * connected to the network, the mailboxes findable in the DHT), then
 * messenger.start() and fetchMail() — timed from start() until fetchMail()
 * resolves: the DHT lookup of its mailboxes, every item fetched, unsealed,
 * decrypted, written with a synced write and acknowledged on every mailbox.
 * The breakdown sums, over the drain, the time spent in each part; with
 * pipelining the parts overlap, so they need not add up to the total. The
 * CPU time each process used during the drain is reported too: on two
 * cores the mailbox process and the recipient share the machine.
 *
 * `--runs N` repeats the whole run (setup included) N times and reports the
 * median run in full, with the min, median and max and how many runs were
 * within the target: on this VM one run's time varies by ±0.5 s.
 *
 * `--profile FILE` writes a V8 CPU profile of the (first) drain (this
 * process: the recipient only).
 *
 * Checked after (the run fails otherwise): the recipient, reopened from
 * disk, holds exactly the backlog's messages, once each and in send order;
 * every 'message' event came once; every mailbox holds 0 items (asked of
 * the mailbox process over IPC). The mailbox process is stopped (killed if
 * it does not exit) whatever happens.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { join } from 'node:path';
import { nodeCryptoContext } from '../src/app/context.ts';
import { realScheduler } from '../src/app/local.ts';
import type { CryptoContext } from '../src/crypto/context.ts';
import type { Primitives } from '../src/crypto/primitives/types.ts';
import { seal } from '../src/crypto/sealed.ts';
import { fromBase64 } from '../src/node/encoding/base64.ts';
import { signingKeyOfPeerId } from '../src/node/encoding/peer-id.ts';
import { bundleRecordDhtHooks } from '../src/node/bundles/bundle-record.ts';
import { MAILBOX_CANDIDATES, MAILBOX_PROTOCOL, MAILBOX_REPLICAS } from '../src/node/constants.ts';
import { createNode, type SottoNode } from '../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../src/node/transport/libp2p-network.ts';
import { mailboxKeyOf } from '../src/node/mailbox/keys.ts';
import { Messenger } from '../src/node/messaging/messenger.ts';
import type { FramedStream, Network } from '../src/node/transport/network.ts';
import { openLevelStore } from '../src/node/store/level.ts';
import type { SottoStore } from '../src/node/store/store.ts';
import { spawnMailboxes, type MailboxProcess } from './drain/ipc.ts';
import { roundTo, textTable } from './stats.ts';
import { watchStoreWrites, type StoreWriteStats } from './transport/store-stats.ts';

/** The backlog of the target, and of the smoke run. */
const FULL_MESSAGES = 10_000;
const QUICK_MESSAGES = 1_000;
/** The target: the whole drain within this long. */
const DRAIN_TARGET_MS = 3000;

/** Loopback only: nothing leaves the machine. */
const LOOPBACK_LISTEN = ['/ip4/127.0.0.1/tcp/0'];
/** The passphrase of every home (each is encrypted at rest, as `sotto init` makes it by default). */
const PASSPHRASE = 'drain benchmark passphrase';
const SETUP_WAIT_MS = 30_000;
/** Sends queued at once on the offline sender (they share synced writes). */
const SEND_CHUNK = 500;
/** Sealed items handed to the mailbox process per IPC request. */
const DEPOSIT_CHUNK = 1000;
/** How long the returning recipient waits for the DHT to show all its mailboxes, and how often it asks. */
const WARM_TIMEOUT_MS = 30_000;
const WARM_RETRY_MS = 200;
const LOOKUP_TIMEOUT_MS = 10_000;
const MS_PER_SECOND = 1000;
/** process.cpuUsage() counts microseconds. */
const MICROSECONDS_PER_MS = 1000;
/** A text of the backlog: its index, then filler to TEXT_BYTES. */
const TEXT_PREFIX = 'drain ';
const TEXT_BYTES = 100;

/** Most repetitions `--runs` takes (each run sets up its backlog again, ~15 s). */
const MAX_RUNS = 50;

/** Frame type bytes of /sotto/mailbox (after the version byte): docs/PROTOCOL.md §18. */
const FETCH = 4;
const ITEMS = 5;
const ACK = 6;
const ACKED = 7;

function text(index: number): string {
  return `${TEXT_PREFIX}${index} `.padEnd(TEXT_BYTES, '.');
}

/** Where the time of a drain went, ms (sums; parts may overlap). */
interface Breakdown {
  /** DHT lookups of the mailboxes. */
  lookupMs: number;
  /** While a FETCH waited for its ITEMS: the mailbox reading its store, and the transfer (the next FETCH leaves early, so this overlaps the work on a batch). */
  fetchMs: number;
  /** Time the recipient was blocked reading an ITEMS frame: what the early FETCH did not hide. */
  itemsWaitMs: number;
  /** Items fetched (copies included) and ITEMS frames. */
  items: number;
  batches: number;
  /** Inside the recipient's crypto primitives for messages: unsealing and ratchet decryption (not at-rest encryption). */
  cryptoMs: number;
  /** While an ACK waited for its ACKED: the mailbox deleting the items (copies on the later mailboxes included, in the background). */
  ackMs: number;
}

/**
 * Times every primitive of `primitives` into `sink.cryptoMs`: the time until
 * each call returns. The asynchronous ones (X25519, Ed25519) do their work
 * before returning a settled promise, so waiting for it is not counted.
 */
function timedPrimitives(primitives: Primitives, sink: { cryptoMs: number }): Primitives {
  const timed: Record<string, unknown> = { name: primitives.name };
  for (const key of Object.keys(primitives) as (keyof Primitives)[]) {
    const fn = primitives[key];
    if (typeof fn !== 'function') continue;
    timed[key] = (...args: unknown[]) => {
      const start = performance.now();
      try {
        return (fn as (...a: unknown[]) => unknown).apply(primitives, args);
      } finally {
        sink.cryptoMs += performance.now() - start;
      }
    };
  }
  return timed as unknown as Primitives;
}

/**
 * Wall time during which at least one request of a kind waits for its
 * answer: requests sent together (an ACK with the next FETCH, or many ACKs)
 * count once, not once each.
 */
class Outstanding {
  private open = 0;
  private since = 0;
  ms = 0;
  start(): void {
    if (this.open++ === 0) this.since = performance.now();
  }
  end(): void {
    if (--this.open === 0) this.ms += performance.now() - this.since;
  }
}

/** A mailbox stream that adds its fetch and ack round trips to `sink` (answers come in request order). */
function timedMailboxStream(stream: FramedStream, sink: Breakdown): FramedStream {
  const waiting: number[] = [];
  const fetching = new Outstanding();
  const acking = new Outstanding();
  const sent = (frame: Uint8Array): void => {
    waiting.push(frame[1]!);
    if (frame[1] === FETCH) fetching.start();
    else if (frame[1] === ACK) acking.start();
  };
  let counted = { fetch: 0, ack: 0 };
  const settle = (): void => {
    sink.fetchMs += fetching.ms - counted.fetch;
    sink.ackMs += acking.ms - counted.ack;
    counted = { fetch: fetching.ms, ack: acking.ms };
  };
  return {
    read: async (options) => {
      const called = performance.now();
      const frame = await stream.read(options);
      const request = waiting.shift();
      if (request === FETCH && frame[1] === ITEMS) {
        sink.itemsWaitMs += performance.now() - called;
        fetching.end();
        sink.batches++;
        sink.items += (frame[3]! << 8) | frame[4]!;
      } else if (request === ACK && frame[1] === ACKED) acking.end();
      settle();
      return frame;
    },
    write: async (frame, options) => {
      sent(frame);
      return stream.write(frame, options);
    },
    writeMany: async (frames, options) => {
      for (const frame of frames) sent(frame);
      return stream.writeMany(frames, options);
    },
    close: () => stream.close(),
    abort: (err) => stream.abort(err),
  };
}

function timedNetwork(network: Network, sink: Breakdown): Network {
  return {
    ...network,
    open: async (peerId, protocol, max, options) => {
      const stream = await network.open(peerId, protocol, max, options);
      return protocol === MAILBOX_PROTOCOL ? timedMailboxStream(stream, sink) : stream;
    },
    closestPeers: async (key, count, options) => {
      const start = performance.now();
      try {
        return await network.closestPeers(key, count, options);
      } finally {
        sink.lookupMs += performance.now() - start;
      }
    },
  };
}

/** One home of this process: its store and node (and messenger once opened). */
interface Home {
  readonly dir: string;
  store: SottoStore;
  node: SottoNode;
  messenger?: Messenger;
}

async function openStore(dir: string, ctx: CryptoContext): Promise<SottoStore> {
  return openLevelStore(dir, ctx, { passphrase: async () => PASSPHRASE, create: 'encrypted' });
}

async function startNode(store: SottoStore, ctx: CryptoContext, bootstrap: readonly string[]): Promise<SottoNode> {
  const identity = (await store.getIdentity(ctx))!;
  const hooks = bundleRecordDhtHooks(ctx);
  return createNode({ identity, listen: LOOPBACK_LISTEN, bootstrap: [...bootstrap], dhtValidators: hooks.validators, dhtSelectors: hooks.selectors });
}

async function newHome(dir: string, ctx: CryptoContext, name: string, bootstrap: readonly string[]): Promise<Home> {
  const store = await openStore(dir, ctx);
  await Messenger.initialise(store, ctx, { name });
  return { dir, store, node: await startNode(store, ctx, bootstrap) };
}

async function closeHome(home: Home): Promise<void> {
  await home.messenger?.stop().catch(() => {});
  await home.node.stop().catch(() => {});
  await home.store.close().catch(() => {});
}

/** Waits until a lookup of `key` from `network` names every peer of `expected`. */
async function waitUntilFindable(network: Network, key: Uint8Array, expected: readonly string[]): Promise<void> {
  const until = performance.now() + WARM_TIMEOUT_MS;
  for (;;) {
    let found: string[] = [];
    try {
      found = await network.closestPeers(key, MAILBOX_CANDIDATES, { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) });
    } catch {
      // not yet
    }
    if (expected.every((p) => found.includes(p))) return;
    if (performance.now() > until) throw new Error(`the DHT shows ${found.filter((p) => expected.includes(p)).length} of ${expected.length} mailboxes`);
    await new Promise((resolve) => setTimeout(resolve, WARM_RETRY_MS));
  }
}

/** What one drain measured and what the checks found. */
export interface DrainRun {
  readonly messages: number;
  readonly ms: number;
  readonly breakdown: Breakdown;
  readonly writes: StoreWriteStats | null;
  /** What fetchMail() resolved to (items received from every mailbox, copies included). */
  readonly fetched: number;
  /**
   * After the run: messages of the backlog on the recipient's disk; whether
   * they are every text once, in the order the sender's ratchet sent them
   * (its outbox order, which is also deposit order); 'message' events;
   * items left on the mailboxes.
   */
  readonly stored: number;
  readonly inOrder: boolean;
  readonly events: number;
  readonly mailboxItemsLeft: number;
  /** Setup: sending and depositing the backlog, ms. */
  readonly setupMs: number;
  /** CPU time (user + system) used during the drain by this process (the recipient) and by the mailbox process, ms. */
  readonly recipientCpuMs: number;
  readonly mailboxCpuMs: number;
}

/** Sets up the homes and the backlog, drains it, checks the result. */
export async function runDrain(messages: number, options: { profile?: string } = {}): Promise<DrainRun> {
  const root = await mkdtemp(join(os.tmpdir(), 'sotto-bench-drain-'));
  const ctx = await nodeCryptoContext(() => Date.now());
  const homes: Home[] = [];
  let mailboxProcess: MailboxProcess | undefined;
  try {
    const setupStart = performance.now();
    // Three mailboxes in a process of their own, joined into one network through the first.
    mailboxProcess = await spawnMailboxes(join(root, 'mailboxes'), MAILBOX_REPLICAS);
    const mailboxPeers = mailboxProcess.mailboxes.map((m) => m.peerId);
    const bootstrap = mailboxProcess.mailboxes.map((m) => m.addresses[0]!);

    // Sender and recipient meet once: one delivered message each way sets up the session.
    const sender = await newHome(join(root, 'sender'), ctx, 'sender', bootstrap);
    homes.push(sender);
    const recipient = await newHome(join(root, 'recipient'), ctx, 'recipient', bootstrap);
    homes.push(recipient);
    for (const home of [sender, recipient]) {
      home.messenger = await Messenger.open({ ctx, store: home.store, scheduler: realScheduler, network: libp2pNetwork(home.node) });
      await home.messenger.start();
    }
    const senderMessenger = sender.messenger!;
    const recipientPeerId = recipient.node.peerId;
    const senderPeerId = sender.node.peerId;
    await senderMessenger.addContact('recipient', recipientPeerId, { addresses: recipient.node.addresses() });
    await recipient.messenger!.addContact('sender', senderPeerId, { addresses: sender.node.addresses() });
    const there = await senderMessenger.send('recipient', 'hello', { waitMs: SETUP_WAIT_MS });
    const back = await recipient.messenger!.send('sender', 'hello back', { waitMs: SETUP_WAIT_MS });
    if (there.status !== 'delivered' || back.status !== 'delivered') throw new Error(`session setup failed: ${there.status} / ${back.status}`);

    // Both go offline; the sender writes the backlog, which goes to the mailboxes.
    await closeHome(recipient);
    homes.splice(homes.indexOf(recipient), 1);
    await senderMessenger.stop();
    await sender.node.stop();
    sender.messenger = await Messenger.open({ ctx, store: sender.store, scheduler: realScheduler });
    for (let i = 0; i < messages; i += SEND_CHUNK) {
      const chunk = Array.from({ length: Math.min(SEND_CHUNK, messages - i) }, (_, j) => sender.messenger!.send('recipient', text(i + j)));
      await Promise.all(chunk);
    }
    const session = (await sender.store.getSession(recipientPeerId))!;
    const recipientDhKey = session.sessions[0]!.remoteIdentity.dhKey;
    const senderBytes = new TextEncoder().encode(senderPeerId);
    const entries = (await sender.store.listOutbox()).filter((e) => e.kind === 'text' && e.envelope !== null && e.peerId === recipientPeerId);
    if (entries.length !== messages) throw new Error(`the sender queued ${entries.length} of ${messages} messages`);
    const sentOrder = entries.map((e) => e.messageId);
    const items: Uint8Array[] = [];
    for (const entry of entries) items.push(await seal(ctx, recipientDhKey, senderBytes, fromBase64(entry.envelope!)));
    const mailboxKey = mailboxKeyOf(ctx.primitives, recipientPeerId);
    // The recipient's mailbox pass, which it sent the sender while both were online: its contact's deposits count against its own box.
    const heldPass = (await sender.store.getContactByPeer(recipientPeerId))?.pass;
    if (!heldPass) throw new Error('the sender holds no mailbox pass from the recipient');
    const pass = { recipientKey: signingKeyOfPeerId(recipientPeerId), expiresAt: heldPass.expiresAt, signature: fromBase64(heldPass.signature) };
    for (let i = 0; i < items.length; i += DEPOSIT_CHUNK) {
      const chunk = items.slice(i, i + DEPOSIT_CHUNK);
      const accepted = await mailboxProcess.request('deposit', { depositor: senderPeerId, mailboxKey, items: chunk, pass });
      if (accepted.some((n) => n !== chunk.length)) throw new Error('a mailbox refused a deposit');
    }
    await closeHome(sender);
    homes.splice(homes.indexOf(sender), 1);
    const held = (await mailboxProcess.request('usage', {})).items;
    if (held.some((n) => n !== messages)) throw new Error(`the mailboxes hold ${held.join(', ')} items`);
    const setupMs = performance.now() - setupStart;

    // The recipient returns: its home, its node, connected, the mailboxes findable.
    const back2: Home = { dir: recipient.dir, store: await openStore(recipient.dir, ctx), node: undefined as unknown as SottoNode };
    back2.node = await startNode(back2.store, ctx, bootstrap);
    homes.push(back2);
    await back2.node.bootstrap();
    await waitUntilFindable(libp2pNetwork(back2.node), mailboxKey, mailboxPeers);
    const breakdown: Breakdown = { lookupMs: 0, fetchMs: 0, itemsWaitMs: 0, items: 0, batches: 0, cryptoMs: 0, ackMs: 0 };
    const timedCtx: CryptoContext = { ...ctx, primitives: timedPrimitives(ctx.primitives, breakdown) };
    back2.messenger = await Messenger.open({ ctx: timedCtx, store: back2.store, scheduler: realScheduler, network: timedNetwork(libp2pNetwork(back2.node), breakdown) });
    let events = 0;
    back2.messenger.on('message', (m) => {
      if (m.peerId === senderPeerId && m.text.startsWith(TEXT_PREFIX)) events++;
    });
    const writes = watchStoreWrites(back2.store);
    breakdown.cryptoMs = 0;
    const profiler = options.profile ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const mailboxCpuBefore = (await mailboxProcess.request('usage', {})).cpuMs;
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    await back2.messenger.start();
    const fetched = await back2.messenger.fetchMail();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpuBefore);
    const after = await mailboxProcess.request('usage', {});
    if (profiler && options.profile) {
      const { profile } = await profiler.post('Profiler.stop');
      await writeFile(options.profile, JSON.stringify(profile));
      profiler.disconnect();
    }
    const written = writes?.stats() ?? null;

    // Checks: what is on disk after a reopen, and what the mailboxes still hold.
    const mailboxItemsLeft = after.items.reduce((n, items) => n + items, 0);
    await closeHome(back2);
    homes.splice(homes.indexOf(back2), 1);
    const reopened = await openStore(recipient.dir, ctx);
    let stored = 0;
    let inOrder = true;
    try {
      const backlog = (await reopened.listMessages(senderPeerId)).filter((m) => m.direction === 'in' && m.text.startsWith(TEXT_PREFIX));
      stored = backlog.length;
      const texts = new Set(backlog.map((m) => m.text));
      inOrder = texts.size === messages && Array.from({ length: messages }, (_, i) => texts.has(text(i))).every(Boolean) && backlog.every((m, i) => m.id === sentOrder[i]);
    } finally {
      await reopened.close();
    }
    return {
      messages,
      ms,
      breakdown,
      writes: written,
      fetched,
      stored,
      inOrder,
      events,
      mailboxItemsLeft,
      setupMs,
      recipientCpuMs: (cpu.user + cpu.system) / MICROSECONDS_PER_MS,
      mailboxCpuMs: after.cpuMs - mailboxCpuBefore,
    };
  } finally {
    for (const home of homes) await closeHome(home);
    await mailboxProcess?.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** Whether the drain delivered the whole backlog, once each, in order, and emptied the mailboxes. */
export function drainCorrect(run: DrainRun): boolean {
  return run.stored === run.messages && run.inOrder && run.events === run.messages && run.mailboxItemsLeft === 0;
}

/** Runs the benchmark with its command-line arguments; resolves to the exit code. */
export async function runDrainBench(args: readonly string[]): Promise<number> {
  const json = args.includes('--json');
  const quick = args.includes('--quick');
  const at = args.indexOf('--messages');
  const messages = at >= 0 ? Number(args[at + 1]) : quick ? QUICK_MESSAGES : FULL_MESSAGES;
  if (!Number.isInteger(messages) || messages < 1) {
    console.error('sotto bench drain: --messages needs a positive whole number');
    return 2;
  }
  const runsAt = args.indexOf('--runs');
  const runCount = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
  if (!Number.isInteger(runCount) || runCount < 1 || runCount > MAX_RUNS) {
    console.error(`sotto bench drain: --runs needs a whole number from 1 to ${MAX_RUNS}`);
    return 2;
  }
  const profileAt = args.indexOf('--profile');
  const profile = profileAt >= 0 ? args[profileAt + 1] : undefined;
  const seconds = (ms: number): string => `${(ms / MS_PER_SECOND).toFixed(2)} s`;
  const runs: DrainRun[] = [];
  for (let i = 0; i < runCount; i++) {
    runs.push(await runDrain(messages, i === 0 && profile ? { profile } : {}));
    if (runCount > 1) console.error(`run ${i + 1} of ${runCount}: ${seconds(runs[i]!.ms)}`);
  }
  const byTime = [...runs].sort((a, b) => a.ms - b.ms);
  // The median run (the lower middle one for an even count) is reported in full.
  const run = byTime[Math.floor((byTime.length - 1) / 2)]!;
  const within = runs.filter((r) => r.ms <= DRAIN_TARGET_MS).length;
  const ok = runs.every(drainCorrect);
  const b = run.breakdown;
  const w = run.writes;
  if (json) {
    console.log(
      JSON.stringify({
        bench: 'drain',
        case: 'drain',
        unit: 'ms',
        sotto: roundTo(run.ms, 1),
        target: DRAIN_TARGET_MS,
        rule: 'sotto <= target',
        met: run.ms <= DRAIN_TARGET_MS,
        runs: runs.map((r) => roundTo(r.ms, 1)),
        runsWithinTarget: within,
        targetMessages: FULL_MESSAGES,
        messages: run.messages,
        network: `libp2p loopback; mailboxes in a separate process (one process holds all ${MAILBOX_REPLICAS}), the recipient alone in this one`,
        recipientCpuMs: roundTo(run.recipientCpuMs, 1),
        mailboxCpuMs: roundTo(run.mailboxCpuMs, 1),
        fetched: run.fetched,
        stored: run.stored,
        inOrder: run.inOrder,
        events: run.events,
        mailboxItemsLeft: run.mailboxItemsLeft,
        breakdown: {
          lookupMs: roundTo(b.lookupMs, 1),
          fetchMs: roundTo(b.fetchMs, 1),
          itemsWaitMs: roundTo(b.itemsWaitMs, 1),
          fetchBatches: b.batches,
          itemsFetched: b.items,
          cryptoMs: roundTo(b.cryptoMs, 1),
          storeBatchMs: w ? roundTo(w.batchMs, 1) : null,
          syncBatches: w ? w.syncBatches : null,
          commits: w ? w.commits : null,
          ackMs: roundTo(b.ackMs, 1),
        },
      }),
    );
  } else {
    const verdict = run.ms <= DRAIN_TARGET_MS ? 'met' : `not met, ${seconds(run.ms - DRAIN_TARGET_MS)} over (${(run.ms / DRAIN_TARGET_MS).toFixed(1)}×)`;
    console.log(`drain: ${run.messages.toLocaleString('en')} queued messages, ${MAILBOX_REPLICAS} mailboxes; libp2p on 127.0.0.1; level stores on disk, encrypted at rest`);
    console.log(`setting: mailboxes in a separate process (one child process holds all ${MAILBOX_REPLICAS}, on ${os.availableParallelism()} cores); while timed, this process runs only the recipient`);
    console.log(`setup (session, backlog sent, sealed, deposited with every mailbox): ${seconds(run.setupMs)}\n`);
    if (runs.length > 1) {
      console.log(`${runs.length} runs: min ${seconds(byTime[0]!.ms)}, median ${seconds(run.ms)}, max ${seconds(byTime.at(-1)!.ms)}; ${within} of ${runs.length} within ${seconds(DRAIN_TARGET_MS)}. The median run:\n`);
    }
    console.log(`start() → fetchMail() resolved: ${seconds(run.ms)}   target ≤ ${seconds(DRAIN_TARGET_MS)} for ${FULL_MESSAGES.toLocaleString('en')}: ${run.messages === FULL_MESSAGES ? verdict : 'not this size (use the full run)'}\n`);
    console.log(
      textTable(
        ['part (sums; they overlap when pipelined)', 'time', 'detail'],
        [
          ['DHT lookup of the mailboxes', seconds(b.lookupMs), ''],
          ['fetch (FETCH → ITEMS)', seconds(b.fetchMs), `${b.batches} batches, ${b.items} items incl. copies`],
          ['  of which the recipient waited for ITEMS', seconds(b.itemsWaitMs), 'the rest overlapped its work'],
          ['unseal + decrypt (crypto primitives)', seconds(b.cryptoMs), ''],
          ['store writes (inside the database)', w ? seconds(w.batchMs) : 'n/a', w ? `${w.commits} commits in ${w.batches} batches, ${w.syncBatches} synced` : ''],
          ['acks (ACK → ACKED)', seconds(b.ackMs), 'incl. copies deleted in the background'],
        ],
      ),
    );
    console.log(`\nCPU during the drain (user + system): recipient process ${seconds(run.recipientCpuMs)}, mailbox process ${seconds(run.mailboxCpuMs)}`);
    console.log(`\nchecked: ${run.stored} of ${run.messages} stored after a reopen, ${run.inOrder ? 'in send order' : 'OUT OF ORDER'}; ${run.events} 'message' events; ${run.mailboxItemsLeft} items left on the mailboxes`);
  }
  if (!ok) console.error('sotto bench drain: the drain was incomplete, out of order or left mail behind');
  return ok ? 0 : 1;
}
