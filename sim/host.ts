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
import type { MessengerEvents } from '../src/node/core/core.ts';
import { SimClock, wallNow, type ClockParams } from './clock.ts';
import { diskBytes } from './disk.ts';
import { emulateFifoMailbox } from './fifo.ts';
import type { CustodyRecord, DialSample, LookupSample, Phase } from './recorder.ts';
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

export interface HostEvent {
  readonly messages: readonly MessageEvent[];
  readonly statuses: readonly StatusEvent[];
}

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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flushEvents = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (messages.length === 0 && statuses.length === 0) return;
    const event: HostEvent = { messages, statuses };
    messages = [];
    statuses = [];
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
      flush: async () => {
        flushEvents();
        const out: Flushed = {
          lookups: recorder.lookups.splice(0),
          dials: recorder.dials.splice(0),
          custody: recorder.custody.splice(0),
          envelopes: [...recorder.envelopes.entries()],
          errorKinds: [...recorder.errorKinds.entries()],
          errors: recorder.errors.splice(0),
          timings: [...nodes.values()].map((n) => ({ name: n.name, startMs: n.startMs, stopMs: n.stopMs })),
        };
        recorder.envelopes.clear();
        recorder.errorKinds.clear();
        return out;
      },
    },
    stopAll,
  );
  ipc.ready({ pid: process.pid });
}

await main();
