/**
 * Peer memory on a running node (the bounded set is ./peer-memory.ts): it
 * remembers the peers the node meets and, at start, dials the ones it
 * remembered, so that a node whose bootstrap peers are gone still finds its
 * network (docs/PROTOCOL.md §13, "Peer memory").
 *
 * - **What is remembered.** A peer is remembered once identify has run on a
 *   connection to it: a contact on any connection; any other peer only on
 *   a connection this node opened (to a bootstrap peer, a peer the DHT or
 *   mDNS pointed to), as a relay when it serves the circuit relay hop
 *   protocol, a DHT peer when it speaks Sotto's DHT; anything else is not.
 *   A peer that merely connects to this node is never remembered: a flood
 *   of inbound connections leaves the memory as it was, and a mailbox's
 *   disk does not list the peers that deposit and fetch. A peer becomes a
 *   mailbox only by serving this node's mail fetch
 *   ({@link RememberedPeers.noteMailboxes}), not by claiming the protocol.
 *   Its addresses are the one this node dialled it at (proven) and those
 *   it says it listens on.
 * - **What is dialled.** Every address, remembered or about to be, passes
 *   the contact dial policy (./contact-dial-policy.ts) against the node's
 *   networks at that moment, as invite addresses do: anyone who connects
 *   can claim listen addresses, and a remembered address is dialled at
 *   every start without anyone asking, so it must not make the node knock
 *   on this machine's loopback services, hosts of a LAN it is not on, or
 *   many ports of one host.
 * - **When.** At start, every remembered peer (contacts first, then
 *   mailboxes, DHT peers, relays), PEER_MEMORY_DIAL_CONCURRENCY at a time;
 *   again every BOOTSTRAP_RETRY_INTERVAL_MS while the node has no
 *   connection. A peer that does not answer counts a failure only when the
 *   node reached someone else in that round: a node that is offline blames
 *   nobody.
 *
 * Logs go to `sotto:node:memory` (counts and peer ids, never addresses).
 */
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2';
import type { IdentifyResult, PeerId } from '@libp2p/interface';
import { logger } from '@libp2p/logger';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { BOOTSTRAP_RETRY_INTERVAL_MS, CONNECT_TIMEOUT_MS, KAD_PROTOCOL, LOG_PREFIX, PEER_MEMORY_DIAL_CONCURRENCY } from '../constants.ts';
import { peerIdFromText } from '../encoding/peer-id.ts';
import { contactDialAddresses } from './contact-dial-policy.ts';
import type { SottoNode } from './libp2p.ts';
import { isEmptyChange, PeerMemory, type MemoryChange, type PeerKind, type RememberedPeer } from './peer-memory.ts';

const log = logger(`${LOG_PREFIX}:memory`);

/** Where peer memory is kept (the home's store, in Sotto). */
export interface PeerMemoryStorage {
  /** Every remembered peer. */
  load(): Promise<readonly RememberedPeer[]>;
  /** Writes what one operation changed (records to put, peer ids to delete). */
  save(change: MemoryChange): Promise<void>;
}

/** Timers (injected: the node's are real, a test's may be its own). */
export interface MemoryTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What {@link rememberPeers} needs. */
export interface RememberedPeersOptions {
  readonly storage: PeerMemoryStorage;
  /** The clock, ms. */
  readonly now: () => number;
  readonly timers: MemoryTimers;
  /** Whether `peerId` is one of the user's contacts. */
  readonly isContact: (peerId: string) => Promise<boolean>;
  /** Subnets of this machine's interfaces, asked at each use (./interface-subnets.ts in Node). Default none. */
  readonly localSubnets?: () => readonly string[];
}

/** How a round of dials went. */
export interface DialRound {
  /** Remembered peers with an address the dial policy admits now. */
  readonly tried: number;
  /** Those that answered (connected). */
  readonly answered: number;
}

/** Peer memory at work on a node. */
export interface RememberedPeers {
  /** How many peers are remembered now. */
  size(): number;
  /** The start's round of dials (begun at once); resolves when every remembered peer answered or failed. */
  readonly firstRound: Promise<DialRound>;
  /** These peers served this node's mail fetch: remembered as mailboxes. */
  noteMailboxes(peerIds: readonly string[]): void;
  /** Stops listening and dialling, and waits for the writes under way. */
  stop(): Promise<void>;
}

/** The kind a peer is remembered as, from what identify says it serves; undefined for a peer that is not a Sotto node. */
function kindOf(protocols: readonly string[], contact: boolean): PeerKind | undefined {
  if (contact) return 'contact';
  if (protocols.includes(RELAY_V2_HOP_CODEC)) return 'relay';
  if (protocols.includes(KAD_PROTOCOL)) return 'dht';
  return undefined;
}

/** `address` without a final /p2p/<peerId>. */
function withoutOwnId(address: Multiaddr, peerId: string): string {
  const components = address.getComponents();
  const last = components.at(-1);
  if (last?.name === 'p2p' && last.value === peerId) return multiaddr(components.slice(0, -1)).toString();
  return address.toString();
}

/**
 * Starts peer memory on `node`: loads what the home remembers (forgetting
 * what aged out), listens for peers to remember, and begins the start's
 * round of dials. Throws the storage's read errors.
 */
