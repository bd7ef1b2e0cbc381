/**
 * Relay slots a node keeps: it reserves a circuit relay v2 slot on a relay
 * and listens through it (`<relay>/p2p-circuit`, and `/webrtc` through it
 * when the node runs WebRTC), and it reserves again whenever it connects to
 * that relay anew, so that a relay that restarted (perhaps on another port)
 * carries this node again as soon as the two are connected.
 *
 * libp2p keeps a reservation only while the connection it was made on is
 * open and never makes it again by itself for a relay named in the listen
 * addresses; and libp2p 3 has no public way to add a listen address to a
 * running node. The transport manager does it (`components.transportManager`
 * of the libp2p object, the interface of @libp2p/interface-internal);
 * versions are pinned, {@link RelayListenUnavailableError} says so if the
 * field moves, and the relay tests fail.
 *
 * Each reservation made after start adds one listener to the node (a
 * relayed listener of libp2p cannot be told to reserve again): one small
 * object per reconnection to a relay.
 */
import type { IdentifyResult, Libp2p, PeerId } from '@libp2p/interface';
import { logger } from '@libp2p/logger';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { SottoError } from '../../crypto/errors.ts';
import { LOG_PREFIX } from '../constants.ts';

const log = logger(`${LOG_PREFIX}:relays`);

/**
 * Requests for one slot before giving up until the next connection: the
 * first can share the refusal of a request libp2p's relay discovery made
 * at the same moment (see listenThrough). Each failed one leaves an idle
 * listener behind.
 */
const RESERVE_ATTEMPTS = 3;

/** The circuit relay v2 protocol a relay serves (libp2p's RELAY_V2_HOP_CODEC). */
export const RELAY_HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop';

/** The libp2p object no longer has the transport manager this file relies on. */
export class RelayListenUnavailableError extends SottoError {
  override readonly name = 'RelayListenUnavailableError';
  constructor() {
    super('this libp2p version has no components.transportManager.listen: relay slots cannot be reserved after start');
  }
}

/** A relay took no reservation from this node (it refused, or could not be reached). */
export class RelayReservationError extends SottoError {
  override readonly name = 'RelayReservationError';
  constructor(readonly relay: string, options?: { cause?: unknown }) {
    super(`no slot on relay ${relay}`, options);
  }
}

/** The part of libp2p's transport manager used here. */
interface ListeningTransports {
  listen(addrs: Multiaddr[]): Promise<void>;
}

/** The running node's transport manager. Throws RelayListenUnavailableError. */
function transportsOf(libp2p: Libp2p): ListeningTransports {
  const manager = (libp2p as unknown as { components?: { transportManager?: Partial<ListeningTransports> } }).components?.transportManager;
  if (typeof manager?.listen !== 'function') throw new RelayListenUnavailableError();
  return manager as ListeningTransports;
}

/** `address` without any /p2p/ part, then /p2p/<relay>: the relay's own address. */
function relayAddress(address: Multiaddr, relay: PeerId): Multiaddr {
  return multiaddr(address.getComponents().filter((c) => c.name !== 'p2p')).encapsulate(`/p2p/${relay.toString()}`);
}

/** The relays a node keeps a slot on, and how to add one. */
export interface RelayReservations {
  /** Relays (peer ids) this node reserves on whenever it is connected to them. */
  readonly relays: ReadonlySet<string>;
  /** Whether one of this node's addresses goes through `relay` now. */
  holds(relay: string): boolean;
  /**
   * Adds the relay at `address` (with /p2p/<id>) to the kept ones and, when
   * the node holds no slot on it, reserves one (dialling it if needed).
   * Rejects with RelayReservationError when the relay cannot be reached or
   * refuses, RelayListenUnavailableError (see above), RangeError for an
   * address without a relay id or with this node's own.
   */
  reserve(address: Multiaddr): Promise<void>;
  /** Stops watching for reconnections. */
  stop(): void;
}

/**
 * Keeps slots on `relays` (peer ids) for `libp2p`: whenever identify reports
 * one of them, or any peer of `alsoIf` (true: bootstrap peers of a node that
 * wants pages to reach it), as a relay while the node holds no slot there,
 * a slot is reserved. Failures are logged; the next connection tries again.
 */
export function keepRelayReservations(libp2p: Libp2p, relays: Iterable<string>, alsoIf: (peerId: string) => boolean = () => false): RelayReservations {
  const kept = new Set(relays);
  const reserving = new Map<string, Promise<void>>();
  const self = libp2p.peerId.toString();

  const holds = (relay: string): boolean => libp2p.getMultiaddrs().some((ma) => ma.toString().includes(`/p2p/${relay}/p2p-circuit`));

  const listenThrough = async (circuit: Multiaddr, id: string): Promise<void> => {
    let failure: unknown;
    for (let attempt = 1; attempt <= RESERVE_ATTEMPTS; attempt++) {
      try {
        // A node started with relays tolerates listen failures: then only its addresses tell.
        await transportsOf(libp2p).listen([circuit]);
      } catch (err) {
        failure = err;
      }
      if (holds(id)) {
        log('%s holds a slot on relay %s', self, id);
        return;
      }
      // libp2p's own relay discovery may have seen the same relay connect and asked for a slot
      // it does not want; a request for the same relay joins that one and shares its refusal
      // (which libp2p reports only in the text of its error). Ask again.
    }
    throw new RelayReservationError(id, { cause: failure });
  };

  const reserve = (address: Multiaddr): Promise<void> => {
    const id = address.getComponents().findLast((c) => c.name === 'p2p')?.value;
    if (id === undefined) return Promise.reject(new RangeError(`reserve: ${address.toString()} has no /p2p/<relay id>`));
    if (id === self) return Promise.reject(new RangeError('reserve: a node cannot be its own relay'));
    kept.add(id);
    if (holds(id)) return Promise.resolve();
    const running = reserving.get(id);
    if (running) return running;
    const attempt = listenThrough(address.encapsulate('/p2p-circuit'), id).finally(() => reserving.delete(id));
    reserving.set(id, attempt);
    return attempt;
  };

  const onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, connection } = event.detail;
    const id = peerId.toString();
    if (!(kept.has(id) || alsoIf(id)) || !protocols.includes(RELAY_HOP_PROTOCOL) || (connection.limits ?? undefined) !== undefined || holds(id)) return;
    reserve(relayAddress(connection.remoteAddr, peerId)).catch((err: unknown) => log('%s could not reserve a slot on relay %s: %s', self, id, describe(err)));
  };
  libp2p.addEventListener('peer:identify', onIdentify);

  return { relays: kept, holds, reserve, stop: () => libp2p.removeEventListener('peer:identify', onIdentify) };
}

/** Causes shown in a log line. */
const MAX_CAUSES = 4;

/** The error and its causes in one line (names and messages only). */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < MAX_CAUSES; e = e.cause) parts.push(`${e.name}: ${e.message}`);
  return parts.length > 0 ? parts.join(' ← ') : String(err);
}
