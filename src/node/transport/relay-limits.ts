/**
 * Bounds of the circuit relay v2 server a node runs with `--relay` (and
 * `--web`, whose pages reach each other through it). Without them any peer
 * that can connect may reserve a slot and relay traffic through this node:
 *
 * - @libp2p/circuit-relay-v2 4.2.13's own options, each set from a named
 *   constant: slots in all, slot lifetime, bytes and time per relayed
 *   connection, request timeout, circuits per connection and per holder;
 * - slots per IP address, which the library does not have: peer ids cost
 *   nothing, so without it one host could take every slot. It runs as the
 *   connection gater's `denyInboundRelayReservation`, which the server asks
 *   before each new reservation; a peer that already holds a slot may renew
 *   it. Before counting, slots whose holder has no connection left are
 *   freed: nobody can reach a peer through them (the server only opens
 *   circuits to connected holders), and otherwise a host could fill the
 *   relay by reserving and hanging up, again and again.
 */
import type { CircuitRelayServerInit, CircuitRelayService } from '@libp2p/circuit-relay-v2';
import type { Connection, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import {
  MAX_RELAY_HOP_STREAMS,
  MAX_RELAY_STOP_STREAMS,
  RELAY_DATA_LIMIT_BYTES,
  RELAY_DURATION_LIMIT_MS,
  RELAY_HOP_TIMEOUT_MS,
  RELAY_MAX_RESERVATIONS,
  RELAY_MAX_RESERVATIONS_PER_IP,
  RELAY_RESERVATION_TTL_MS,
} from '../constants.ts';

/** The bounds of a relay server; {@link DEFAULT_RELAY_LIMITS} holds Sotto's. */
export interface RelayLimits {
  /** Slots held at once, for all peers. */
  readonly maxReservations: number;
  /** Slots held by peers connected from one IP address. */
  readonly maxReservationsPerIp: number;
  /** Lifetime of a slot before its holder renews it, in ms. */
  readonly reservationTtlMs: number;
  /** Bytes one relayed connection may carry. */
  readonly dataLimitBytes: number;
  /** How long one relayed connection may stay open, in ms. */
  readonly durationLimitMs: number;
  /** Time to complete one relay request, in ms. */
  readonly hopTimeoutMs: number;
  /** Relay request streams (and so circuits) one connection may hold open. */
  readonly maxHopStreams: number;
  /** Circuits opened to one slot holder at once. */
  readonly maxStopStreams: number;
}

/** Sotto's relay bounds (src/node/constants.ts, docs/SECURITY.md). */
export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxReservations: RELAY_MAX_RESERVATIONS,
  maxReservationsPerIp: RELAY_MAX_RESERVATIONS_PER_IP,
  reservationTtlMs: RELAY_RESERVATION_TTL_MS,
  dataLimitBytes: RELAY_DATA_LIMIT_BYTES,
  durationLimitMs: RELAY_DURATION_LIMIT_MS,
  hopTimeoutMs: RELAY_HOP_TIMEOUT_MS,
  maxHopStreams: MAX_RELAY_HOP_STREAMS,
  maxStopStreams: MAX_RELAY_STOP_STREAMS,
};

/** The circuitRelayServer options for `limits`. */
export function relayServerInit(limits: RelayLimits): CircuitRelayServerInit {
  return {
    hopTimeout: limits.hopTimeoutMs,
    maxInboundHopStreams: limits.maxHopStreams,
    maxOutboundStopStreams: limits.maxStopStreams,
    reservations: {
      maxReservations: limits.maxReservations,
      reservationTtl: limits.reservationTtlMs,
      applyDefaultLimit: true,
      defaultDataLimit: BigInt(limits.dataLimitBytes),
      defaultDurationLimit: limits.durationLimitMs,
    },
  };
}

/** The IP address a multiaddr starts with (`/ip4/…` or `/ip6/…`), or undefined. */
function hostOf(address: Multiaddr): string | undefined {
  const first = address.getComponents()[0];
  return first?.name === 'ip4' || first?.name === 'ip6' ? first.value : undefined;
}

/** What {@link relayReservationGate} reads of the running node. */
export interface RelayGateView {
  /** The relay server, once the node runs. */
  relay(): CircuitRelayService | undefined;
  /** The open connections to `peer`. */
  connections(peer: PeerId): readonly Connection[];
}

/**
 * The connection gater's `denyInboundRelayReservation` for `limits`: true
 * (deny) when the peers connected from the asking peer's IP addresses
 * already hold `maxReservationsPerIp` slots. Frees the slots of holders
 * without a connection first. A renewal (the peer already holds a slot) is
 * never denied here.
 */
export function relayReservationGate(limits: RelayLimits, view: RelayGateView): (peer: PeerId) => boolean {
  return (peer) => {
    const reservations = view.relay()?.reservations;
    if (reservations === undefined || reservations.has(peer)) return false;
    for (const [holder, reservation] of [...reservations]) {
      if (view.connections(holder).length > 0) continue;
      reservation.signal.clear();
      reservations.delete(holder);
    }
    const hosts = new Set(view.connections(peer).map((c) => hostOf(c.remoteAddr)).filter((h) => h !== undefined));
    let fromSameHost = 0;
    for (const reservation of reservations.values()) {
      const host = hostOf(reservation.addr);
      if (host !== undefined && hosts.has(host)) fromSameHost++;
    }
    return fromSameHost >= limits.maxReservationsPerIp;
  };
}
