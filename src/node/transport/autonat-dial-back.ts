/**
 * AutoNAT v1 (@libp2p/autonat 3.0.28) with its dial-back made a new
 * connection. A peer asks this node to dial one of its addresses back; the
 * library does so with `openConnection(address)`, which hands back the
 * connection already open to that peer (the one the request came on, since
 * the address is where this node dialled it), reports the address as
 * reachable without having dialled anything, and then closes that
 * connection. Seen here: every node that dialled a public relay lost its
 * connection to it (and its relay slot with it) a few milliseconds later,
 * when the relay asked it to confirm the relay's own address. A forced dial
 * opens the new connection the protocol means, which the library then
 * closes. Only the dial-back is forced: it is the one call made with a
 * single multiaddr (the random walk dials a peer's address list).
 */
import { autoNAT, type AutoNATComponents, type AutoNATServiceInit } from '@libp2p/autonat';
import type { ConnectionManager } from '@libp2p/interface-internal';
import { isMultiaddr } from '@multiformats/multiaddr';

function forcedDialBack(connectionManager: ConnectionManager): ConnectionManager {
  return new Proxy(connectionManager, {
    get(target, property) {
      if (property === 'openConnection') {
        return (peer: Parameters<ConnectionManager['openConnection']>[0], options?: Parameters<ConnectionManager['openConnection']>[1]) =>
          target.openConnection(peer, isMultiaddr(peer) ? { ...options, force: true } : options);
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The AutoNAT service with a dial-back that never reuses (and closes) an open connection. */
export function autoNATWithDialBack(init: AutoNATServiceInit): (components: AutoNATComponents) => unknown {
  const service = autoNAT(init);
  return (components) => {
    const connectionManager = forcedDialBack(components.connectionManager);
    return service(new Proxy(components, {
      get: (target, property) => (property === 'connectionManager' ? connectionManager : Reflect.get(target, property)),
    }));
  };
}
