/**
 * The invite and verification operations of the SottoApi (see ./api.ts):
 * make this identity's invite, add a contact from someone's invite, show the
 * safety number with a contact, and mark it verified. They run where the
 * identity is (the node, or the database when no node runs), so the signing
 * key never leaves that process.
 */
import { SottoError } from '../crypto/errors.ts';
import type { Primitives } from '../crypto/primitives/types.ts';
import { formatSafetyNumber, safetyNumber } from '../crypto/safety-number.ts';
import { multiaddr } from '@multiformats/multiaddr';
import { MAX_INVITE_ADDRESSES } from '../node/constants.ts';
import { InvalidContactNameError } from '../node/errors.ts';
import { decodeInvite, encodeInvite } from '../node/contacts/invite.ts';
import { inviteAddressBytes, selectInviteAddresses } from '../node/contacts/address-list.ts';
import type { Messenger } from '../node/messaging/messenger.ts';
import { signingKeyOfPeerId } from '../node/encoding/peer-id.ts';
import type { ContactRecord } from '../node/store/records.ts';
import type { ContactLine, SottoApi } from './api.ts';

/** `sotto invite --json` prints `{ invite }` of this. */
export interface InviteLine {
  /** The one-line invite: "SOTTO:" and base32. */
  readonly invite: string;
  readonly peerId: string;
  readonly name: string;
  /** The addresses inside it (without /p2p/<peer id>). */
  readonly addresses: string[];
  readonly createdAt: number;
}

/** The safety number with one contact (`sotto verify`). */
export interface SafetyNumberLine {
  readonly name: string;
  readonly peerId: string;
  /** 60 digits in twelve groups of five, the same on both devices. */
  readonly safetyNumber: string;
  /** The string to show as a QR code ("sotto-sn:1:..."). */
  readonly qrPayload: string;
  readonly verified: boolean;
}

/** An address given for an invite is not a multiaddr this node can put in one. */
export class InvalidInviteAddressError extends SottoError {
  override readonly name = 'InvalidInviteAddressError';
  constructor(readonly address: string, readonly reason: string) {
    super(`cannot put ${JSON.stringify(address)} in an invite: ${reason}`);
  }
}

/** The invite is this identity's own. */
export class OwnInviteError extends SottoError {
  override readonly name = 'OwnInviteError';
  constructor() {
    super('this invite is your own');
  }
}

/** The API methods this module implements. */
export type InviteMethods = Pick<SottoApi, 'invite' | 'addInvite' | 'safetyNumber' | 'setVerified'>;

/** Checks addresses the user chose for an invite. Throws InvalidInviteAddressError. */
function chosenAddresses(addresses: readonly string[], peerId: string): string[] {
  if (addresses.length > MAX_INVITE_ADDRESSES) throw new InvalidInviteAddressError(addresses[MAX_INVITE_ADDRESSES]!, `an invite holds at most ${MAX_INVITE_ADDRESSES} addresses`);
  return addresses.map((address) => {
    try {
      return multiaddr(inviteAddressBytes(String(address), peerId)).toString();
    } catch (err) {
      throw new InvalidInviteAddressError(String(address), err instanceof Error ? err.message : 'not a multiaddr');
    }
  });
}

/**
 * The invite methods over `messenger`. `listening` gives the running node's
 * addresses (empty when none runs); `line` turns a contact into its API form.
 */
export function inviteMethods(messenger: Messenger, primitives: Primitives, listening: () => string[], line: (c: ContactRecord) => Promise<ContactLine>): InviteMethods {
  return {
    invite: async (addresses) => {
      const peerId = messenger.peerId;
      const chosen = addresses === null ? selectInviteAddresses(listening(), peerId) : chosenAddresses(addresses, peerId);
      const name = (await messenger.profile()).name;
      const createdAt = messenger.now();
      const invite = await encodeInvite(primitives, messenger.identity, { name, addresses: chosen, createdAt });
      return { invite, peerId, name, addresses: chosen, createdAt };
    },
    addInvite: async (text, name, acceptNewKey) => {
      const invite = await decodeInvite(primitives, text);
      if (invite.peerId === messenger.peerId) throw new OwnInviteError();
      if (name === null && invite.name === '') throw new InvalidContactNameError('', 'empty', 'the invite carries no name, so give one');
      return line(await messenger.addContact(name ?? invite.name, invite.peerId, { acceptNewKey, addresses: invite.addresses }));
    },
    safetyNumber: async (name) => {
      const contact = await messenger.contact(name);
      const number = safetyNumber(primitives, messenger.identity.public.signingKey, signingKeyOfPeerId(contact.peerId));
      return { name: contact.name, peerId: contact.peerId, safetyNumber: formatSafetyNumber(number.digits), qrPayload: number.qrPayload, verified: contact.verified };
    },
    setVerified: async (name, peerId, verified) => line(await messenger.setVerified(name, verified, peerId ?? undefined)),
  };
}
