/**
 * Peer memory: the peers a node met, kept so that its next start can dial
 * them again when its bootstrap peers are gone (docs/PROTOCOL.md §13,
 * "Peer memory"). This module is the bounded set itself, pure: the clock is
 * an argument and every operation returns the records to write and delete;
 * ./remembered-peers.ts feeds it from a running node and stores what it
 * returns.
 *
 * Each peer is remembered as one kind, and each kind has a bound of its own
 * (PEER_MEMORY_MAX_*), so that the peers any stranger can become by merely
 * connecting (DHT peers, relays) can never take the places of contacts or
 * mailboxes. Within a kind, a newcomer takes the place of a peer only when
 * that peer failed to answer at a start; peers that keep answering are never
 * pushed out, however many new ones connect. A peer is forgotten after
 * PEER_MEMORY_MAX_FAILURES starts in a row at which it did not answer, or
 * when it has not answered for PEER_MEMORY_MAX_AGE_MS.
 */
import {
  PEER_MEMORY_MAX_ADDRESS_LENGTH,
  PEER_MEMORY_MAX_ADDRESSES,
  PEER_MEMORY_MAX_AGE_MS,
  PEER_MEMORY_MAX_CONTACTS,
  PEER_MEMORY_MAX_DHT_PEERS,
  PEER_MEMORY_MAX_FAILURES,
  PEER_MEMORY_MAX_MAILBOXES,
  PEER_MEMORY_MAX_RELAYS,
  PEER_MEMORY_TOUCH_INTERVAL_MS,
} from '../constants.ts';

/** What a remembered peer was to this node. */
export type PeerKind = 'contact' | 'mailbox' | 'dht' | 'relay';

/** Every kind, in the order a start dials them: contacts first, then mailboxes, DHT peers, relays. */
export const PEER_KINDS: readonly PeerKind[] = ['contact', 'mailbox', 'dht', 'relay'];

/** How many peers of each kind are remembered at most. */
export const PEER_KIND_LIMITS: Readonly<Record<PeerKind, number>> = {
  contact: PEER_MEMORY_MAX_CONTACTS,
  mailbox: PEER_MEMORY_MAX_MAILBOXES,
  dht: PEER_MEMORY_MAX_DHT_PEERS,
  relay: PEER_MEMORY_MAX_RELAYS,
};

/**
 * Which kind wins when one peer is several: what the user chose, then what
 * served this node, then what is merely claimed. A peer's kind only rises.
 */
const KIND_RANK: Readonly<Record<PeerKind, number>> = { dht: 0, relay: 1, mailbox: 2, contact: 3 };

/** One remembered peer, as stored (docs/PROTOCOL.md §16, `netpeer:`; the store room has the same shape as RememberedPeerRecord: the two rooms do not see each other). */
export interface RememberedPeer {
  readonly peerId: string;
  readonly kind: PeerKind;
  /** Where it was reached or said it listens, without /p2p/<its id>; at most PEER_MEMORY_MAX_ADDRESSES. */
  readonly addresses: readonly string[];
  /** When it was first and last heard from, ms. */
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** Starts in a row (with the network up) at which it did not answer. */
  readonly failures: number;
}

/** What an operation changed: records to write, and peer ids whose records to delete. */
export interface MemoryChange {
  readonly put: readonly RememberedPeer[];
  readonly delete: readonly string[];
}

/** True when a change writes nothing. */
export function isEmptyChange(change: MemoryChange): boolean {
  return change.put.length === 0 && change.delete.length === 0;
}

