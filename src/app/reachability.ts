/**
 * Whether a started node reached anyone, and what to tell its user when it
 * did not: `sotto start` (and `start --detach`, before it returns), the
 * chat, and `sotto status` say so instead of a bare "ready".
 *
 * A node looks for peers through its bootstrap addresses, the peers it
 * remembers from earlier runs (peer memory) and mDNS. With none of them it
 * is alone at once; otherwise it waits for a first connection, at most
 * START_PEER_WAIT_MS, and less when every dial has failed and mDNS (which
 * only answers when someone is there) is off.
 */
import { START_PEER_WAIT_MS } from '../node/constants.ts';
import type { Scheduler } from '../node/core/core.ts';
import { count } from './plural.ts';
import { formatDuration } from './progress.ts';

/** Where a node looks for peers. */
export interface PeerSources {
  /** Bootstrap addresses configured. */
  readonly bootstrap: number;
  /** Peers remembered from earlier runs (in `sotto status`: remembered now). */
  readonly remembered: number;
  /** LAN discovery is on. */
  readonly mdns: boolean;
}

/**
 * How the node's search for peers stands: `connected`; `connecting` (within
 * the wait); `no-sources` (nothing to look through); `unreachable` (looked,
 * nobody answered).
 */
export type NetworkState = 'connected' | 'connecting' | 'no-sources' | 'unreachable';

/** What `sotto status` reports about the node's network. */
export interface NetworkReport {
  readonly state: NetworkState;
  readonly sources: PeerSources;
}

/** What {@link awaitFirstPeer} watches. */
export interface PeerWatch {
  /** Open connections now. */
  connected(): number;
  /** Calls `listener` when a peer connects; returns the function that stops it. */
  onConnect(listener: () => void): () => void;
  /** Resolves once every dial the start began (bootstrap and remembered peers) has answered or failed. */
  readonly dialsDone: Promise<unknown>;
  /** Resolves when the node stops. */
  readonly stopped: Promise<void>;
}

/** True when `sources` give the node nothing to look through. */
export function hasNoSources(sources: PeerSources): boolean {
  return sources.bootstrap === 0 && sources.remembered === 0 && !sources.mdns;
}

/**
 * Resolves to `connected` once a peer connects, `no-sources` at once when
 * there is nothing to look through, else `unreachable` after `waitMs`, or
 * as soon as every dial failed when mDNS is off.
 */
export function awaitFirstPeer(watch: PeerWatch, sources: PeerSources, scheduler: Scheduler, waitMs = START_PEER_WAIT_MS): Promise<NetworkState> {
  if (watch.connected() > 0) return Promise.resolve('connected');
  if (hasNoSources(sources)) return Promise.resolve('no-sources');
  return new Promise((resolve) => {
    let over = false;
    const done = (state: NetworkState): void => {
      if (over) return;
      over = true;
      off();
      scheduler.clearTimeout(timer);
      resolve(state);
    };
    const off = watch.onConnect(() => done('connected'));
    const timer = scheduler.setTimeout(() => done(watch.connected() > 0 ? 'connected' : 'unreachable'), waitMs);
    void watch.stopped.then(() => done(watch.connected() > 0 ? 'connected' : 'unreachable'));
    if (!sources.mdns) void watch.dialsDone.then(() => done(watch.connected() > 0 ? 'connected' : 'unreachable'), () => {});
  });
}

/** What was tried, in words: "1 bootstrap peer, 2 remembered peers, mDNS". */
function tried(sources: PeerSources): string {
  const parts: string[] = [];
  if (sources.bootstrap > 0) parts.push(count(sources.bootstrap, 'bootstrap peer'));
  if (sources.remembered > 0) parts.push(count(sources.remembered, 'remembered peer'));
  if (sources.mdns) parts.push('mDNS on this network');
  return parts.join(', ');
}

/**
 * The warning and its hint when a node reached no peer (`sotto: warning:
 * …` and `hint: …` lines), or none when it did. `address` is one of the
 * node's own (what others would join it with).
 */
export function noPeerLines(state: NetworkState, sources: PeerSources, waitedMs: number, address: string | undefined): string[] {
  const join = address === undefined ? '' : `; others can join this node with --bootstrap ${address}`;
  if (state === 'no-sources') {
    return [
      'sotto: warning: no peer to reach: no bootstrap address, no peer remembered from an earlier run, and mDNS is off',
      `hint: add a peer with --bootstrap /ip4/HOST/tcp/PORT/p2p/PEERID (kept for later starts), or find peers on this network with --mdns${join}`,
    ];
  }
  if (state !== 'unreachable') return [];
  return [
    `sotto: warning: no peer reachable after ${formatDuration(waitedMs)} (tried ${tried(sources)})`,
    sources.bootstrap + sources.remembered > 0
      ? `hint: check this machine's network connection, or add the address of a peer that is up (sotto config set bootstrap MULTIADDR); the node keeps trying${join}`
      : `hint: no other Sotto node answered on this network yet: the node keeps waiting for one; to join a network elsewhere add --bootstrap MULTIADDR${join}`,
  ];
}

/**
 * The same in one short line, for the chat's progress line: what went
 * wrong and where to look ("sotto config" sets what the node looks
 * through); none when it reached a peer.
 */
export function noPeerLine(state: NetworkState, sources: PeerSources): string | undefined {
  if (state === 'no-sources') return 'no peer to reach: no bootstrap, none remembered, mDNS off (see sotto config)';
  if (state === 'unreachable') return `no peer reachable yet (tried ${tried(sources)}); still trying`;
  return undefined;
}