export async function rememberPeers(node: SottoNode, options: RememberedPeersOptions): Promise<RememberedPeers> {
  const { libp2p } = node;
  const loaded = PeerMemory.load(await options.storage.load(), options.now());
  const memory = loaded.memory;
  const stopping = new AbortController();
  let saving: Promise<void> = Promise.resolve();
  const save = (change: MemoryChange): void => {
    if (isEmptyChange(change)) return;
    saving = saving.then(() => options.storage.save(change)).catch((err: unknown) => log.error('could not write peer memory: %s', err instanceof Error ? err.message : String(err)));
  };
  save(loaded.change);

  const admitted = (peerId: string, addresses: readonly string[]): string[] =>
    contactDialAddresses(peerId, addresses, { ownAddresses: node.addresses(), subnets: options.localSubnets?.() ?? [] }).kept;

  /** Remembers a peer identify told about; `outbound`: on a connection this node opened. */
  const remember = async (peerId: PeerId, protocols: readonly string[], addresses: readonly Multiaddr[], outbound: boolean): Promise<void> => {
    const id = peerId.toString();
    if (stopping.signal.aborted || id === node.peerId) return;
    const contact = await options.isContact(id);
    if (!contact && !outbound) return;
    const kind = kindOf(protocols, contact);
    if (kind === undefined || stopping.signal.aborted) return;
    save(memory.answered(id, kind, admitted(id, addresses.map((a) => withoutOwnId(a, id))), options.now()));
  };

  const onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, listenAddrs, connection } = event.detail;
    // The address this node dialled is proven; a relayed one is limited and kept only as a listen address.
    const outbound = connection.direction === 'outbound';
    const dialled = outbound && connection.limits === undefined ? [connection.remoteAddr] : [];
    void remember(peerId, protocols, [...dialled, ...listenAddrs], outbound).catch(() => {});
  };
  libp2p.addEventListener('peer:identify', onIdentify);
  // Peers connected before this began (bootstrap dials at start): what the peer store knows of them.
  for (const connection of libp2p.getConnections()) {
    void libp2p.peerStore
      .get(connection.remotePeer)
      .then((peer) => remember(peer.id, peer.protocols, peer.addresses.map((a) => a.multiaddr), connection.direction === 'outbound'))
      .catch(() => {});
  }

  /** Dials one remembered peer; true when it answered, undefined when no address of it may be dialled now. */
  const dial = async (peer: RememberedPeer): Promise<boolean | undefined> => {
    const addresses = admitted(peer.peerId, peer.addresses);
    if (addresses.length === 0) return undefined;
    let id: PeerId;
    try {
      id = peerIdFromText(peer.peerId);
    } catch {
      return undefined;
    }
    if (libp2p.getConnections(id).length > 0) return true;
    const targets = addresses.map((a) => multiaddr(a));
    try {
      await libp2p.peerStore.merge(id, { multiaddrs: targets });
      await libp2p.dial(targets.map((a) => a.encapsulate(`/p2p/${peer.peerId}`)), { signal: AbortSignal.any([AbortSignal.timeout(CONNECT_TIMEOUT_MS), stopping.signal]) });
      return true;
    } catch (err) {
      log('%s did not answer: %s', peer.peerId, err instanceof Error ? err.name : String(err));
      return false;
    }
  };

  let round: Promise<DialRound> | undefined;
  const dialAll = (): Promise<DialRound> =>
    (round ??= (async () => {
      const queue = memory.list();
      const failed: string[] = [];
      let tried = 0;
      let answered = 0;
      const worker = async (): Promise<void> => {
        for (let peer = queue.shift(); peer !== undefined && !stopping.signal.aborted; peer = queue.shift()) {
          const outcome = await dial(peer);
          if (outcome === undefined) continue;
          tried++;
          if (outcome) {
            answered++;
            save(memory.answered(peer.peerId, peer.kind, [], options.now()));
          } else failed.push(peer.peerId);
        }
      };
      await Promise.all(Array.from({ length: PEER_MEMORY_DIAL_CONCURRENCY }, worker));
      // Only a node that reached someone knows the others were away, not itself.
      if (!stopping.signal.aborted && libp2p.getConnections().length > 0) save(memory.failed(failed));
      log('dialled %d remembered peers, %d answered', tried, answered);
      return { tried, answered };
    })().finally(() => {
      round = undefined;
    }));

  let timer: unknown;
  const redial = (): void => {
    timer = options.timers.setTimeout(() => {
      if (stopping.signal.aborted) return;
      if (libp2p.getConnections().length === 0 && memory.size > 0) void dialAll().catch(() => {});
      redial();
    }, BOOTSTRAP_RETRY_INTERVAL_MS);
  };
  const firstRound = dialAll();
  redial();

  return {
    size: () => memory.size,
    firstRound,
    noteMailboxes: (peerIds) => {
      for (const id of peerIds) {
        const known = memory.get(id)?.addresses;
        const fromStore = async (): Promise<string[]> => {
          const peer = await libp2p.peerStore.get(peerIdFromText(id));
          return admitted(id, peer.addresses.map((a) => withoutOwnId(a.multiaddr, id)));
        };
        void (known ? Promise.resolve([...known]) : fromStore())
          .then((addresses) => {
            if (!stopping.signal.aborted) save(memory.answered(id, 'mailbox', addresses, options.now()));
          })
          .catch(() => {});
      }
    },
    stop: async () => {
      stopping.abort();
      options.timers.clearTimeout(timer);
      libp2p.removeEventListener('peer:identify', onIdentify);
      await round?.catch(() => undefined);
      await saving;
    },
  };
}
