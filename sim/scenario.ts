/**
 * The simulation's coordinator. It runs no node itself: the nodes live in
 * host processes (./host.ts, two by default: one per core), the drain
 * recipient in a process of its own (./drain-node.ts); this process draws
 * the schedule, tells them what to do, and records what they report.
 *
 * The phases, in order:
 *
 * 1. build: every home gets an identity from the seed; nodes start one after
 *    another, each bootstrapped to a few random online peers; users add
 *    their contacts. The drain pair (a sender among the hosts' nodes, the
 *    drain recipient) exchange a message each way, then the recipient goes
 *    offline.
 * 2. warm-up: routing tables fill, bundle records are published.
 * 3. churn: the seeded schedule (./schedule.ts) runs: users leave and come
 *    back on the same store, mailboxes go down for a while or for good,
 *    users write to contacts whether they are online or not, and probes time
 *    DHT lookups. Mailbox use is sampled every second.
 *    When the phase starts, the drain sender writes `drainMessages` messages
 *    to the offline drain recipient: its mailboxes take custody meanwhile.
 * 4. settle: every node that did not vanish comes back and fetches its mail;
 *    the phase waits until every message is delivered (or its time is up),
 *    then until the drain backlog is held by k mailboxes (or its time is up).
 * 5. drain: the drain recipient returns and drains its mailboxes; then it is
 *    killed (SIGKILL) and its store reopened to check that what was
 *    acknowledged is on disk, and its mailboxes checked to be empty for it.
 */
import { join } from 'node:path';
import { openSealed } from '../src/crypto/sealed.ts';
import { toHex } from '../src/crypto/bytes.ts';
import type { CryptoContext } from '../src/crypto/context.ts';
import { MAILBOX_REPLICAS } from '../src/node/constants.ts';
import { mailboxKeyOf } from '../src/node/mailbox/keys.ts';
import { sleep, wallNow, type SimClock } from './clock.ts';
import type { DrainNodeArgs, DrainReady, DrainRequests, DrainResult } from './drain-node.ts';
import type { HostEvent } from './host.ts';
import { spawnWorker } from './ipc.ts';
import { recordedNetwork, type SimNetwork } from './network.ts';
import { openHome } from './node.ts';
import { NodeProxy } from './proxy.ts';
import type { SimPlan } from './plan.ts';
import type { Recorder } from './recorder.ts';
import type { Rng } from './rng.ts';
import { drawSchedule, type Member, type Schedule, type ScheduledEvent } from './schedule.ts';

const DRAIN_SENDER = 'drain-sender';
const DRAIN_RECIPIENT = 'drain-recipient';
const MESSAGE_BYTES = 100;
const SETUP_TEXT = 'hello before going away';
const SETUP_REPLY = 'hello back';
/** The drain recipient's home is encrypted at rest, as `sotto init` makes a home by default (the others are plain, to spare CPU). */
const DRAIN_PASSPHRASE = 'correct horse battery staple';
const SETUP_WAIT_MS = 30_000;
const PROBE_TIMEOUT_MS = 10_000;
const SAMPLE_INTERVAL_MS = 1000;
const SETTLE_POLL_MS = 500;
/** Wait after everyone is back before the explicit fetch (connections, routing tables). */
const SETTLE_RECONNECT_MS = 2000;
/** Time allowed for the drain batch to reach custody: at least this, or this much per message. */
const DRAIN_PLACEMENT_MIN_MS = 60_000;
const DRAIN_PLACEMENT_PER_MESSAGE_MS = 40;

/** Use of one mailbox as sampled. */
export interface MailboxStats {
  readonly name: string;
  readonly peerId: string;
  /** 'alive', 'vanished' (for good). */
  fate: 'alive' | 'vanished';
  peakItems: number;
  peakBytes: number;
  /** At the end of the churn phase (if online then). */
  endItems: number | null;
  endBytes: number | null;
  /** After the settle phase, not counting the drain batch: copies nobody will fetch. */
  residualItems: number | null;
  residualBytes: number | null;
  /** Size of its level directory on disk after the settle phase. */
  diskBytes: number | null;
  /** Drain-batch copies it held before the drain, and after it. */
  drainHeld: number;
  drainLeft: number | null;
  /** One of the drain recipient's k closest mailboxes (exempt from churn). */
  protected: boolean;
}

