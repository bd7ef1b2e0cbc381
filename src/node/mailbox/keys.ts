/**
 * Mailbox keys: a recipient's mail is filed under
 * H("sotto/v1/mailbox" || recipient peer id bytes) (SHA-256). A depositor
 * names only this key, so a mailbox learns whose mail it holds only when the
 * recipient comes to fetch it; the recipient proves it is the recipient by
 * the peer id of its own Noise-authenticated connection, which hashes to it.
 */
import { concatBytes, toHex, type Bytes } from '../../crypto/bytes.ts';
import type { Primitives } from '../../crypto/primitives/types.ts';
import { LABEL_GROUP_MAILBOX, LABEL_MAILBOX } from '../constants.ts';
import { peerIdFromText } from '../encoding/peer-id.ts';

const label = new TextEncoder().encode(LABEL_MAILBOX);

/** The mailbox key of `peerId` (32 bytes). Throws InvalidPeerIdError. */
export function mailboxKeyOf(primitives: Primitives, peerId: string): Bytes {
  return primitives.sha256(concatBytes(label, peerIdFromText(peerId).toMultihash().bytes));
}

/** The mailbox key as it appears in store keys (hex). */
export function mailboxKeyHex(primitives: Primitives, peerId: string): string {
  return toHex(mailboxKeyOf(primitives, peerId));
}

const groupLabel = new TextEncoder().encode(LABEL_GROUP_MAILBOX);

/**
 * The mailbox key of a group: H("sotto/v1/group-mailbox" || its mailbox
 * token). Every member holds the token (it comes with the invitation), so
 * every member can deposit and fetch under it; a mailbox learns the token
 * from the first deposit or fetch, and with it nothing it could read.
 */
export function groupMailboxKey(primitives: Primitives, token: Bytes): Bytes {
  return primitives.sha256(concatBytes(groupLabel, token));
}
