/**
 * What the page says about its connections, truthfully: the header's line
 * about its link to its node (./node-link.ts) and how many peers it has,
 * and, for each contact, how the page reaches it now.
 *
 * A page is "online" only while it is connected to its node: that node is
 * its relay, its way into the network and its mailbox, and contacts reached
 * by WebRTC alone do not make up for it. Peers are distinct peers with an
 * open connection (a contact reached by WebRTC keeps its relayed connection
 * for a while: two connections, one peer). A contact is "relayed" only when
 * every open connection to it is a relayed one, whose relay sees how much
 * and when (never what: messages are end-to-end encrypted).
 */
import type { Connection } from '@libp2p/interface';
import type { LinkState } from './node-link.ts';

/** How the page reaches a contact now. */
export type ConnectionKind =
  /** WebSockets to a desktop node (the page's own node). */
  | 'direct'
  /** A WebRTC connection of their own, signalled through a relay. */
  | 'webrtc'
  /** Only through a relay. */
  | 'relayed'
  | 'none';

/** Preference among several open connections to one peer. */
const RANK: Readonly<Record<ConnectionKind, number>> = { none: 0, relayed: 1, webrtc: 2, direct: 3 };

/** The kind of one open connection. */
function kindOf(connection: Connection): ConnectionKind {
  if (connection.limits !== undefined) return 'relayed';
  return connection.remoteAddr.toString().includes('/webrtc') ? 'webrtc' : 'direct';
}

/** How `peerId` is reached among `connections`: the best of its open ones. */
export function connectionKind(connections: readonly Connection[], peerId: string): ConnectionKind {
  let best: ConnectionKind = 'none';
  for (const connection of connections) {
    if (connection.status !== 'open' || connection.remotePeer.toString() !== peerId) continue;
    const kind = kindOf(connection);
    if (RANK[kind] > RANK[best]) best = kind;
  }
  return best;
}

/** Distinct peers with an open connection. */
export function openPeers(connections: readonly Connection[]): number {
  return new Set(connections.filter((c) => c.status === 'open').map((c) => c.remotePeer.toString())).size;
}

/** What the header's status is drawn from. */
export interface StatusView {
  readonly link: LinkState;
  readonly peers: number;
  /** Whether the browser can open WebRTC connections. */
  readonly webrtc: boolean;
}

const peerCount = (peers: number): string => `${peers} peer${peers === 1 ? '' : 's'}`;
const clock = (at: number): string => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The status line's text and its longer explanation (the element's title). */
export function statusText(view: StatusView): { text: string; title: string } {
  const relayedOnly = view.webrtc ? '' : ' · relayed only';
  const noWebrtc = view.webrtc ? '' : ' This browser gathers no network candidates for WebRTC (no network route): every contact is reached through your node.';
  switch (view.link.kind) {
    case 'connected':
      return { text: `online · ${peerCount(view.peers)}${relayedOnly}`, title: `Connected to your node since ${clock(view.link.since)}.${noWebrtc}` };
    case 'connecting':
      return { text: 'connecting to your node…', title: `Reaching the node that served this page.${noWebrtc}` };
    case 'disconnected': {
      const { since, attempts, retryAt, problem } = view.link;
      const others = view.peers > 0 ? ` · ${peerCount(view.peers)}` : '';
      const next = retryAt === undefined ? 'trying now' : `next try at ${clock(retryAt)}`;
      return {
        text: `not connected to your node · ${retryAt === undefined ? 'reconnecting…' : 'will retry'}${others}`,
        title: `Not connected to your node since ${clock(since)} (${attempts} tr${attempts === 1 ? 'y' : 'ies'}${problem === undefined ? '' : `: ${problem}`}); ${next}. Messages wait in the outbox; start your node (sotto start --web) and this page reconnects by itself.${noWebrtc}`,
      };
    }
  }
}

/** Draws `view` into the status element: its text, title and `data-state` (connecting, connected, disconnected), `data-online`, `data-webrtc`. */
export function drawStatus(element: HTMLElement, view: StatusView): void {
  const { text, title } = statusText(view);
  if (element.textContent !== text) element.textContent = text;
  element.title = title;
  element.dataset['state'] = view.link.kind;
  element.dataset['online'] = String(view.link.kind === 'connected');
  element.dataset['webrtc'] = String(view.webrtc);
}
