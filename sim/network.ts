/**
 * The simulated population, as the coordinator sees it: homes in one
 * temporary directory, created here (identities from the seed), nodes spread
 * over host processes (./host.ts) so that they use both cores, started one
 * after another, each bootstrapped to a few random peers that are online
 * (never a star); contacts between users; and the Kademlia distances
 * kad-dht uses (SHA-256 of the key XOR SHA-256 of the peer id's multihash),
 * to know in advance which mailboxes are closest to a key.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CryptoContext } from '../src/crypto/context.ts';
import { peerIdFromText } from '../src/node/encoding/peer-id.ts';
import type { ClockParams } from './clock.ts';
import type { HostArgs, HostEvent, HostRequests } from './host.ts';
import { spawnWorker } from './ipc.ts';
import { createHome, type NodeKind } from './node.ts';
import { NodeProxy, type ProxyEnv } from './proxy.ts';
import type { Phase, Recorder } from './recorder.ts';
import type { Rng } from './rng.ts';

/** Nodes started at once while building the network (one per core and a little more: starts wait on the network). */
const START_CONCURRENCY = 4;

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** kad-dht's position of a peer: SHA-256 of its multihash. */
export function kadIdOfPeer(peerId: string): Buffer {
  return sha256(peerIdFromText(peerId).toMultihash().bytes);
}

/** XOR distance of two kad ids, as a comparable hex string. */
function distance(a: Buffer, b: Buffer): string {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out.toString('hex');
}

export class SimNetwork {
  readonly nodes: NodeProxy[] = [];
  readonly hosts: NodeProxy['host'][] = [];
  private readonly byPeer = new Map<string, NodeProxy>();

  constructor(
    private readonly env: ProxyEnv,
    readonly root: string,
    private readonly rng: Rng,
    readonly fanout: number,
    readonly hostCount: number,
  ) {}

  /** Adds a node (its home is created by createHomes), on the next host in turn. */
  add(name: string, kind: NodeKind, passphrase?: string): NodeProxy {
    const node = new NodeProxy(this.env, name, kind, join(this.root, name), this.nodes.length % this.hostCount, passphrase);
    this.nodes.push(node);
    return node;
  }

  /** Creates every home (identity from the seed, prekeys, profile). */
  async createHomes(ctx: CryptoContext, seed: number, extra: readonly NodeProxy[] = []): Promise<void> {
    for (const node of [...this.nodes, ...extra]) {
      await mkdir(node.dir, { recursive: true });
      const { peerId, identity } = await createHome(node.dir, node.name, seed, ctx, node.passphrase);
      node.peerId = peerId;
      node.identity = identity;
      this.byPeer.set(peerId, node);
    }
  }

  /** Spawns the host processes and hands each its nodes. */
  async spawnHosts(clock: ClockParams, onEvent: (event: HostEvent) => void, groups = false): Promise<void> {
    const mailboxes = this.mailboxes.map((n) => n.peerId);
    const workers = await Promise.all(
      Array.from({ length: this.hostCount }, (_, i) => {
        const args: HostArgs = { clock, groups, mailboxes, nodes: this.nodes.filter((n) => n.hostIndex === i).map((n) => ({ name: n.name, kind: n.kind, dir: n.dir, ...(n.passphrase ? { passphrase: n.passphrase } : {}) })) };
        return spawnWorker<HostRequests, { pid: number }, HostEvent>('./host.ts', args, onEvent);
      }),
    );
    this.hosts.push(...workers);
    for (const node of this.nodes) node.host = workers[node.hostIndex];
  }

  /** Asks every host the same thing. */
  async everyHost<K extends keyof HostRequests & string>(name: K, args: HostRequests[K]['args']): Promise<HostRequests[K]['result'][]> {
    return Promise.all(this.hosts.map((h) => h!.request(name, args)));
  }

