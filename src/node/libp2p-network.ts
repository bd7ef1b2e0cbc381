/**
 * The messenger's Network (./network.ts) on a running Sotto libp2p node:
 * framed streams over libp2p streams, the remote peer id that Noise
 * authenticated, and libp2p's peer:connect events.
 */
import { framed } from './frames.ts';
import type { SottoNode } from './libp2p.ts';
import type { Network } from './network.ts';

/** Adapts `node` for the messenger. Read timeouts come from the messenger's own signals. */
export function libp2pNetwork(node: SottoNode): Network {
  return {
    peerId: node.peerId,
    handle: (protocol, maxFrameBytes, handler) =>
      node.handle(protocol, (stream, remotePeerId) => handler(framed(stream, { maxFrameBytes, readTimeoutMs: Infinity }), remotePeerId)),
    open: async (peerId, protocol, maxFrameBytes, { signal }) => framed(await node.dialProtocol(peerId, protocol, { signal }), { maxFrameBytes, readTimeoutMs: Infinity }),
    onPeerConnected: (listener) => {
      const onConnect = (event: CustomEvent<{ toString(): string }>): void => listener(event.detail.toString());
      node.libp2p.addEventListener('peer:connect', onConnect);
      return () => node.libp2p.removeEventListener('peer:connect', onConnect);
    },
  };
}
