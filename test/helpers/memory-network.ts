/**
 * An in-memory Network for messenger tests: peers by peer id, framed stream
 * pairs, peers that go offline and come back, and optional frame loss on
 * the way. No sockets, deterministic scheduling (everything is promises).
 */
import { createHash } from 'node:crypto';
import type { FramedStream, Network, StreamHandler } from '../../src/node/transport/network.ts';

class StreamEnd implements FramedStream {
  private readonly frames: Uint8Array[] = [];
  private readonly waiters: { resolve: (f: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  private ended: Error | undefined;
  peer!: StreamEnd;
  /** Set on a stream whose connection closes right after its first frame reached the other side. */
  breaksAfterFirstFrame = false;

  constructor(private readonly maxFrameBytes: number) {}

  deliver(frame: Uint8Array): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(frame);
    else this.frames.push(frame);
  }

  end(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  read(options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.waiters.push(waiter);
      options.signal?.addEventListener('abort', () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('read timed out'));
      });
    });
  }

  async write(frame: Uint8Array): Promise<void> {
    if (this.ended) throw this.ended;
    if (frame.length > this.maxFrameBytes) throw new Error('frame too large');
    const copy = frame.slice();
    queueMicrotask(() => {
      this.peer.deliver(copy);
      // The frame arrived; its answer will not come back on this stream.
      if (this.breaksAfterFirstFrame) queueMicrotask(() => this.abort(new Error('connection closed')));
    });
  }

  async writeMany(frames: readonly Uint8Array[]): Promise<void> {
    for (const frame of frames) await this.write(frame);
  }

  async close(): Promise<void> {
    const closed = new Error('stream closed');
    queueMicrotask(() => this.peer.end(closed));
    this.end(closed);
  }

  abort(err: Error): void {
    this.end(err);
    this.peer.end(err);
  }
}

