/**
 * `sotto status`: what a running node reports about itself (counts and
 * addresses only; no contact, message or key), and its human form.
 */
import type { SingleKadDHT } from '@libp2p/kad-dht';
import type { SottoNode } from '../node/transport/libp2p.ts';
import { isRelayedConnection } from '../node/transport/relayed-addresses.ts';
import type { MailboxService, MailboxUsage } from '../node/mailbox/service.ts';
import type { Messenger } from '../node/messaging/messenger.ts';
import type { ServedChunks, ServedReport } from '../node/files/served-chunks.ts';
import { ENVELOPE_VERSION } from '../crypto/constants.ts';
import { count } from './plural.ts';
import { formatDuration } from './progress.ts';
import type { NetworkReport } from './reachability.ts';

/** The state of a running node, as `sotto status --json` prints it. */
export interface NodeStatus {
  readonly running: true;
  /** The node's process id. */
  readonly pid: number;
  readonly peerId: string;
  /** When the node started (ms since the epoch) and how long ago. */
  readonly startedAt: number;
  readonly uptimeMs: number;
  /** Listening addresses, each ending in /p2p/<peer id>. */
  readonly addresses: string[];
  /** Peers with an open connection. */
  readonly peers: number;
  /**
   * How the search for peers stands (`connected`, `connecting` within the
   * start's wait, `no-sources`: nothing to look through, `unreachable`:
   * nobody answered), and where the node looks: bootstrap addresses,
   * peers remembered from earlier runs, mDNS.
   */
  readonly network: NetworkReport;
  /**
   * Each open connection: the peer, its address, and whether a relay
   * carries it (`/p2p-circuit`, not WebRTC: a WebRTC connection dialled
   * through a relay keeps the relayed address but runs straight between
   * the two peers).
   */
  readonly connections: readonly { readonly peerId: string; readonly address: string; readonly relayed: boolean }[];
  /** True when AutoNAT verified a public address: peers on the internet can dial this node. */
  readonly reachable: boolean;
  /** Relays this node holds a slot on (peer ids): peers reach it through them. */
  readonly relays: readonly string[];
  /**
   * Relayed connections this node turned into direct WebRTC ones since
   * start, and attempts that failed (a symmetric NAT; each rests its peer
   * for WEBRTC_UPGRADE_RETRY_MS), with every peer; then, per peer, the
   * peers an attempt runs for now and those resting after a failed one
   * (peer ids). Null without WebRTC.
   */
  readonly webrtcUpgrades: {
    readonly upgraded: number;
    readonly failed: number;
    readonly trying: readonly string[];
    readonly resting: readonly string[];
    /** Why the last attempt failed (error name and message), once one did. */
    readonly lastFailure?: string;
  } | null;
  /** Peers in the DHT routing table. */
  readonly dhtPeers: number;
  /** Entries waiting in the outbox (messages and receipts not yet acknowledged). */
  readonly outbox: number;
  /** Mailboxes the last mail fetch reached, and when it ended (null before the first). */
  readonly mailboxesReached: number | null;
  readonly lastMailFetchAt: number | null;
  /** What this node holds for others (null unless started with --mailbox). */
  readonly mailbox: MailboxUsage | null;
  /** Message requests waiting for the user. */
  readonly requests: number;
  /** Envelopes dropped since start because the identity inside was not the sender's (direct, or sealed mail claiming another sender). */
  readonly forged: { readonly direct: number; readonly mailbox: number };
  /** Peers whose envelopes were dropped since start for another protocol version, with that version (PROTOCOL §9). */
  readonly otherVersions: readonly { readonly peerId: string; readonly version: number }[];
  /**
   * File chunks this node served since start: in all (a chunk asked twice
   * counts twice), and per file id the chunks served and, per peer, the
   * distinct chunks it got.
   */
  readonly files: { readonly served: ServedReport };
}

/** `sotto status --json` when no node runs on the home. */
export interface NotRunningStatus {
  readonly running: false;
}

/** The parts a status is read from. */
export interface StatusSource {
  readonly node: SottoNode;
  readonly messenger: Messenger;
  readonly mailbox: MailboxService | undefined;
  /** What the file service served. */
  readonly files: ServedChunks;
  readonly startedAt: number;
  readonly pid: number;
  readonly now: () => number;
  readonly network: () => NetworkReport;
}

/** Peers in the DHT routing table (0 if this kad-dht does not expose one). */
function routingTableSize(node: SottoNode): number {
  const dht = node.libp2p.services.dht as Partial<SingleKadDHT>;
  return dht.routingTable?.size ?? 0;
}

