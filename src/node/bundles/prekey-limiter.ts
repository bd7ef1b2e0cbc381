/**
 * Who gets a one-time prekey (docs/PROTOCOL.md, "/sotto/prekeys"): a token
 * bucket per requesting peer and one for all peers together. A request that
 * finds a token in both takes one from each; any other request gets a
 * last-resort bundle and takes nothing. The buckets live in memory: the
 * per-peer ones for at most MAX_PREKEY_REQUESTERS_TRACKED peers (the peer
 * heard from least recently is forgotten first, and starts again full), and
 * a restart fills every bucket again.
 */
import {
  MAX_PREKEY_REQUESTERS_TRACKED,
  ONE_TIME_PREKEYS_BURST,
  ONE_TIME_PREKEYS_PER_PEER_BURST,
  ONE_TIME_PREKEYS_PER_PEER_REFILL_MS,
  ONE_TIME_PREKEYS_REFILL_MS,
} from '../constants.ts';

/** The limits a {@link PrekeyLimiter} applies (bursts in keys, refills in ms per key). */
export interface PrekeyLimits {
  readonly perPeerBurst: number;
  readonly perPeerRefillMs: number;
  readonly burst: number;
  readonly refillMs: number;
  readonly maxTrackedPeers: number;
}

/** Sotto's limits (src/node/constants.ts). */
export const PREKEY_LIMITS: PrekeyLimits = {
  perPeerBurst: ONE_TIME_PREKEYS_PER_PEER_BURST,
  perPeerRefillMs: ONE_TIME_PREKEYS_PER_PEER_REFILL_MS,
  burst: ONE_TIME_PREKEYS_BURST,
  refillMs: ONE_TIME_PREKEYS_REFILL_MS,
  maxTrackedPeers: MAX_PREKEY_REQUESTERS_TRACKED,
};

/** Tokens (fractional while refilling) as of time `at`. */
interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

/** The bucket at `now`: one token more per `refillMs` since it was last seen, at most `burst`. */
function refilled(bucket: Bucket, now: number, burst: number, refillMs: number): Bucket {
  // A clock that went back refills nothing (and takes nothing back).
  const elapsed = Math.max(0, now - bucket.at);
  return { tokens: Math.min(burst, bucket.tokens + elapsed / refillMs), at: Math.max(now, bucket.at) };
}

/** Decides which prekey requests get a one-time prekey. */
export class PrekeyLimiter {
  /** Per-peer buckets, least recently heard from first (a Map keeps insertion order). */
  private readonly peers = new Map<string, Bucket>();
  private overall: Bucket;

  /** `now` is the injected clock (ms). */
  constructor(
    private readonly now: () => number,
    private readonly limits: PrekeyLimits = PREKEY_LIMITS,
  ) {
    this.overall = { tokens: limits.burst, at: now() };
  }

  /**
   * Takes a token from `peerId`'s bucket and from the overall one when both
   * have one, and says whether it did: true means this request may have a
   * one-time prekey. Either way `peerId` becomes the most recently heard from.
   */
  take(peerId: string): boolean {
    const now = this.now();
    const { perPeerBurst, perPeerRefillMs, burst, refillMs, maxTrackedPeers } = this.limits;
    const own = refilled(this.peers.get(peerId) ?? { tokens: perPeerBurst, at: now }, now, perPeerBurst, perPeerRefillMs);
    const overall = refilled(this.overall, now, burst, refillMs);
    const allowed = own.tokens >= 1 && overall.tokens >= 1;
    this.overall = allowed ? { ...overall, tokens: overall.tokens - 1 } : overall;
    this.peers.delete(peerId);
    this.peers.set(peerId, allowed ? { ...own, tokens: own.tokens - 1 } : own);
    for (const oldest of this.peers.keys()) {
      if (this.peers.size <= maxTrackedPeers) break;
      this.peers.delete(oldest);
    }
    return allowed;
  }

  /** Peers whose allowance is remembered (at most `maxTrackedPeers`). */
  get trackedPeers(): number {
    return this.peers.size;
  }
}