/** The addresses worth keeping: strings within the length bound, without repeats, at most PEER_MEMORY_MAX_ADDRESSES. */
export function keptAddresses(addresses: readonly string[]): string[] {
  const out: string[] = [];
  for (const address of addresses) {
    if (out.length >= PEER_MEMORY_MAX_ADDRESSES) break;
    if (typeof address !== 'string' || address.length === 0 || address.length > PEER_MEMORY_MAX_ADDRESS_LENGTH || out.includes(address)) continue;
    out.push(address);
  }
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The bounded set of remembered peers. */
export class PeerMemory {
  private readonly peers = new Map<string, RememberedPeer>();

  private constructor() {}

  /**
   * The memory of `stored` records as of `now`: records too old, failed too
   * often, or beyond their kind's bound (the most recently heard from are
   * kept) are dropped, and returned in `change.delete` so the caller deletes
   * them too.
   */
  static load(stored: readonly RememberedPeer[], now: number): { memory: PeerMemory; change: MemoryChange } {
    const memory = new PeerMemory();
    const dropped: string[] = [];
    const counts: Record<PeerKind, number> = { contact: 0, mailbox: 0, dht: 0, relay: 0 };
    for (const peer of [...stored].sort((a, b) => b.lastSeenAt - a.lastSeenAt)) {
      const stale = now - peer.lastSeenAt > PEER_MEMORY_MAX_AGE_MS || peer.failures >= PEER_MEMORY_MAX_FAILURES;
      if (stale || memory.peers.has(peer.peerId) || counts[peer.kind] >= PEER_KIND_LIMITS[peer.kind]) {
        dropped.push(peer.peerId);
        continue;
      }
      counts[peer.kind]++;
      memory.peers.set(peer.peerId, { ...peer, addresses: keptAddresses(peer.addresses) });
    }
    return { memory, change: { put: [], delete: [...new Set(dropped)].filter((id) => !memory.peers.has(id)) } };
  }

  /** The remembered peer `peerId`, if any. */
  get(peerId: string): RememberedPeer | undefined {
    return this.peers.get(peerId);
  }

  /** How many peers are remembered. */
  get size(): number {
    return this.peers.size;
  }

  /** Every remembered peer in dial order: by kind (PEER_KINDS), then the most recently heard from first. */
  list(): RememberedPeer[] {
    return [...this.peers.values()].sort((a, b) => PEER_KINDS.indexOf(a.kind) - PEER_KINDS.indexOf(b.kind) || b.lastSeenAt - a.lastSeenAt);
  }

  /**
   * `peerId` answered at `now` as a peer of `kind`, at `addresses` (the
   * ones to try first first; an empty list keeps those remembered). A known
   * peer's failures go back to 0, and its kind rises to `kind` when that
   * ranks higher (and there is room). A new peer is remembered when its
   * kind has room, or in place of the peer of that kind that failed most
   * (the longest unheard among them); when every peer of the kind answered
   * at its last start, the newcomer is not remembered. A peer heard from
   * again within PEER_MEMORY_TOUCH_INTERVAL_MS with nothing new is not
   * written again.
   */
  answered(peerId: string, kind: PeerKind, addresses: readonly string[], now: number): MemoryChange {
    const known = this.peers.get(peerId);
    const fresh = keptAddresses(addresses);
    const newAddresses = fresh.length > 0 ? fresh : (known?.addresses ?? []);
    if (newAddresses.length === 0) return { put: [], delete: [] };
    let targetKind = known && KIND_RANK[known.kind] >= KIND_RANK[kind] ? known.kind : kind;
    const deleted: string[] = [];
    if (targetKind !== known?.kind) {
      const victim = this.placeIn(targetKind, peerId);
      if (victim === null) {
        if (!known) return { put: [], delete: [] };
        targetKind = known.kind;
      } else if (victim !== undefined) {
        this.peers.delete(victim);
        deleted.push(victim);
      }
    }
    if (known && known.kind === targetKind && known.failures === 0 && sameList(known.addresses, newAddresses) && now - known.lastSeenAt < PEER_MEMORY_TOUCH_INTERVAL_MS) {
      return { put: [], delete: deleted };
    }
    const updated: RememberedPeer = {
      peerId,
      kind: targetKind,
      addresses: newAddresses,
      firstSeenAt: known?.firstSeenAt ?? now,
      lastSeenAt: Math.max(now, known?.lastSeenAt ?? now),
      failures: 0,
    };
    this.peers.set(peerId, updated);
    return { put: [updated], delete: deleted };
  }

  /**
   * The peers of `peerIds` did not answer at a start while the network was
   * up (another peer did): each counts a failure, and those at
   * PEER_MEMORY_MAX_FAILURES are forgotten.
   */
  failed(peerIds: Iterable<string>): MemoryChange {
    const put: RememberedPeer[] = [];
    const deleted: string[] = [];
    for (const peerId of new Set(peerIds)) {
      const known = this.peers.get(peerId);
      if (!known) continue;
      const failures = known.failures + 1;
      if (failures >= PEER_MEMORY_MAX_FAILURES) {
        this.peers.delete(peerId);
        deleted.push(peerId);
        continue;
      }
      const updated = { ...known, failures };
      this.peers.set(peerId, updated);
      put.push(updated);
    }
    return { put, delete: deleted };
  }

  /**
   * Where a peer joining `kind` goes: undefined when the kind has room,
   * the peer id it replaces, or null when every peer of the kind answered
   * at its last start (nothing is pushed out).
   */
  private placeIn(kind: PeerKind, joining: string): string | undefined | null {
    const ofKind = [...this.peers.values()].filter((p) => p.kind === kind && p.peerId !== joining);
    if (ofKind.length < PEER_KIND_LIMITS[kind]) return undefined;
    const failing = ofKind.filter((p) => p.failures > 0).sort((a, b) => b.failures - a.failures || a.lastSeenAt - b.lastSeenAt);
    return failing[0]?.peerId ?? null;
  }
}
