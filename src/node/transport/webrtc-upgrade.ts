/**
 * Turns a relayed connection into a direct WebRTC one where the two NATs
 * allow it. @libp2p/dcutr punches over TCP only, which @libp2p/tcp cannot
 * do (it dials from a fresh port, not its listening one, so the other NAT
 * never sees the mapping it expects); WebRTC's ICE punches over UDP, each
 * side offering the public address its relays' STUN responders saw
 * (./stun-responder.ts, ./ice-servers.ts), and gets through two NATs that
 * keep one external port per socket (endpoint-independent mapping; not a
 * symmetric NAT, which stays relayed).
 *
 * When identify has run over a relayed connection this node dialled, the
 * peer listens for WebRTC (its identify lists the signalling protocol) and
 * no direct connection to it is open, the node dials
 * `<the relayed address>/webrtc/p2p/<peer>`: @libp2p/webrtc signals over
 * the relayed connection already open. One attempt may take `timeoutMs`.
 * The new connection must then open a stream (ping's protocol, negotiated
 * with the other side) within `proveMs`, or it is aborted and the attempt
 * failed: the dialling side can see a connection open that the other side
 * never finished. On success the relayed connections to that peer are closed (gracefully:
 * streams on them finish or break, and the next ones go on the direct
 * connection). After a first failure the attempt is made once more by
 * itself after `firstRetryMs` (a failure under load, or while the other
 * side's relay slot settled); a peer it failed with again is left alone
 * for `retryDelayMs`.
 * Only the dialling side tries, so two peers do not both start one; when
 * each dialled the other through a relay (a contact added on both sides at
 * once), only the one with the smaller peer id tries: two WebRTC dials
 * crossing between the same peers left one side with a connection the other
 * never finished (seen in test/web/reach).
 */
import type { ComponentLogger, Connection, IdentifyResult, Libp2pEvents, Logger, PeerId, Startable, TypedEventTarget } from '@libp2p/interface';
import { PING_PROTOCOL } from '@libp2p/ping';
import type { ConnectionManager, TransportManager } from '@libp2p/interface-internal';
import { CODE_P2P, type Multiaddr } from '@multiformats/multiaddr';
import { SottoError } from '../../crypto/errors.ts';
import { isRelayedConnection } from './relayed-addresses.ts';
import { streamOrAbort } from './webrtc-stream.ts';

/** The protocol a WebRTC listener handles (@libp2p/webrtc's SIGNALING_PROTOCOL). */
export const WEBRTC_SIGNALING_PROTOCOL = '/webrtc-signaling/0.0.1';

/** A WebRTC dial came back with a connection that is still limited (relayed): not an upgrade. */
class LimitedWebrtcConnectionError extends SottoError {
  override readonly name = 'LimitedWebrtcConnectionError';
  constructor() {
    super('the WebRTC connection is limited');
  }
}

/** Ends the probe stream once it opened (it carries nothing). */
class ProbeDoneError extends SottoError {
  override readonly name = 'ProbeDoneError';
  constructor() {
    super('the probe stream opened');
  }
}

/** The bounds of {@link webrtcUpgrade}. */
export interface WebrtcUpgradeInit {
  /** How long one attempt may take, in ms (WEBRTC_UPGRADE_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** How long a peer an attempt failed with is left alone, in ms (WEBRTC_UPGRADE_RETRY_MS). */
  readonly retryDelayMs: number;
  /**
   * After a first failure with a peer, the attempt is made once more after
   * this long, by itself, while the relayed connection is still open
   * (WEBRTC_UPGRADE_FIRST_RETRY_MS); only a second failure rests the peer
   * for `retryDelayMs`. Default: no early retry.
   */
  readonly firstRetryMs?: number;
  /** How long the new connection may take to open its first stream, in ms (WEBRTC_STREAM_OPEN_TIMEOUT_MS). Default: not checked. */
  readonly proveMs?: number;
}

/** The libp2p components the service uses. */
export interface WebrtcUpgradeComponents {
  readonly peerId: PeerId;
  readonly connectionManager: ConnectionManager;
  readonly transportManager: TransportManager;
  readonly events: TypedEventTarget<Libp2pEvents>;
  readonly logger: ComponentLogger;
}

/** What the node can ask the service (tests, diagnostics). */
export interface WebrtcUpgrade {
  /** Peers whose relayed connection was turned into a WebRTC one since start. */
  readonly upgraded: number;
  /** Attempts that failed since start (each rests its peer for `retryDelayMs`). */
  readonly failed: number;
  /** Peers an attempt runs for now (peer ids). */
  trying(): string[];
  /** Peers an attempt failed with that are left alone now, for `retryDelayMs` after the failure (peer ids). */
  resting(): string[];
  /** Why the last attempt failed (the error's name and message), if one did. */
  readonly lastFailure: string | undefined;
}

class WebrtcUpgradeService implements WebrtcUpgrade, Startable {
  private readonly log: Logger;
  /** Peers an attempt runs for (no timer) or failed with (the timer that forgives them). */
  private readonly busy = new Map<string, ReturnType<typeof setTimeout> | undefined>();
  /** Failed attempts in a row per peer (a success forgets them). */
  private readonly failures = new Map<string, number>();
  private readonly shutdown = new AbortController();
  private started = false;
  upgraded = 0;
  failed = 0;
  lastFailure: string | undefined;

