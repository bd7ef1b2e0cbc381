/**
 * Feedback on stderr while a started node does slow work (./status-line.ts
 * draws it, ./progress.ts words it):
 * - connecting: from "ready" until the first peer connects, or until
 *   CONNECT_FEEDBACK_TIMEOUT_MS (the node keeps trying after that);
 * - draining mailboxes: a bar with counts for every fetch that finds mail.
 * Work that ends within PROGRESS_DELAY_MS prints nothing.
 */
import type { SottoNode } from '../node/transport/libp2p.ts';
import type { MailProgress } from '../node/core/core.ts';
import { connectedLine, connectingLine, connectTimeoutLine, mailDoneLine, mailProgressLine, type ConnectCounts } from './progress.ts';
import { StatusLine, type ProgressOutput, type StatusLineDeps } from './status-line.ts';

/** How long "connecting to the network…" is shown before the node says it keeps trying in the background. */
export const CONNECT_FEEDBACK_TIMEOUT_MS = 30_000;
/** How often the connecting line refreshes its counts and elapsed time. */
export const CONNECT_TICK_MS = 250;

/** What the connecting feedback reads from a node. */
export interface PeerCounts {
  /** Peers with an open connection. */
  connected(): number;
  /** Peers known: bootstrap peers, discovered or remembered ones. */
  known(): Promise<number>;
  /** Calls `listener` when a peer connects; returns the function that stops it. */
  onConnect(listener: () => void): () => void;
}

/** PeerCounts of a Sotto libp2p node. */
export function peerCountsOf(node: SottoNode): PeerCounts {
  return {
    connected: () => node.libp2p.getPeers().length,
    known: async () => (await node.libp2p.peerStore.all()).length,
    onConnect: (listener) => {
      node.libp2p.addEventListener('peer:connect', listener);
      return () => node.libp2p.removeEventListener('peer:connect', listener);
    },
  };
}

/**
 * Shows "connecting to the network…" on `line` until a peer connects or
 * `timeoutMs` passes. Returns the function that stops watching (ending the
 * line). Does nothing when a peer is already connected.
 */
export function watchConnecting(peers: PeerCounts, line: StatusLine, deps: StatusLineDeps, timeoutMs = CONNECT_FEEDBACK_TIMEOUT_MS): () => void {
  const startedAt = deps.now();
  let timer: unknown;
  let over = false;
  let found = 0;
  const end = (final?: string): void => {
    if (over) return;
    over = true;
    deps.scheduler.clearTimeout(timer);
    offConnect();
    line.finish(final);
  };
  const tick = (): void => {
    if (over) return;
    deps.scheduler.clearTimeout(timer);
    const counts: ConnectCounts = { found, connected: peers.connected(), elapsedMs: deps.now() - startedAt };
    if (counts.connected > 0) return end(connectedLine(counts));
    if (counts.elapsedMs >= timeoutMs) return end(connectTimeoutLine(counts));
    line.update(() => connectingLine({ found, connected: peers.connected(), elapsedMs: deps.now() - startedAt }));
    void peers.known().then((n) => (found = n), () => {});
    timer = deps.scheduler.setTimeout(tick, Math.min(CONNECT_TICK_MS, timeoutMs - counts.elapsedMs));
  };
  const offConnect = peers.onConnect(tick);
  if (peers.connected() > 0) {
    over = true;
    offConnect();
    return () => {};
  }
  tick();
  return () => end();
}

/** Where mail progress comes from: a Messenger. */
export interface MailProgressSource {
  on(event: 'mail-progress', listener: (progress: MailProgress) => void): () => void;
}

/**
 * Shows a bar for every mail fetch that finds mail and takes more than
 * PROGRESS_DELAY_MS, then "fetched N items of mail in T". Returns the
 * function that stops watching.
 */
export function watchMail(source: MailProgressSource, line: StatusLine, deps: StatusLineDeps): () => void {
  let startedAt: number | undefined;
  const off = source.on('mail-progress', (progress) => {
    startedAt ??= deps.now();
    if (!progress.finished) return line.update(mailProgressLine(progress));
    line.finish(mailDoneLine(progress, deps.now() - startedAt));
    startedAt = undefined;
  });
  return () => {
    off();
    line.finish();
  };
}

/**
 * The feedback of a started node: connecting (when `expectPeers`: it has
 * bootstrap peers or mDNS; ended without a last line once `until`
 * resolves, when the caller says how the search went) and mail. Returns
 * the function that stops both.
 */
export function startupFeedback(node: SottoNode, mail: MailProgressSource, expectPeers: boolean, output: ProgressOutput, deps: StatusLineDeps, until?: Promise<unknown>): () => void {
  const stopConnecting = expectPeers ? watchConnecting(peerCountsOf(node), new StatusLine(output, deps), deps) : () => {};
  void until?.then(stopConnecting, () => {});
  const stopMail = watchMail(mail, new StatusLine(output, deps), deps);
  return () => {
    stopConnecting();
    stopMail();
  };
}
