/**
 * The chat's invite and verification actions (/invite, /add INVITE,
 * /verify [yes]) over any SottoApi, in the shape of the chat backend's
 * optional hooks (./chat/controller.ts): spread them into a ChatBackend.
 */
import type { SottoApi } from './api.ts';
import type { ChatBackend } from './chat/controller.ts';

/** The hooks of a ChatBackend that invites and verification provide. */
export type ChatInviteHooks = Required<Pick<ChatBackend, 'invite' | 'verify' | 'addFromInvite'>>;

/**
 * Invite and verification hooks over `api`. `verify` with `confirm` marks
 * the contact verified only while it has the identity whose number was just
 * computed (ContactIdentityChangedError otherwise).
 */
export function chatInviteHooks(api: SottoApi): ChatInviteHooks {
  return {
    invite: async () => (await api.invite(null)).invite,
    verify: async (name, confirm) => {
      const number = await api.safetyNumber(name);
      if (!confirm) return { safetyNumber: number.safetyNumber, verified: number.verified };
      const contact = await api.setVerified(name, number.peerId, true);
      return { safetyNumber: number.safetyNumber, verified: contact.verified };
    },
    addFromInvite: async (invite, name) => (await api.addInvite(invite, name ?? null, false)).name,
  };
}