  constructor(
    private readonly components: WebrtcUpgradeComponents,
    private readonly init: WebrtcUpgradeInit,
  ) {
    this.log = components.logger.forComponent('sotto:node:webrtc-upgrade');
  }

  readonly [Symbol.toStringTag] = 'sotto/webrtc-upgrade';

  isStarted(): boolean {
    return this.started;
  }

  start(): void {
    this.started = true;
    this.components.events.addEventListener('peer:identify', this.onIdentify);
  }

  stop(): void {
    this.started = false;
    this.shutdown.abort();
    this.components.events.removeEventListener('peer:identify', this.onIdentify);
    for (const timer of this.busy.values()) clearTimeout(timer);
    this.busy.clear();
  }

  trying(): string[] {
    return [...this.busy].filter(([, timer]) => timer === undefined).map(([peer]) => peer);
  }

  resting(): string[] {
    return [...this.busy].filter(([, timer]) => timer !== undefined).map(([peer]) => peer);
  }

  private hasDirectConnection(peer: PeerId): boolean {
    return this.components.connectionManager.getConnections(peer).some((c) => c.status === 'open' && !isRelayedConnection(c.remoteAddr));
  }

  /** True when `peer` also dialled this node through a relay and has the smaller peer id: it makes the upgrade, not us. */
  private leavesItTo(peer: PeerId): boolean {
    const dialledUs = this.components.connectionManager.getConnections(peer).some((c) => c.status === 'open' && c.direction === 'inbound' && isRelayedConnection(c.remoteAddr));
    return dialledUs && peer.toString() < this.components.peerId.toString();
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { connection, protocols, peerId } = event.detail;
    if (!this.started || connection.direction !== 'outbound' || !isRelayedConnection(connection.remoteAddr) || this.busy.has(peerId.toString())) return;
    if (!protocols.includes(WEBRTC_SIGNALING_PROTOCOL) || this.hasDirectConnection(peerId) || this.leavesItTo(peerId)) return;
    this.begin(peerId, connection.remoteAddr);
  };

  /** Runs one attempt over the relayed address `relayed`; a failure rests the peer (after a first one, a retry is due by itself). */
  private begin(peerId: PeerId, relayed: Multiaddr): void {
    const peer = peerId.toString();
    this.busy.set(peer, undefined);
    const target = relayed.decapsulateCode(CODE_P2P).encapsulate(`/webrtc/p2p/${peer}`);
    void this.attempt(peerId, target).then(
      () => {
        this.busy.delete(peer);
        this.failures.delete(peer);
        this.upgraded++;
      },
      (err: unknown) => {
        this.failed++;
        this.lastFailure = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        this.log('%s: no WebRTC path - %e', peer, err);
        if (!this.started) return;
        const failures = (this.failures.get(peer) ?? 0) + 1;
        this.failures.set(peer, failures);
        const early = failures === 1 && this.init.firstRetryMs !== undefined;
        const timer = setTimeout(
          () => {
            this.busy.delete(peer);
            if (early) this.retry(peerId);
          },
          early ? this.init.firstRetryMs! : this.init.retryDelayMs,
        );
        (timer as { unref?: () => void }).unref?.();
        this.busy.set(peer, timer);
      },
    );
  }

  /** The early retry after a first failure: over a relayed connection this node dialled, if one is still open and nothing direct is. */
  private retry(peerId: PeerId): void {
    if (!this.started || this.hasDirectConnection(peerId) || this.leavesItTo(peerId)) return;
    const relayed = this.components.connectionManager.getConnections(peerId).find((c) => c.status === 'open' && c.direction === 'outbound' && isRelayedConnection(c.remoteAddr));
    if (relayed) this.begin(peerId, relayed.remoteAddr);
  }

  private async attempt(peerId: PeerId, target: Parameters<TransportManager['dial']>[0]): Promise<void> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.init.timeoutMs), this.shutdown.signal]);
    // Straight to the transport: the connection manager would hand back the
    // relayed connection (or join the dial that made it).
    const direct = await this.components.transportManager.dial(target, { signal });
    if (direct.limits !== undefined) {
      await direct.close().catch(() => {});
      throw new LimitedWebrtcConnectionError();
    }
    if (this.init.proveMs !== undefined) await this.prove(direct, this.init.proveMs);
    this.log('%p: direct over WebRTC, closing the relayed connection', peerId);
    const relayed = this.components.connectionManager.getConnections(peerId).filter((c) => isRelayedConnection(c.remoteAddr));
    await Promise.all(relayed.map((c) => c.close().catch((err: unknown) => c.abort(err instanceof Error ? err : new Error(String(err))))));
  }

  /** The new connection opens one stream (negotiated with the other side) within `ms`, or it is aborted. */
  private async prove(direct: Connection, ms: number): Promise<void> {
    const probe = await streamOrAbort(direct, PING_PROTOCOL, { signal: this.shutdown.signal }, ms);
    probe.abort(new ProbeDoneError());
  }
}

/** The libp2p service that upgrades relayed connections to WebRTC (see the module comment). Never throws. */
export function webrtcUpgrade(init: WebrtcUpgradeInit): (components: WebrtcUpgradeComponents) => WebrtcUpgrade {
  return (components) => new WebrtcUpgradeService(components, init);
}
