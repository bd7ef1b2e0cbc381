/**
 * The page's link to its node, the desktop node that served it: the one
 * peer a page can open a WebSocket to, its relay and (through it) its way
 * into the network. When that node stops or restarts, the page notices the
 * connection closing, says so, and tries again by itself with growing
 * pauses: it reads /config.json afresh (a restarted node may listen on
 * another WebSocket port; the page's origin, and so /config.json, stay),
 * dials the addresses it finds and reserves its relay slot again, which
 * brings back its relayed and WebRTC addresses. It also tries at once when
 * the browser says it is back online.
 *
 * Pure: the node, the config and the timers are arguments, so the tests
 * drive it without a browser.
 */
import { multiaddr } from '@multiformats/multiaddr';
import type { Scheduler } from '../../node/core/core.ts';

/** First pause before trying to reach the node again: a restart takes a second or two. */
export const RECONNECT_FIRST_DELAY_MS = 500;
/** Longest pause between two tries: how long a page may stay away once its node is back. */
export const RECONNECT_MAX_DELAY_MS = 8_000;

/** How the page is linked to its node now. */
export type LinkState =
  /** Never connected yet (the page just opened). */
  | { readonly kind: 'connecting' }
  | { readonly kind: 'connected'; readonly since: number }
  /** Was connected, is not: `retryAt` is when the next try starts (undefined while one runs). */
  | { readonly kind: 'disconnected'; readonly since: number; readonly attempts: number; readonly retryAt: number | undefined; readonly problem: string | undefined };

/** What the link needs from the page. */
export interface NodeLinkDeps {
  /** The node's addresses (with /p2p/<id>) as the page read them at start. */
  readonly relays: readonly string[];
  /** Reads /config.json again; rejects when the node does not answer. */
  fetchRelays(): Promise<readonly string[]>;
  /** True while a connection to `peerId` is open. */
  isConnected(peerId: string): boolean;
  /** Dials the relay at `address` and holds a slot on it; rejects when it cannot. */
  reserveRelay(address: string): Promise<void>;
  /** Calls `listener` whenever a connection opens or closes; returns how to stop. */
  onConnectionsChanged(listener: () => void): () => void;
  readonly scheduler: Scheduler;
  readonly now: () => number;
}

/** A running link. */
export interface NodeLink {
  state(): LinkState;
  /** Calls `listener` with each new state; returns how to stop. */
  onChange(listener: (state: LinkState) => void): () => void;
  /** Tries now when disconnected (the browser came back online). */
  retryNow(): void;
  stop(): void;
}

/** The pause before try number `attempt` (1-based): doubling from the first, capped. */
export function reconnectDelay(attempt: number): number {
  return Math.min(RECONNECT_FIRST_DELAY_MS * 2 ** Math.max(0, attempt - 1), RECONNECT_MAX_DELAY_MS);
}

function peerIdOf(address: string): string | undefined {
  try {
    return multiaddr(address).getComponents().findLast((c) => c.name === 'p2p')?.value;
  } catch {
    return undefined;
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Watches the page's link to its node and mends it (see the file's comment). */
export function watchNodeLink(deps: NodeLinkDeps): NodeLink {
  let relays = [...deps.relays];
  let state: LinkState = { kind: 'connecting' };
  /** Tries that failed since the link was last up. */
  let failures = 0;
  let problem: string | undefined;
  let timer: unknown;
  let trying = false;
  let stopped = false;
  const listeners = new Set<(state: LinkState) => void>();

  const set = (next: LinkState): void => {
    state = next;
    for (const listener of listeners) listener(state);
  };
  const connected = (): boolean =>
    relays.some((a) => {
      const id = peerIdOf(a);
      return id !== undefined && deps.isConnected(id);
    });
  const opened = deps.now();
  /** Since when the page has been without its node: a page that never reached it, since it opened. */
  const disconnectedSince = (): number => (state.kind === 'disconnected' ? state.since : state.kind === 'connecting' ? opened : deps.now());

  /** Brings the state in line with the connections, and plans the next try when down. */
  const refresh = (): void => {
    if (stopped) return;
    if (connected()) {
      deps.scheduler.clearTimeout(timer);
      timer = undefined;
      failures = 0;
      problem = undefined;
      if (state.kind !== 'connected') set({ kind: 'connected', since: deps.now() });
      return;
    }
    if (trying) return;
    if (timer === undefined) {
      const delay = reconnectDelay(failures + 1);
      timer = deps.scheduler.setTimeout(() => void attempt(), delay);
      // Before its first try a new page is still connecting: createNode dials its node at start.
      if (state.kind !== 'connecting' || failures > 0) set({ kind: 'disconnected', since: disconnectedSince(), attempts: failures, retryAt: deps.now() + delay, problem });
    } else if (state.kind === 'connected') {
      set({ kind: 'disconnected', since: deps.now(), attempts: failures, retryAt: undefined, problem });
    }
  };

  const attempt = async (): Promise<void> => {
    timer = undefined;
    if (stopped || trying) return;
    if (connected()) return refresh();
    trying = true;
    if (state.kind === 'disconnected') set({ ...state, retryAt: undefined });
    try {
      relays = [...(await deps.fetchRelays())];
      if (relays.length === 0) throw new Error('your node has no WebSocket address for pages');
      const results = await Promise.allSettled(relays.map((a) => deps.reserveRelay(a)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed && !results.some((r) => r.status === 'fulfilled')) throw failed.reason;
      problem = undefined;
    } catch (err) {
      problem = message(err);
    } finally {
      trying = false;
    }
    if (!connected()) failures++;
    refresh();
  };

  const off = deps.onConnectionsChanged(refresh);
  refresh();

  return {
    state: () => state,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    retryNow: () => {
      if (stopped || trying || connected()) return;
      deps.scheduler.clearTimeout(timer);
      void attempt();
    },
    stop: () => {
      stopped = true;
      off();
      deps.scheduler.clearTimeout(timer);
    },
  };
}
