/**
 * The coordinator's handle on one node, which runs in a host process
 * (./host.ts). It mirrors what the coordinator needs to know (state,
 * address, online intervals) and forwards everything else. Lifecycle calls
 * are serialised per node, as in the host.
 */
import type { IdentityKeyPair } from '../src/crypto/identity.ts';
import { wallNow } from './clock.ts';
import type { HostRequests, ProbeResult } from './host.ts';
import type { Worker } from './ipc.ts';
import type { NodeKind, NodeState } from './node.ts';
import type { Phase } from './recorder.ts';

export type HostWorker = Worker<HostRequests, { pid: number }>;

/** What proxies report to the coordinator. */
export interface ProxyEnv {
  /** A node came online (+1) or left (-1). */
  onlineChanged(delta: number): void;
  phase(): Phase;
}

export class NodeProxy {
  peerId = '';
  identity: IdentityKeyPair | undefined;
  /** Last listen address, with /p2p/ (kept while offline: others bootstrap from it). */
  address: string | undefined;
  state: NodeState = 'offline';
  host: HostWorker | undefined;
  /** Online intervals, wall ms: from start resolved (in the host) to stop requested. */
  readonly intervals: { start: number; end?: number }[] = [];
  /** Contact name → node. */
  readonly contacts = new Map<string, NodeProxy>();
  /** Start and stop durations (from the host's flush). */
  startMs: { ms: number; phase: Phase }[] = [];
  stopMs: { ms: number; phase: Phase }[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: ProxyEnv,
    readonly name: string,
    readonly kind: NodeKind,
    readonly dir: string,
    readonly hostIndex: number,
    readonly passphrase?: string,
  ) {}

  get online(): boolean {
    return this.state === 'online';
  }

  private worker(): HostWorker {
    if (!this.host) throw new Error(`${this.name} has no host yet`);
    return this.host;
  }

  private serial(op: () => Promise<void>): Promise<void> {
    const next = this.chain.then(op);
    this.chain = next.catch(() => {});
    return next;
  }

  start(bootstrap: readonly string[]): Promise<void> {
    return this.serial(async () => {
      if (this.state === 'gone' || this.state === 'online') return;
      this.state = 'starting';
      try {
        const started = await this.worker().request('start', { name: this.name, bootstrap: [...bootstrap] });
        this.address = started.address;
        this.state = 'online';
        this.intervals.push({ start: started.at });
        this.env.onlineChanged(1);
      } catch (err) {
        this.state = 'offline';
        throw err;
      }
    });
  }

  stop(forGood = false): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'online') {
        if (forGood) this.state = 'gone';
        return;
      }
      this.state = 'stopping';
      const interval = this.intervals.at(-1);
      if (interval) interval.end = wallNow();
      this.env.onlineChanged(-1);
      try {
        await this.worker().request('leave', { name: this.name, forGood });
      } finally {
        this.state = forGood ? 'gone' : 'offline';
      }
    });
  }

  /** Waits for lifecycle calls in progress. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Was it online at wall time `t`? */
  onlineAt(t: number): boolean {
    return this.intervals.some((i) => i.start <= t && (i.end === undefined || t < i.end));
  }

  /** Start of the last online interval that began at or before `t`. */
  returnBefore(t: number): number | undefined {
    let best: number | undefined;
    for (const i of this.intervals) if (i.start <= t) best = i.start;
    return best;
  }

  send(to: string, text: string, waitMs = 0): Promise<HostRequests['send']['result']> {
    return this.worker().request('send', { name: this.name, to, text, waitMs });
  }

  sendMany(to: string, texts: string[]): Promise<HostRequests['sendMany']['result']> {
    return this.worker().request('sendMany', { name: this.name, to, texts });
  }

  async addContact(name: string, peerId: string): Promise<void> {
    await this.worker().request('addContact', { name: this.name, contact: name, peerId });
  }

  fetchMail(): Promise<number> {
    return this.worker().request('fetchMail', { name: this.name });
  }

  probe(target: string, key: Uint8Array, timeoutMs: number): Promise<ProbeResult | null> {
    return this.worker().request('probe', { name: this.name, target, key, timeoutMs });
  }

  disk(): Promise<number> {
    return this.worker().request('disk', { name: this.name });
  }

  /** A request about this node to its host (the group scenario's group calls, which name the node). */
  ask<K extends keyof HostRequests & string>(request: K, args: Omit<HostRequests[K]['args'], 'name'>): Promise<HostRequests[K]['result']> {
    return this.worker().request(request, { ...args, name: this.name } as HostRequests[K]['args']);
  }

  countMail(mailboxKey: string): Promise<number | null> {
    return this.worker().request('countMail', { name: this.name, mailboxKey });
  }
}