/** Reads the status of a running node. */
export function collectNodeStatus(source: StatusSource): NodeStatus {
  const { node, messenger, mailbox } = source;
  const lastFetch = messenger.lastMailFetch();
  const upgrades = node.libp2p.services.webrtcUpgrade;
  return {
    running: true,
    pid: source.pid,
    peerId: node.peerId,
    startedAt: source.startedAt,
    uptimeMs: Math.max(0, source.now() - source.startedAt),
    addresses: node.addresses(),
    peers: node.libp2p.getPeers().length,
    network: source.network(),
    connections: node.libp2p.getConnections().map((c) => ({ peerId: c.remotePeer.toString(), address: c.remoteAddr.toString(), relayed: isRelayedConnection(c.remoteAddr) })),
    reachable: node.libp2p.services.relaySlots.reachable(),
    relays: node.libp2p.services.relaySlots.relays(),
    webrtcUpgrades: upgrades === undefined ? null : { upgraded: upgrades.upgraded, failed: upgrades.failed, trying: upgrades.trying(), resting: upgrades.resting(), ...(upgrades.lastFailure === undefined ? {} : { lastFailure: upgrades.lastFailure }) },
    dhtPeers: routingTableSize(node),
    outbox: messenger.outboxSize(),
    mailboxesReached: lastFetch?.mailboxesReached ?? null,
    lastMailFetchAt: lastFetch?.at ?? null,
    mailbox: mailbox?.usage() ?? null,
    requests: messenger.requests().length,
    forged: messenger.forgedCounts(),
    otherVersions: messenger.otherVersions(),
    files: { served: source.files.report() },
  };
}

/** The human lines of a status, one fact per line; `now` dates the last fetch. */
export function formatNodeStatus(status: NodeStatus, now: number): string[] {
  const lines = [`running: pid ${status.pid}, up ${formatDuration(status.uptimeMs)}`, `peer id: ${status.peerId}`];
  for (const address of status.addresses) lines.push(`listening: ${address}`);
  const relayed = new Set(status.connections.filter((c) => c.relayed).map((c) => c.peerId)).size;
  lines.push(status.reachable ? 'reachable: directly (a public address)' : status.relays.length > 0 ? `reachable: through ${count(status.relays.length, 'relay')}` : 'reachable: only from this network');
  lines.push(`peers connected: ${status.peers}${relayed > 0 ? ` (${relayed} through a relay)` : ''}`, networkLine(status.network), `dht routing table: ${count(status.dhtPeers, 'peer')}`, `outbox: ${status.outbox} waiting`);
  lines.push(
    status.lastMailFetchAt === null
      ? 'mailboxes reached: no fetch yet'
      : `mailboxes reached: ${status.mailboxesReached} at the last fetch, ${formatDuration(Math.max(0, now - status.lastMailFetchAt))} ago`,
  );
  if (status.mailbox) lines.push(`mailbox: holding ${count(status.mailbox.items, 'item')} (${count(status.mailbox.bytes, 'byte')}) for ${count(status.mailbox.recipients, 'peer')}, ${count(status.mailbox.strangerBytes, 'byte')} from strangers`);
  lines.push(`message requests: ${status.requests} waiting (sotto requests)`);
  const forged = status.forged.direct + status.forged.mailbox;
  if (forged > 0) lines.push(`forged senders dropped: ${forged} (${status.forged.direct} direct, ${status.forged.mailbox} by mail)`);
  for (const { peerId, version } of status.otherVersions) {
    lines.push(`${peerId} sent protocol version ${version}, this Sotto speaks ${ENVELOPE_VERSION}: ${version < ENVELOPE_VERSION ? 'they must upgrade Sotto' : 'upgrade Sotto'} (their messages were dropped)`);
  }
  const served = status.files.served;
  if (served.chunks > 0) lines.push(`file chunks served: ${served.chunks} since start, of ${count(Object.keys(served.files).length, 'file')}`);
  return lines;
}

/** "network: connected (1 bootstrap address, 3 remembered peers, mDNS)", or what is wrong and what to do. */
function networkLine(network: NetworkReport): string {
  const { bootstrap, remembered, mdns } = network.sources;
  const sources = `${count(bootstrap, 'bootstrap address', 'bootstrap addresses')}, ${count(remembered, 'remembered peer')}, mDNS ${mdns ? 'on' : 'off'}`;
  switch (network.state) {
    case 'connected':
      return `network: connected (${sources})`;
    case 'connecting':
      return `network: looking for peers (${sources})`;
    case 'no-sources':
      return 'network: no peer to reach (no bootstrap address, none remembered, mDNS off): add one with "sotto config set bootstrap MULTIADDR" or turn on mDNS ("sotto config set mdns on"), then restart';
    case 'unreachable':
      return `network: no peer reachable (${sources}); check the network, or add a peer that is up: "sotto config set bootstrap MULTIADDR"`;
  }
}
