/**
 * The messenger's Network (./network.ts) on a running Sotto libp2p node:
 * framed streams over libp2p streams, the remote peer id that Noise
 * authenticated, and libp2p's peer:connect events. Sotto's protocols run on
 * relayed (limited) connections too: two peers that reach each other only
 * through a relay still talk, within the relay's data and time limits.
 */
import { logger } from '@libp2p/logger';
import { multiaddr } from '@multiformats/multiaddr';
import { FILE_PROTOCOL, LOG_PREFIX, MAILBOX_PROTOCOL, MAX_INBOUND_FILE_STREAMS, MAX_INBOUND_MAILBOX_STREAMS, MAX_INBOUND_MSG_STREAMS, MAX_INBOUND_PREKEYS_STREAMS, MSG_PROTOCOL, PREKEYS_PROTOCOL } from '../constants.ts';
import { contactDialAddresses } from './contact-dial-policy.ts';
import { framed } from './frames.ts';
import type { SottoNode } from './libp2p.ts';
import type { Network } from './network.ts';
import { peerIdFromText } from '../encoding/peer-id.ts';

const log = logger(`${LOG_PREFIX}:network`);

/** Inbound streams per connection for each of Sotto's protocols (the smallest for any other). */
const INBOUND_STREAM_LIMITS: Readonly<Record<string, number>> = {
  [MSG_PROTOCOL]: MAX_INBOUND_MSG_STREAMS,
  [PREKEYS_PROTOCOL]: MAX_INBOUND_PREKEYS_STREAMS,
  [MAILBOX_PROTOCOL]: MAX_INBOUND_MAILBOX_STREAMS,
  [FILE_PROTOCOL]: MAX_INBOUND_FILE_STREAMS,
};

/** Options of {@link libp2pNetwork}. */
export interface Libp2pNetworkOptions {
  /**
   * The subnets of this machine's interfaces in CIDR form, asked each time
   * invite addresses are handed over (./interface-subnets.ts in Node).
   * Default none: only the node's own addresses say which private
   * addresses are near (a browser page).
   */
  readonly localSubnets?: () => readonly string[];
}

/**
 * Adapts `node` for the messenger. Read timeouts come from the messenger's
 * own signals. A contact's invite addresses reach the peer store (and so
 * libp2p's dialler) only as far as the contact dial policy admits them
 * (./contact-dial-policy.ts), judged against the node's networks at that
 * moment; the refused ones are logged (count and reasons) and left out.
 */
export function libp2pNetwork(node: SottoNode, options: Libp2pNetworkOptions = {}): Network {
  return {
    peerId: node.peerId,
    // Sotto's protocols run over relayed connections too (libp2p marks them
    // limited): two peers behind NATs that allow no direct connection talk
    // through a relay, within its data and time bounds (./relay-limits.ts).
    handle: (protocol, maxFrameBytes, handler) =>
      node.handle(protocol, (stream, remotePeerId) => handler(framed(stream, { maxFrameBytes, readTimeoutMs: Infinity }), remotePeerId), {
        maxInboundStreams: INBOUND_STREAM_LIMITS[protocol] ?? MAX_INBOUND_PREKEYS_STREAMS,
        // Peers that reach each other only through a relay (a page whose browser gathers no ICE
        // candidates, a symmetric NAT) talk over that relayed connection, within the relay's limits.
        runOnLimitedConnection: true,
      }),
    open: async (peerId, protocol, maxFrameBytes, { signal }) =>
      framed(await node.dialProtocol(peerId, protocol, { signal, runOnLimitedConnection: true }), { maxFrameBytes, readTimeoutMs: Infinity }),
    rememberAddresses: async (peerId, addresses) => {
      const id = peerIdFromText(peerId);
      const { kept, refused } = contactDialAddresses(id.toString(), addresses, { ownAddresses: node.addresses(), subnets: options.localSubnets?.() ?? [] });
      if (refused.length > 0) log('%d invite address(es) of %s not dialled: %s', refused.length, peerId, refused.map((r) => r.reason).join(', '));
      if (kept.length === 0) return;
      // Merged, not replaced: what identify and the DHT taught the peer store stays.
      await node.libp2p.peerStore.merge(id, { multiaddrs: kept.map((a) => multiaddr(a)) });
    },
    listenAddresses: () => node.addresses(),
    onAddressesChanged: (listener) => {
      node.libp2p.addEventListener('self:peer:update', listener);
      return () => node.libp2p.removeEventListener('self:peer:update', listener);
    },
    onPeerConnected: (listener) => {
      const onConnect = (event: CustomEvent<{ toString(): string }>): void => listener(event.detail.toString());
      node.libp2p.addEventListener('peer:connect', onConnect);
      return () => node.libp2p.removeEventListener('peer:connect', onConnect);
    },
    closestPeers: async (key, count, { signal }) => {
      const found: string[] = [];
      for await (const event of node.libp2p.services.dht.getClosestPeers(key, { signal })) {
        if (event.name !== 'FINAL_PEER') continue;
        const id = event.peer.id.toString();
        if (id !== node.peerId && !found.includes(id)) found.push(id);
      }
      return found.slice(0, count);
    },
    putRecord: async (key, value, { signal }) => {
      let stored = 0;
      for await (const event of node.libp2p.services.dht.put(key, value, { signal })) if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') stored++;
      return stored;
    },
    getRecords: async (key, { signal }) => {
      const values: Uint8Array[] = [];
      try {
        for await (const event of node.libp2p.services.dht.get(key, { signal })) if (event.name === 'VALUE') values.push(event.value);
      } catch {
        // No peer had a value, or the query ran out of time: what was found stands.
      }
      return values;
    },
  };
}
