/**
 * The messenger's Network (./network.ts) on a running Sotto libp2p node:
 * framed streams over libp2p streams, the remote peer id that Noise
 * authenticated, and libp2p's peer:connect events.
 */
import { multiaddr } from '@multiformats/multiaddr';
import { MAILBOX_PROTOCOL, MAX_INBOUND_MAILBOX_STREAMS, MAX_INBOUND_MSG_STREAMS, MAX_INBOUND_PREKEYS_STREAMS, MSG_PROTOCOL, PREKEYS_PROTOCOL } from '../constants.ts';
import { framed } from './frames.ts';
import type { SottoNode } from './libp2p.ts';
import type { Network } from './network.ts';
import { peerIdFromText } from '../encoding/peer-id.ts';

/** Inbound streams per connection for each of Sotto's protocols (the smallest for any other). */
const INBOUND_STREAM_LIMITS: Readonly<Record<string, number>> = {
  [MSG_PROTOCOL]: MAX_INBOUND_MSG_STREAMS,
  [PREKEYS_PROTOCOL]: MAX_INBOUND_PREKEYS_STREAMS,
  [MAILBOX_PROTOCOL]: MAX_INBOUND_MAILBOX_STREAMS,
};

/** Adapts `node` for the messenger. Read timeouts come from the messenger's own signals. */
export function libp2pNetwork(node: SottoNode): Network {
  return {
    peerId: node.peerId,
    handle: (protocol, maxFrameBytes, handler) =>
      node.handle(protocol, (stream, remotePeerId) => handler(framed(stream, { maxFrameBytes, readTimeoutMs: Infinity }), remotePeerId), {
        maxInboundStreams: INBOUND_STREAM_LIMITS[protocol] ?? MAX_INBOUND_PREKEYS_STREAMS,
      }),
    open: async (peerId, protocol, maxFrameBytes, { signal }) => framed(await node.dialProtocol(peerId, protocol, { signal }), { maxFrameBytes, readTimeoutMs: Infinity }),
    rememberAddresses: async (peerId, addresses) => {
      // Merged, not replaced: what identify and the DHT taught the peer store stays.
      await node.libp2p.peerStore.merge(peerIdFromText(peerId), { multiaddrs: addresses.map((a) => multiaddr(a)) });
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
