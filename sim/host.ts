/**
 * A host process of the simulation: runs its share of the nodes (./node.ts)
 * and does what the coordinator (./scenario.ts) asks of them, so that the
 * nodes spread over both cores. Spawned through ./ipc.ts:
 *
 *   node --import tsx sim/host.ts '<json HostArgs>'
 *
 * It forwards the nodes' 'message' and 'status' events as they happen
 * (batched every few milliseconds) and keeps lookups, dials, custody
 * receipts, outbox envelopes and errors until the coordinator flushes them.
 */
import { nodeCryptoContext } from '../src/app/context.ts';
import type { GroupMessageRecord } from '../src/node/store/group-records.ts';
import type { MessengerEvents } from '../src/node/core/core.ts';
import { SimClock, wallNow, type ClockParams } from './clock.ts';
import { diskBytes } from './disk.ts';
import { emulateFifoMailbox } from './fifo.ts';
import type { CustodyRecord, DialSample, GroupFrameRecord, LookupSample, Phase } from './recorder.ts';
import { Recorder } from './recorder.ts';
import { serveRequests } from './ipc.ts';
import { SimNode, type NodeKind } from './node.ts';

export interface HostNodeSpec {
  readonly name: string;
  readonly kind: NodeKind;
  readonly dir: string;
  readonly passphrase?: string;
}

export interface HostArgs {
  readonly clock: ClockParams;
  /** Run a GroupService on every node (the group scenario). */
  readonly groups: boolean;
  readonly nodes: readonly HostNodeSpec[];
  /** Peer ids that run mailboxes (to count them in closest-peers answers). */
  readonly mailboxes: readonly string[];
}

/** A 'message' event at a node of this host. */
export interface MessageEvent {
  readonly recipient: string;
  readonly id: string;
  readonly peerId: string;
  readonly text: string;
  readonly at: number;
}

/** A 'status' event at a sender of this host. */
export interface StatusEvent {
  readonly id: string;
  readonly status: string;
  readonly reason: string | undefined;
  readonly at: number;
}

/** A 'group-message' event at a member of this host: a message from another member, new to it. */
export interface GroupMessageEvent {
  readonly recipient: string;
  readonly id: string;
  /** The sender's peer id. */
  readonly sender: string;
  readonly at: number;
}

export interface HostEvent {
  readonly messages: readonly MessageEvent[];
  readonly statuses: readonly StatusEvent[];
  readonly groupMessages: readonly GroupMessageEvent[];
}

/** One member's view of a group, as the group scenario compares them. */
export interface GroupView {
  /** Still a member (not removed, not left). */
  readonly active: boolean;
  /** The epoch authenticator, hex: members whose states agree hold the same. */
  readonly authenticator: string;
  /** Members' peer ids, sorted. */
  readonly members: readonly string[];
  /** Admins' peer ids, sorted. */
  readonly admins: readonly string[];
}

/** A group operation's outcome: done, or the name of the error it threw (GroupAddBlockedError, GroupKeyPackageMissingError, ...). */
export type GroupOpResult = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly message: string };

/** What a probe from one node measured. */
export interface ProbeResult {
  readonly findMs: number;
  readonly findOk: boolean;
  /** Null when the prober left before the second lookup. */
  readonly closest: { ms: number; ok: boolean; queries: number; found: number } | null;
}

/** Everything a host kept since the last flush. */
export interface Flushed {
  readonly lookups: LookupSample[];
  readonly dials: DialSample[];
  readonly custody: CustodyRecord[];
  readonly envelopes: [string, string | null][];
  readonly groupFrames: [string, GroupFrameRecord][];
  readonly errorKinds: [string, number][];
  readonly errors: string[];
  /** Per node: start and stop durations with their phase. */
  readonly timings: { name: string; startMs: SimNode['startMs']; stopMs: SimNode['stopMs'] }[];
}