/** What the drain phase measured and checked. */
export interface DrainOutcome {
  readonly messages: number;
  /** Messages whose custody the sender got (held by at least one mailbox) / by all k. */
  readonly placedAny: number;
  readonly placedAll: number;
  /** From the first send() to the last message held by k mailboxes, ms. */
  readonly placementMs: number;
  readonly result: DrainResult | null;
  /** After SIGKILL, the reopened store held this many of the drain texts (distinct message ids). */
  readonly durable: number;
  /** Drain messages the application saw ('message' events, distinct ids). */
  readonly delivered: number;
  /** Drain messages whose 'message' event came more than once. */
  readonly duplicateEvents: number;
  /** Drain items left in the mailboxes after the drain. */
  readonly leftInMailboxes: number;
  readonly error: string | null;
}

export interface Scenario {
  readonly plan: SimPlan;
  readonly seed: number;
  readonly network: SimNetwork;
  readonly schedule: Schedule;
  readonly mailboxStats: MailboxStats[];
  readonly drain: DrainOutcome;
  /** Custody by message id: mailbox peer ids. */
  readonly custody: Map<string, { mailboxes: Set<string>; firstAt: number }>;
  /** Gone time (wall ms) of vanished nodes, by name. */
  readonly goneAt: Map<string, number>;
  readonly drainSender: NodeProxy;
  readonly drainRecipient: NodeProxy;
  readonly wall: { total: number };
  readonly contactPairs: number;
  readonly fifoMailboxes: boolean;
}

function text(prefix: string, i: number): string {
  return `${prefix}${i} `.padEnd(MESSAGE_BYTES, '.');
}

function randomKey(rng: Rng): Uint8Array {
  return Uint8Array.from({ length: 32 }, () => rng.int(256));
}

export interface RunOptions {
  readonly plan: SimPlan;
  readonly seed: number;
  readonly root: string;
  readonly ctx: CryptoContext;
  readonly clock: SimClock;
  readonly recorder: Recorder;
  readonly rng: Rng;
  /** Host processes the nodes are spread over. */
  readonly hosts: number;
  /** Where to write the drain's CPU profile (null: no profiling). */
  readonly profile: string | null;
  /** What-if: the mailboxes hand out mail in deposit order during the drain (./fifo.ts). */
  readonly fifoMailboxes: boolean;
  readonly progress: (line: string) => void;
}

type DrainWorker = Awaited<ReturnType<typeof spawnWorker<DrainRequests, DrainReady>>>;

