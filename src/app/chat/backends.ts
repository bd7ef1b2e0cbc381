/**
 * What the chat runs on: a node started in this process (events arrive as
 * they happen), or a node already running on the home in the background
 * (the chat asks its control socket again every CHAT_POLL_MS).
 */
import type { SottoApi } from '../api.ts';
import type { Scheduler } from '../../node/core/core.ts';
import { chatInviteHooks } from '../chat-invites.ts';
import { realScheduler } from '../local.ts';
import { noPeerLine } from '../reachability.ts';
import type { RunningHome } from '../run-node.ts';
import { startupFeedback } from '../startup-feedback.ts';
import type { ProgressOutput } from '../status-line.ts';
import type { ChatBackend } from './controller.ts';

/** How often a chat attached to a background node asks it for news (ms). */
export const CHAT_POLL_MS = 1000;
/** How long the chat keeps the last line of finished slow work (connected, mail fetched), ms. */
export const CHAT_PROGRESS_LINGER_MS = 5000;
/** How often a chat on an in-process node refreshes anyway (online state, mailboxes), ms. */
export const CHAT_IDLE_REFRESH_MS = 5000;
/** At most one redraw per this long for files moving (progress of several files at once), ms; the last change always gets one. */
export const CHAT_FILE_REDRAW_MS = 250;

/** What a status line writes on a terminal besides its text (./status-line.ts): return, erase line, newline. */
const REDRAW_SEQUENCES = ['\r', '\x1b[2K', '\n'];

/**
 * A status-line output that hands the chat the line it would draw on a
 * terminal: each write redraws the whole line, so its text is the line.
 */
export function chatProgressOutput(show: (line: string) => void, scheduler: Scheduler = realScheduler): ProgressOutput {
  let linger: unknown;
  return {
    tty: true,
    write: (text) => {
      scheduler.clearTimeout(linger);
      show(REDRAW_SEQUENCES.reduce((line, sequence) => line.replaceAll(sequence, ''), text));
      // A final line ("fetched 40 items of mail in 2s") stays a while, then goes.
      if (text.endsWith('\n')) linger = scheduler.setTimeout(() => show(''), CHAT_PROGRESS_LINGER_MS);
    },
  };
}

/**
 * `run` at most once per `ms`, at the end of each period in which `call`
 * was called (so the last call is always followed by a run); returns the
 * function to call and one that cancels a pending run.
 */
export function throttle(run: () => void, ms: number, scheduler: Scheduler = realScheduler): { readonly call: () => void; readonly cancel: () => void } {
  let pending: unknown;
  return {
    call: () => {
      if (pending !== undefined) return;
      pending = scheduler.setTimeout(() => {
        pending = undefined;
        run();
      }, ms);
    },
    cancel: () => {
      scheduler.clearTimeout(pending);
      pending = undefined;
    },
  };
}

/**
 * Follows a file service's changes (a file fetched further, complete,
 * failed) with `changed`, at most once per CHAT_FILE_REDRAW_MS and always
 * after the last; returns the function that stops following.
 */
export function watchFiles(files: { onChange(listener: () => void): () => unknown }, changed: () => void, scheduler: Scheduler = realScheduler): () => void {
  const redraw = throttle(changed, CHAT_FILE_REDRAW_MS, scheduler);
  const off = files.onChange(redraw.call);
  return () => {
    off();
    redraw.cancel();
  };
}

/**
 * The chat on a node running in this process. When it has somewhere to
 * look for peers (bootstrap peers, remembered ones, LAN discovery) it shows
 * "connecting to the network…" until the first peer connects; when it
 * reaches none it says so, and what to do; a slow mail fetch shows a bar
 * with counts. A file's progress redraws its line (at most once per
 * CHAT_FILE_REDRAW_MS).
 */
export function inProcessBackend(running: RunningHome): ChatBackend {
  return {
    api: running.api,
    ...chatInviteHooks(running.api),
    watch(listener) {
      const changed = (): void => listener({ kind: 'changed' });
      const offs = [
        running.messenger.on('message', changed),
        running.messenger.on('status', changed),
        running.messenger.on('undelivered', changed),
        running.messenger.on('request', changed),
        running.messenger.on('group-message', changed),
        running.messenger.on('group-status', changed),
        running.messenger.on('group-invitation', changed),
        running.messenger.on('group-changed', changed),
      ];
      const libp2p = running.node.libp2p;
      libp2p.addEventListener('peer:connect', changed);
      libp2p.addEventListener('peer:disconnect', changed);
      offs.push(watchFiles(running.files.service, changed));
      const timer = setInterval(changed, CHAT_IDLE_REFRESH_MS);
      const output = chatProgressOutput((line) => listener({ kind: 'progress', line }));
      const { sources } = running.network();
      const expectPeers = sources.bootstrap > 0 || sources.remembered > 0 || sources.mdns;
      const warning = running.reachable.then((state) => noPeerLine(state, sources));
      const stopFeedback = startupFeedback(running.node, running.messenger, expectPeers, output, { now: running.ctx.now, scheduler: realScheduler }, warning);
      // Shown as the last line of finished slow work: it stays a while, then the footer is back.
      void warning.then((line) => {
        if (line !== undefined) output.write(`${line}\n`);
      });
      return () => {
        stopFeedback();
        for (const off of offs) off();
        libp2p.removeEventListener('peer:connect', changed);
        libp2p.removeEventListener('peer:disconnect', changed);
        clearInterval(timer);
      };
    },
  };
}

/** The chat on a node running in the background, through its control socket (a file's progress shows at each poll). */
export function remoteBackend(api: SottoApi): ChatBackend {
  return {
    api,
    ...chatInviteHooks(api),
    watch(listener) {
      const timer = setInterval(() => listener({ kind: 'changed' }), CHAT_POLL_MS);
      return () => clearInterval(timer);
    },
  };
}