export interface HostRequests {
  start: { args: { name: string; bootstrap: string[] }; result: { address: string; peerId: string; at: number } };
  leave: { args: { name: string; forGood: boolean }; result: { at: number } };
  /** Stops every node and ends the host. */
  stop: { args: Record<string, never>; result: null };
  send: { args: { name: string; to: string; text: string; waitMs: number }; result: { id: string; status: string; reason: string | null; sentAt: number } };
  sendMany: { args: { name: string; to: string; texts: string[] }; result: { id: string; sentAt: number }[] };
  addContact: { args: { name: string; contact: string; peerId: string }; result: null };
  fetchMail: { args: { name: string }; result: number };
  usage: { args: Record<string, never>; result: Record<string, { items: number; bytes: number } | null> };
  disk: { args: { name: string }; result: number };
  countMail: { args: { name: string; mailboxKey: string }; result: number | null };
  probe: { args: { name: string; target: string; key: Uint8Array; timeoutMs: number }; result: ProbeResult | null };
  fifo: { args: Record<string, never>; result: null };
  phase: { args: { phase: Phase; online: number }; result: null };
  /** Splits the nodes (peer id → side) so that no stream opens between two sides; null heals. */
  partition: { args: { sides: [string, number][] | null }; result: null };
  groupCreate: { args: { name: string; group: string; members: string[] }; result: GroupOpResult & { id?: string; token?: string } };
  groupAdd: { args: { name: string; group: string; members: string[] }; result: GroupOpResult };
  groupRemove: { args: { name: string; group: string; member: string }; result: GroupOpResult };
  groupSetAdmins: { args: { name: string; group: string; admins: (string | null)[] }; result: GroupOpResult };
  groupSend: { args: { name: string; group: string; text: string }; result: GroupOpResult & { id?: string; sentAt?: number } };
  /** Each named node's view of the group (null: offline, or not in it). */
  groupViews: { args: { names: string[]; group: string }; result: Record<string, GroupView | null> };
  /** A member's group history: ids, senders (peer ids), directions. */
  groupHistory: { args: { name: string; group: string }; result: { id: string; sender: string; direction: string }[] };
  flush: { args: Record<string, never>; result: Flushed };
}