export async function runScenario(options: RunOptions): Promise<Scenario> {
  const { plan, seed, root, ctx, clock, recorder, rng, progress } = options;
  const began = wallNow();
  const names = new Map<string, string>();
  const { network, setPhase } = recordedNetwork(recorder, root, rng.fork('bootstrap'), plan.bootstrapFanout, options.hosts);
  const users = plan.nodes - plan.mailboxes - 2;
  // 1. build
  setPhase('build');
  progress(`build: ${plan.nodes} nodes (${plan.mailboxes} mailboxes, ${users} users, the drain sender and recipient) in ${options.hosts} host processes, seed ${seed}`);
  for (let i = 0; i < plan.mailboxes; i++) network.add(`mb${String(i).padStart(2, '0')}`, 'mailbox');
  for (let i = 0; i < users; i++) network.add(`u${String(i).padStart(2, '0')}`, 'user');
  const drainSender = network.add(DRAIN_SENDER, 'drain-sender');
  const drainRecipient = new NodeProxy({ onlineChanged: () => {}, phase: () => recorder.phase }, DRAIN_RECIPIENT, 'user', join(root, DRAIN_RECIPIENT), -1, DRAIN_PASSPHRASE);
  await network.createHomes(ctx, seed, [drainRecipient]);
  for (const n of [...network.nodes, drainRecipient]) names.set(n.peerId, n.name);
  const mailboxPeers = network.mailboxes.map((n) => n.peerId);
  const drainKey = mailboxKeyOf(ctx.primitives, drainRecipient.peerId);
  const protectedBoxes = new Set(network.closest(drainKey, network.mailboxes, MAILBOX_REPLICAS).map((n) => n.name));

  const onEvent = (event: HostEvent): void => {
    for (const m of event.messages) recorder.delivered(m.recipient, m.id, names.get(m.peerId), m.text, m.at);
    for (const e of event.statuses) recorder.status(e.id, e.status, e.reason, e.at);
  };
  const mailboxStats = new Map<string, MailboxStats>(
    network.mailboxes.map((n) => [
      n.name,
      { name: n.name, peerId: n.peerId, fate: 'alive', peakItems: 0, peakBytes: 0, endItems: null, endBytes: null, residualItems: null, residualBytes: null, diskBytes: null, drainHeld: 0, drainLeft: null, protected: protectedBoxes.has(n.name) },
    ]),
  );
  const usage = async (): Promise<Map<string, { items: number; bytes: number }>> => {
    const out = new Map<string, { items: number; bytes: number }>();
    for (const answer of await network.everyHost('usage', {})) for (const [name, u] of Object.entries(answer)) if (u) out.set(name, u);
    return out;
  };
  const sampleMailboxes = async (): Promise<void> => {
    for (const [name, u] of await usage()) {
      const s = mailboxStats.get(name)!;
      s.peakItems = Math.max(s.peakItems, u.items);
      s.peakBytes = Math.max(s.peakBytes, u.bytes);
    }
  };
  const flush = async (): Promise<void> => {
    for (const f of await network.everyHost('flush', {})) {
      recorder.lookups.push(...f.lookups);
      recorder.dials.push(...f.dials);
      recorder.custody.push(...f.custody);
      for (const [hash, id] of f.envelopes) if (!recorder.envelopes.has(hash)) recorder.envelopes.set(hash, id);
      recorder.absorbErrors(f.errorKinds, f.errors);
      for (const t of f.timings) {
        const node = network.nodes.find((n) => n.name === t.name);
        if (node) {
          node.startMs = t.startMs;
          node.stopMs = t.stopMs;
        }
      }
    }
  };

  const goneAt = new Map<string, number>();
  const track = (p: Promise<unknown>, what: string): void => recorder.track(p, what);
  const drainArgs = (): DrainNodeArgs => ({ dir: drainRecipient.dir, bootstrap: network.bootstrapFor(drainRecipient), clock: clock.params, mailboxes: mailboxPeers, passphrase: DRAIN_PASSPHRASE });

  try {
    await network.spawnHosts(clock.params, onEvent);
    await network.startAll();
    const contactPairs = await network.addContacts(plan.contactsPerUser);
    progress(`build: ${network.online.length} nodes up after ${Math.round(wallNow() - began)} ms; ${contactPairs} contact pairs`);

    // The drain pair: a message each way while both are online (so the session is established and the
    // backlog is ordinary MESSAGE envelopes, not first messages), then the recipient leaves.
    let remote: DrainWorker = await spawnWorker<DrainRequests, DrainReady>('./drain-node.ts', drainArgs());
    await drainSender.addContact(DRAIN_RECIPIENT, drainRecipient.peerId);
    await remote.request('add-contact', { name: DRAIN_SENDER, peerId: drainSender.peerId });
    await remote.request('start', {});
    const hello = await drainSender.send(DRAIN_RECIPIENT, SETUP_TEXT, SETUP_WAIT_MS);
    recorder.sent({ id: hello.id, from: DRAIN_SENDER, to: DRAIN_RECIPIENT, text: SETUP_TEXT, kind: 'setup', sentAt: hello.sentAt });
    const replyAt = wallNow();
    const reply = await remote.request('send', { name: DRAIN_SENDER, text: SETUP_REPLY, waitMs: SETUP_WAIT_MS });
    recorder.sent({ id: reply.id, from: DRAIN_RECIPIENT, to: DRAIN_SENDER, text: SETUP_REPLY, kind: 'setup', sentAt: replyAt });
    for (const e of await remote.request('events', {})) recorder.delivered(DRAIN_RECIPIENT, e.id, names.get(e.peerId), e.text, e.at);
    await remote.stop();
    if (hello.status !== 'delivered' || reply.status !== 'delivered') recorder.error('drain pair setup', new Error(`the first messages ended ${hello.status} / ${reply.status}`));

    // 2. warm-up
    setPhase('warm-up');
    progress(`warm-up: ${plan.warmUpSeconds} s`);
    await sleep(plan.warmUpSeconds * 1000);

    // 3. churn
    const members: Member[] = network.nodes
      .filter((n) => n.kind !== 'drain-sender')
      .map((n) => ({ name: n.name, kind: n.kind === 'mailbox' ? 'mailbox' : 'user', contacts: [...n.contacts.keys()], protected: protectedBoxes.has(n.name) }));
    const schedule = drawSchedule(plan, members, rng.fork('schedule'));
    setPhase('churn');
    const byName = new Map(network.nodes.map((n) => [n.name, n]));
    const probeRng = rng.fork('probe-keys');
    let sent = 0;
    const counts = { leave: 0, return: 0, vanish: 0, send: 0, probe: 0 };
    for (const e of schedule.events) counts[e.type]++;
    progress(`churn: ${plan.churnSeconds} s, ${counts.send} sends, ${counts.leave} departures, ${counts.return} returns, ${counts.vanish} mailboxes vanish; Sotto's timers ${plan.speed}x faster`);
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling) return;
      sampling = true;
      void sampleMailboxes()
        .catch((err: unknown) => recorder.error('sampling mailboxes', err))
        .finally(() => (sampling = false));
    }, SAMPLE_INTERVAL_MS);
    // The drain sender writes the whole backlog while the drain recipient is away: its k mailboxes
    // (kept out of the churn) take custody during the churn and settle phases.
    const drainTexts = Array.from({ length: plan.drainMessages }, (_, i) => text('drain ', i));
    const drainIds: string[] = [];
    const drainSendStart = wallNow();
    const drainSending = drainSender.sendMany(DRAIN_RECIPIENT, drainTexts).then((sentMany) => {
      sentMany.forEach(({ id, sentAt }, i) => {
        recorder.sent({ id, from: DRAIN_SENDER, to: DRAIN_RECIPIENT, text: drainTexts[i]!, kind: 'drain', sentAt });
        drainIds.push(id);
      });
    });
    drainSending.catch(() => {}); // awaited (and reported) in the settle phase
    const churnStart = wallNow();
    const dispatch = (e: ScheduledEvent): void => {
      if (e.type === 'send') {
        const from = byName.get(e.from)!;
        const to = byName.get(e.to)!;
        const body = text(`m${sent++} ${from.name}>${to.name} `, 0);
        track(
          (async () => {
            if (!from.online) await from.settled();
            if (!from.online) {
              recorder.error('send', new Error(`${from.name} was not online when due to send`));
              return;
            }
            const result = await from.send(to.name, body);
            recorder.sent({ id: result.id, from: from.name, to: to.name, text: body, kind: 'churn', sentAt: result.sentAt });
          })(),
          `send ${e.from}>${e.to}`,
        );
        return;
      }
      if (e.type === 'probe') {
        track(probe(byName.get(e.from)!, byName.get(e.target)!, randomKey(probeRng), recorder), 'probe');
        return;
      }
      const node = byName.get(e.node)!;
      const kind = e.type === 'vanish' ? 'vanish' : node.kind === 'mailbox' ? (e.type === 'leave' ? 'mailbox-outage' : 'mailbox-back') : e.type;
      recorder.churn.push({ kind, node: node.name, at: wallNow() });
      if (e.type === 'leave') track(node.stop(), `${node.name} leaving`);
      else if (e.type === 'vanish') {
        goneAt.set(node.name, wallNow());
        mailboxStats.get(node.name)!.fate = 'vanished';
        track(node.stop(true), `${node.name} vanishing`);
      } else track(node.start(network.bootstrapFor(node)), `${node.name} returning`);
    };
    for (const e of schedule.events) {
      const due = churnStart + e.at * 1000 - wallNow();
      if (due > 0) await sleep(due);
      dispatch(e);
    }
    const churnLeft = churnStart + plan.churnSeconds * 1000 - wallNow();
    if (churnLeft > 0) await sleep(churnLeft);
    clearInterval(sampler);
    await sampleMailboxes();
    for (const [name, u] of await usage()) {
      const s = mailboxStats.get(name)!;
      s.endItems = u.items;
      s.endBytes = u.bytes;
    }

    // 4. settle
    setPhase('settle');
    progress('settle: everyone returns and fetches; the drain batch to the offline drain recipient is placed with its mailboxes');
    await recorder.settled();
    await Promise.all(network.nodes.filter((n) => n.state === 'offline').map((n) => n.start(network.bootstrapFor(n)).catch((err: unknown) => recorder.error(`${n.name} returning to settle`, err))));
    await sleep(SETTLE_RECONNECT_MS);
    await Promise.all(network.users.map((u) => u.fetchMail().catch((err: unknown) => recorder.error(`${u.name} fetch`, err))));
    const churnMessages = (): ReturnType<Recorder['messages']['values']> => recorder.messages.values();
    const allDelivered = (): boolean => [...churnMessages()].every((m) => m.kind !== 'churn' || m.events > 0);
    const settleDeadline = wallNow() + plan.settleSeconds * 1000;
    while (!allDelivered() && wallNow() < settleDeadline) await sleep(SETTLE_POLL_MS);
    await drainSending;
    const placementDeadline = drainSendStart + Math.max(DRAIN_PLACEMENT_MIN_MS, plan.drainMessages * DRAIN_PLACEMENT_PER_MESSAGE_MS);
    const placed = (): number => drainIds.filter((id) => (recorder.messages.get(id)?.storedBy ?? 0) >= MAILBOX_REPLICAS).length;
    while (placed() < drainIds.length && wallNow() < placementDeadline) await sleep(SETTLE_POLL_MS);
    const placementMs = Math.max(0, ...drainIds.map((id) => (recorder.messages.get(id)?.storedAt ?? drainSendStart) - drainSendStart));
    progress(`settle: ${[...churnMessages()].filter((m) => m.kind === 'churn' && m.events > 0).length} of ${[...churnMessages()].filter((m) => m.kind === 'churn').length} churn messages delivered; drain batch: ${placed()} of ${drainIds.length} held by ${MAILBOX_REPLICAS} mailboxes after ${Math.round(placementMs)} ms`);

    // Custody: which mailboxes acknowledged which message.
    await flush();
    const custody = await custodyByMessage(ctx, recorder, [...network.nodes, drainRecipient]);
    const drainKeyHex = toHex(drainKey);
    const drainBytes = new Map<string, number>();
    for (const c of recorder.custody) {
      if (c.mailboxKey !== drainKeyHex) continue;
      const s = mailboxStats.get(names.get(c.mailbox) ?? '');
      if (s) s.drainHeld++;
      drainBytes.set(c.mailbox, (drainBytes.get(c.mailbox) ?? 0) + c.item.length);
    }
    const settledUsage = await usage();
    for (const n of network.mailboxes) {
      const s = mailboxStats.get(n.name)!;
      const u = settledUsage.get(n.name);
      if (u) {
        s.residualItems = u.items - s.drainHeld;
        s.residualBytes = u.bytes - (drainBytes.get(n.peerId) ?? 0);
      }
      s.diskBytes = await n.disk().catch(() => null);
    }

    // 5. drain
    setPhase('drain');
    if (options.fifoMailboxes) await network.everyHost('fifo', {});
    progress(`drain: the drain recipient returns to ${placed()} messages held for it${options.profile ? ' (CPU profile on)' : ''}${options.fifoMailboxes ? ' (what-if: mailboxes in deposit order)' : ''}`);
    let result: DrainResult | null = null;
    let error: string | null = null;
    remote = await spawnWorker<DrainRequests, DrainReady>('./drain-node.ts', drainArgs());
    try {
      result = await remote.request('drain', { profile: options.profile });
    } catch (err) {
      error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    }
    await remote.kill();
    const seen = new Map<string, number>();
    for (const e of result?.events ?? []) {
      if (recorder.messages.get(e.id)?.kind !== 'drain') continue;
      recorder.delivered(DRAIN_RECIPIENT, e.id, names.get(e.peerId), e.text, e.at);
      seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
    }
    // Crash right after the drain: what was acknowledged must be on disk.
    const reopened = await openHome(drainRecipient.dir, ctx, DRAIN_PASSPHRASE);
    let durable = 0;
    try {
      const ids = new Set((await reopened.listMessages(drainSender.peerId)).filter((m) => m.direction === 'in' && m.text.startsWith('drain ')).map((m) => m.id));
      durable = drainIds.filter((id) => ids.has(id)).length;
    } finally {
      await reopened.close();
    }
    let leftInMailboxes = 0;
    for (const n of network.mailboxes) {
      const left = await n.countMail(drainKeyHex).catch(() => null);
      mailboxStats.get(n.name)!.drainLeft = left;
      leftInMailboxes += left ?? 0;
    }
    await flush();
    recorder.endPhases();
    return {
      plan,
      seed,
      network,
      schedule,
      mailboxStats: [...mailboxStats.values()],
      drain: {
        messages: drainIds.length,
        placedAny: drainIds.filter((id) => (custody.get(id)?.mailboxes.size ?? 0) > 0).length,
        placedAll: placed(),
        placementMs,
        result,
        durable,
        delivered: seen.size,
        duplicateEvents: [...seen.values()].filter((v) => v > 1).length,
        leftInMailboxes,
        error,
      },
      custody,
      goneAt,
      drainSender,
      drainRecipient,
      wall: { total: wallNow() - began },
      contactPairs,
      fifoMailboxes: options.fifoMailboxes,
    };
  } finally {
    progress('teardown: stopping every node');
    recorder.setPhase('teardown');
    await network.shutdown();
    recorder.endPhases();
  }
}