  /** Stops every node and every host. */
  async shutdown(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h!.stop().catch(() => {})));
  }

  byPeerId(peerId: string): NodeProxy | undefined {
    return this.byPeer.get(peerId);
  }

  get mailboxes(): NodeProxy[] {
    return this.nodes.filter((n) => n.kind === 'mailbox');
  }

  get users(): NodeProxy[] {
    return this.nodes.filter((n) => n.kind === 'user');
  }

  get online(): NodeProxy[] {
    return this.nodes.filter((n) => n.online);
  }

  /**
   * Bootstrap addresses for a node: `fanout` random peers online now (a
   * returning client tries peers it saw recently); when too few are online,
   * any with a known address.
   */
  bootstrapFor(node: NodeProxy): string[] {
    const online = this.nodes.filter((n) => n !== node && n.online && n.address);
    const chosen = this.rng.sample(online, this.fanout);
    if (chosen.length < this.fanout) {
      const rest = this.nodes.filter((n) => n !== node && !chosen.includes(n) && n.address && n.state !== 'gone');
      chosen.push(...this.rng.sample(rest, this.fanout - chosen.length));
    }
    return chosen.map((n) => n.address!);
  }

  /**
   * Starts every node that is offline, START_CONCURRENCY at a time (each
   * bootstraps to nodes already up; the first one alone, to nobody).
   */
  async startAll(): Promise<void> {
    const waiting = this.nodes.filter((n) => n.state === 'offline');
    const first = waiting.shift();
    if (first) await first.start(this.bootstrapFor(first));
    while (waiting.length > 0) {
      await Promise.all(waiting.splice(0, START_CONCURRENCY).map((node) => node.start(this.bootstrapFor(node))));
    }
  }

  /** The `k` nodes among `candidates` closest to `key` in kad-dht's metric, closest first. */
  closest<T extends { peerId: string }>(key: Uint8Array, candidates: readonly T[], k: number): T[] {
    const target = sha256(key);
    return [...candidates]
      .map((n) => ({ n, d: distance(target, kadIdOfPeer(n.peerId)) }))
      .sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0))
      .slice(0, k)
      .map((x) => x.n);
  }

  /**
   * Gives every user about `perUser` contacts among the other users
   * (symmetric: each picks half of them, both sides add each other).
   * Resolves to the number of contact pairs.
   */
  async addContacts(perUser: number): Promise<number> {
    const users = this.users;
    const picks = Math.max(1, Math.ceil(perUser / 2));
    const pairs = new Set<string>();
    for (const user of users) {
      for (const other of this.rng.sample(users.filter((u) => u !== user), picks)) pairs.add([user.name, other.name].sort().join(' '));
    }
    for (const key of [...pairs].sort()) {
      const [a, b] = key.split(' ').map((name) => users.find((u) => u.name === name)!) as [NodeProxy, NodeProxy];
      await a.addContact(b.name, b.peerId);
      await b.addContact(a.name, a.peerId);
      a.contacts.set(b.name, b);
      b.contacts.set(a.name, a);
    }
    return pairs.size;
  }
}

/**
 * A network whose nodes' comings and goings count in `recorder.online`,
 * and `setPhase`, which moves the recorder to a phase: both reach every
 * host, which stamps lookups and dials with them.
 */
export function recordedNetwork(recorder: Recorder, root: string, rng: Rng, fanout: number, hosts: number): { network: SimNetwork; setPhase(phase: Phase): void } {
  const broadcast = (): void => void network.everyHost('phase', { phase: recorder.phase, online: recorder.online }).catch(() => {});
  const env: ProxyEnv = {
    onlineChanged: (delta) => {
      recorder.online += delta;
      broadcast();
    },
    phase: () => recorder.phase,
  };
  const network = new SimNetwork(env, root, rng, fanout, hosts);
  return {
    network,
    setPhase: (phase) => {
      recorder.setPhase(phase);
      broadcast();
    },
  };
}