function streamPair(maxFrameBytes: number): [StreamEnd, StreamEnd] {
  const a = new StreamEnd(maxFrameBytes);
  const b = new StreamEnd(maxFrameBytes);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** A set of in-memory peers. */
export class MemoryHub {
  private readonly handlers = new Map<string, Map<string, StreamHandler>>();
  private readonly online = new Set<string>();
  private readonly connectListeners = new Map<string, Set<(peerId: string) => void>>();
  private readonly openStreams = new Map<string, Set<StreamEnd>>();
  /** While partitioned: the side of each peer named (peers on no side reach everyone). */
  private readonly sides = new Map<string, number>();
  /** Streams opened so far, by protocol (for assertions). */
  readonly opened: string[] = [];
  /** Every stream asked for, reached or not: who dialled whom on what (for assertions on dials). */
  readonly dials: { readonly from: string; readonly to: string; readonly protocol: string }[] = [];
  /** Protocols whose next stream breaks once its first frame is through (a connection closing under it). */
  private readonly breakNext = new Set<string>();

  /** The next stream on `protocol` breaks right after its first frame reached the other side. */
  breakNextStream(protocol: string): void {
    this.breakNext.add(protocol);
  }

  /** The Network of `peerId` (online at once). */
  network(peerId: string): Network {
    this.online.add(peerId);
    return this.networkOf(peerId, this);
  }

  private networkOf(peerId: string, hub: MemoryHub): Network {
    return {
      peerId,
      async handle(protocol, _max, handler) {
        let map = hub.handlers.get(peerId);
        if (!map) hub.handlers.set(peerId, (map = new Map()));
        map.set(protocol, handler);
      },
      async open(remote, protocol, maxFrameBytes) {
        hub.dials.push({ from: peerId, to: remote, protocol });
        if (!hub.online.has(peerId)) throw new Error('this node is offline');
        const handler = hub.handlers.get(remote)?.get(protocol);
        if (!hub.online.has(remote) || !handler || !hub.reaches(peerId, remote)) throw new Error(`peer ${remote.slice(0, 12)} is unreachable`);
        const [mine, theirs] = streamPair(maxFrameBytes);
        mine.breaksAfterFirstFrame = hub.breakNext.delete(protocol);
        hub.track(peerId, mine);
        hub.track(remote, theirs);
        hub.opened.push(protocol);
        void handler(theirs, peerId).catch(() => {});
        return mine;
      },
      onPeerConnected(listener) {
        let set = hub.connectListeners.get(peerId);
        if (!set) hub.connectListeners.set(peerId, (set = new Set()));
        set.add(listener);
        return () => set.delete(listener);
      },
      async closestPeers(key, count) {
        if (!hub.online.has(peerId)) throw new Error('this node is offline');
        const target = hub.hash(key);
        const distance = (id: string): string => {
          const h = hub.hash(new TextEncoder().encode(id));
          return Array.from(h, (b, i) => (b ^ target[i]!).toString(16).padStart(2, '0')).join('');
        };
        return [...hub.online].filter((id) => id !== peerId && hub.reaches(peerId, id)).sort((a, b) => (distance(a) < distance(b) ? -1 : 1)).slice(0, count);
      },
      async putRecord(key, value) {
        if (!hub.online.has(peerId)) throw new Error('this node is offline');
        const id = Buffer.from(key).toString('hex');
        if (hub.validateRecord && !(await hub.validateRecord(key, value))) return 0;
        hub.records.set(id, [...(hub.records.get(id) ?? []), value.slice()]);
        return 1;
      },
      async getRecords(key) {
        if (!hub.online.has(peerId)) throw new Error('this node is offline');
        return [...(hub.records.get(Buffer.from(key).toString('hex')) ?? [])];
      },
    };
  }

  /** DHT records, by key (hex): every value put, as a DHT holds copies from several peers. */
  readonly records = new Map<string, Uint8Array[]>();
  /** A validator like the DHT's: records it refuses are not stored. */
  validateRecord: ((key: Uint8Array, value: Uint8Array) => Promise<boolean>) | undefined;

  private hash(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha256').update(bytes).digest());
  }

  private track(peerId: string, end: StreamEnd): void {
    let set = this.openStreams.get(peerId);
    if (!set) this.openStreams.set(peerId, (set = new Set()));
    set.add(end);
  }

  /** Splits the network: peers of different sides cannot reach each other until {@link heal}; streams across break. */
  partition(...sides: (readonly string[])[]): void {
    sides.forEach((side, i) => side.forEach((peerId) => this.sides.set(peerId, i)));
    for (const [peerId, ends] of this.openStreams) if (this.sides.has(peerId)) for (const end of ends) end.abort(new Error('partitioned'));
  }

  /**
   * Ends a partition. Connections across come back (the DHT's routing table
   * refresh dials its peers again): each online peer hears every online peer
   * of another side connect.
   */
  heal(): void {
    const sides = new Map(this.sides);
    this.sides.clear();
    for (const [listener, set] of this.connectListeners) {
      const mine = sides.get(listener);
      if (mine === undefined || !this.online.has(listener)) continue;
      for (const [peerId, side] of sides) if (side !== mine && this.online.has(peerId)) for (const l of set) l(peerId);
    }
  }

  private reaches(a: string, b: string): boolean {
    const sa = this.sides.get(a);
    const sb = this.sides.get(b);
    return sa === undefined || sb === undefined || sa === sb;
  }

  /** True while `peerId` is on the network. */
  isOnline(peerId: string): boolean {
    return this.online.has(peerId);
  }

  /** Takes a peer off the network: its streams break, nobody can reach it. */
  goOffline(peerId: string): void {
    this.online.delete(peerId);
    for (const end of this.openStreams.get(peerId) ?? []) end.abort(new Error('connection lost'));
    this.openStreams.delete(peerId);
  }

  /** Brings a peer back; every other online peer hears that it connected. */
  goOnline(peerId: string): void {
    this.online.add(peerId);
    for (const [listener, set] of this.connectListeners) {
      if (listener !== peerId && this.online.has(listener)) for (const l of set) l(peerId);
    }
  }

  /** Forgets a peer's handlers (a stopped process). */
  remove(peerId: string): void {
    this.goOffline(peerId);
    this.handlers.delete(peerId);
    this.connectListeners.delete(peerId);
  }
}