/** Events are sent in batches at most this often. */
const EVENT_BATCH_MS = 20;

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? 'null') as HostArgs | null;
  if (!args || !process.send) {
    console.error('usage: node --import tsx sim/host.ts <json> (spawned by the simulation, with an IPC channel)');
    process.exit(2);
  }
  const clock = new SimClock(args.clock);
  const ctx = await nodeCryptoContext(clock.now);
  const recorder = new Recorder();
  process.on('unhandledRejection', (err) => recorder.error('unhandled', err));
  const mailboxes = new Set(args.mailboxes);
  let messages: MessageEvent[] = [];
  let statuses: StatusEvent[] = [];
  let groupMessages: GroupMessageEvent[] = [];
  /** While partitioned: each node's side by peer id. */
  let sides: Map<string, number> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flushEvents = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (messages.length === 0 && statuses.length === 0 && groupMessages.length === 0) return;
    const event: HostEvent = { messages, statuses, groupMessages };
    messages = [];
    statuses = [];
    groupMessages = [];
    ipc.emit(event);
  };
  const soon = (): void => {
    timer ??= setTimeout(flushEvents, EVENT_BATCH_MS);
  };
  const env = {
    ctx,
    clock,
    recorder,
    hooks: { isMailbox: (p: string) => mailboxes.has(p) },
    onMessage: (recipient: string, m: { id: string; peerId: string; text: string }) => {
      messages.push({ recipient, id: m.id, peerId: m.peerId, text: m.text, at: wallNow() });
      soon();
    },
    onStatus: (e: MessengerEvents['status']) => {
      statuses.push({ id: e.id, status: e.status, reason: e.reason, at: wallNow() });
      soon();
    },
    groups: args.groups,
    onGroupMessage: (recipient: string, m: GroupMessageRecord) => {
      groupMessages.push({ recipient, id: m.id, sender: m.sender, at: wallNow() });
      soon();
    },
    reaches: (from: string, to: string) => sides === null || !sides.has(from) || !sides.has(to) || sides.get(from) === sides.get(to),
  };
  const nodes = new Map(args.nodes.map((spec) => [spec.name, new SimNode(env, spec.name, spec.kind, spec.dir, spec.passphrase)]));
  const node = (name: string): SimNode => {
    const found = nodes.get(name);
    if (!found) throw new Error(`no node ${name} on this host`);
    return found;
  };
  const running = (name: string): SimNode & { messenger: NonNullable<SimNode['messenger']> } => {
    const n = node(name);
    if (!n.online || !n.messenger) throw new Error(`${name} is not online`);
    return n as SimNode & { messenger: NonNullable<SimNode['messenger']> };
  };
  const member = (name: string): NonNullable<SimNode['groups']> => {
    const groups = running(name) && node(name).groups;
    if (!groups) throw new Error(`${name} runs no group service`);
    return groups;
  };
  const outcome = async (op: () => Promise<unknown>): Promise<GroupOpResult> => {
    try {
      await op();
      return { ok: true };
    } catch (err) {
      return err instanceof Error ? { ok: false, error: err.name, message: err.message.split('\n')[0]! } : { ok: false, error: 'unknown', message: String(err) };
    }
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all([...nodes.values()].map((n) => n.stop().catch(() => {})));
  };

  const ipc = serveRequests<HostRequests>(
    {
      start: async ({ name, bootstrap }) => {
        const n = node(name);
        await n.start(bootstrap);
        if (!n.online) throw new Error(`${name} did not start (${n.state})`);
        return { address: n.address!, peerId: n.peerId, at: wallNow() };
      },
      leave: async ({ name, forGood }) => {
        await node(name).stop(forGood);
        return { at: wallNow() };
      },
      stop: async () => {
        await stopAll();
        flushEvents();
        return null;
      },
      send: async ({ name, to, text, waitMs }) => {
        const sentAt = wallNow();
        const result = await running(name).messenger.send(to, text, { waitMs });
        return { id: result.id, status: result.status, reason: result.reason ?? null, sentAt };
      },
      sendMany: async ({ name, to, texts }) => {
        const messenger = running(name).messenger;
        return Promise.all(
          texts.map(async (text) => {
            const sentAt = wallNow();
            return { id: (await messenger.send(to, text)).id, sentAt };
          }),
        );
      },
      addContact: async ({ name, contact, peerId }) => {
        await running(name).messenger.addContact(contact, peerId);
        return null;
      },
      fetchMail: async ({ name }) => running(name).messenger.fetchMail(),
      usage: async () => Object.fromEntries([...nodes.values()].filter((n) => n.kind === 'mailbox').map((n) => [n.name, n.mailbox?.usage() ?? null])),
      disk: async ({ name }) => diskBytes(node(name).dir),
      countMail: async ({ name, mailboxKey }) => {
        const store = node(name).store;
        return store ? (await store.listMail(mailboxKey, Number.MAX_SAFE_INTEGER)).length : null;
      },
      probe: async ({ name, target, key, timeoutMs }) => {
        const n = node(name);
        const libp2p = n.node;
        if (!n.online || !libp2p) return null;
        let start = wallNow();
        let findOk = true;
        try {
          await libp2p.findPeer(target, { timeoutMs });
        } catch {
          findOk = false;
        }
        const findMs = wallNow() - start;
        if (!n.online) return { findMs, findOk, closest: null };
        start = wallNow();
        let queries = 0;
        let found = 0;
        let ok = true;
        try {
          for await (const event of libp2p.libp2p.services.dht.getClosestPeers(key, { signal: AbortSignal.timeout(timeoutMs) })) {
            if (event.name === 'SEND_QUERY') queries++;
            else if (event.name === 'FINAL_PEER') found++;
          }
        } catch {
          ok = false;
        }
        return { findMs, findOk, closest: n.online ? { ms: wallNow() - start, ok: ok && found > 0, queries, found } : null };
      },
      fifo: async () => {
        for (const n of nodes.values()) if (n.store && n.mailbox) emulateFifoMailbox(n.store, n.mailbox, ctx.primitives);
        return null;
      },
      phase: async ({ phase, online }) => {
        recorder.phase = phase;
        recorder.online = online;
        return null;
      },
      partition: async ({ sides: given }) => {
        sides = given === null ? null : new Map(given);
        return null;
      },
      groupCreate: async ({ name, group, members }) => {
        let id: string | undefined;
        const result = await outcome(async () => (id = (await member(name).create(group, members)).id));
        return id === undefined ? result : { ...result, id, token: member(name).group(group).token };
      },
      groupAdd: async ({ name, group, members }) => outcome(() => member(name).add(group, members)),
      groupRemove: async ({ name, group, member: removed }) => outcome(() => member(name).remove(group, removed)),
      groupSetAdmins: async ({ name, group, admins }) => outcome(() => member(name).setAdmins(group, admins)),
      groupSend: async ({ name, group, text }) => {
        const sentAt = wallNow();
        let id: string | undefined;
        const result = await outcome(async () => (id = (await member(name).send(group, text)).id));
        return id === undefined ? result : { ...result, id, sentAt };
      },
      groupViews: async ({ names, group }) => {
        const out: Record<string, GroupView | null> = {};
        for (const name of names) {
          const groups = node(name).online ? node(name).groups : undefined;
          const info = (await groups?.list())?.find((g) => g.name === group);
          out[name] = groups && info ? { active: info.active, authenticator: groups.epochAuthenticator(group), members: info.members.map((m) => m.peerId).sort(), admins: [...info.admins].sort() } : null;
        }
        return out;
      },
      groupHistory: async ({ name, group }) => (await member(name).history(group)).map((m) => ({ id: m.id, sender: m.sender, direction: m.direction })),
      flush: async () => {
        flushEvents();
        const out: Flushed = {
          lookups: recorder.lookups.splice(0),
          dials: recorder.dials.splice(0),
          custody: recorder.custody.splice(0),
          envelopes: [...recorder.envelopes.entries()],
          groupFrames: [...recorder.groupFrames.entries()],
          errorKinds: [...recorder.errorKinds.entries()],
          errors: recorder.errors.splice(0),
          timings: [...nodes.values()].map((n) => ({ name: n.name, startMs: n.startMs, stopMs: n.stopMs })),
        };
        recorder.envelopes.clear();
        recorder.groupFrames.clear();
        recorder.errorKinds.clear();
        return out;
      },
    },
    stopAll,
  );
  ipc.ready({ pid: process.pid });
}

await main();