/** Times a findPeer and a closest-peers query from `from` (in its host); samples from a node that left meanwhile are dropped. */
async function probe(from: NodeProxy, target: NodeProxy, key: Uint8Array, recorder: Recorder): Promise<void> {
  if (!from.online || !target.online) return;
  const online = recorder.online;
  const phase = recorder.phase;
  const result = await from.probe(target.peerId, key, PROBE_TIMEOUT_MS);
  if (!result) return;
  if (from.online && target.online) recorder.lookups.push({ kind: 'findpeer-probe', phase, ms: result.findMs, ok: result.findOk, found: result.findOk ? 1 : 0, online });
  const c = result.closest;
  if (c && from.online) recorder.lookups.push({ kind: 'closest-probe', phase, ms: c.ms, ok: c.ok, found: c.found, queries: c.queries, online });
}

/**
 * Which message each custody receipt was for: the sealed item is opened
 * with its recipient's identity (the simulation holds every home), and the
 * envelope inside matched with the outbox entry that carried it.
 */
async function custodyByMessage(ctx: CryptoContext, recorder: Recorder, nodes: readonly NodeProxy[]): Promise<Map<string, { mailboxes: Set<string>; firstAt: number }>> {
  const byKey = new Map(nodes.map((n) => [toHex(mailboxKeyOf(ctx.primitives, n.peerId)), n]));
  const out = new Map<string, { mailboxes: Set<string>; firstAt: number }>();
  const opened = new Map<string, string | null>();
  for (const c of recorder.custody) {
    const recipient = byKey.get(c.mailboxKey);
    if (!recipient?.identity) continue;
    const itemKey = toHex(ctx.primitives.sha256(c.item));
    let id = opened.get(itemKey);
    if (id === undefined) {
      try {
        const { envelope } = await openSealed(ctx, recipient.identity, c.item);
        id = recorder.envelopes.get(toHex(ctx.primitives.sha256(envelope))) ?? null;
      } catch (err) {
        recorder.error('opening a custody item', err);
        continue;
      }
      opened.set(itemKey, id);
    }
    if (!id) continue; // a receipt, not a text
    const entry = out.get(id) ?? { mailboxes: new Set<string>(), firstAt: c.at };
    entry.mailboxes.add(c.mailbox);
    entry.firstAt = Math.min(entry.firstAt, c.at);
    out.set(id, entry);
  }
  return out;
}
