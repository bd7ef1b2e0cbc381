/**
 * What the chat runs on: a node started in this process (events arrive as
 * they happen), or a node already running on the home in the background
 * (the chat asks its control socket again every CHAT_POLL_MS).
 */
import type { SottoApi } from '../api.ts';
import { chatInviteHooks } from '../chat-invites.ts';
import type { RunningHome } from '../run-node.ts';
import type { ChatBackend, ChatEvent } from './controller.ts';

/** How often a chat attached to a background node asks it for news (ms). */
export const CHAT_POLL_MS = 1000;
/** How often a chat on an in-process node refreshes anyway (online state, mailboxes), ms. */
export const CHAT_IDLE_REFRESH_MS = 5000;

/** The chat on a node running in this process. */
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
        running.messenger.on('identity-warning', (w) => listener({ kind: 'identity-warning', peerId: w.peerId, reason: w.reason } satisfies ChatEvent)),
      ];
      const libp2p = running.node.libp2p;
      libp2p.addEventListener('peer:connect', changed);
      libp2p.addEventListener('peer:disconnect', changed);
      const timer = setInterval(changed, CHAT_IDLE_REFRESH_MS);
      return () => {
        for (const off of offs) off();
        libp2p.removeEventListener('peer:connect', changed);
        libp2p.removeEventListener('peer:disconnect', changed);
        clearInterval(timer);
      };
    },
  };
}

/** The chat on a node running in the background, through its control socket. */
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
