/**
 * Mailbox passes (docs/PROTOCOL.md §18, "Passes"): a recipient signs, for
 * each of its contacts, "this depositor may leave mail for me until T".
 * The contact gets its pass inside the encrypted channel and shows it with
 * every deposit; a mailbox checks it without any state of its own (the
 * recipient's key is in the deposit and hashes to the mailbox key; the
 * depositor is the Noise-authenticated peer of the connection). Deposits
 * with a valid pass count against the recipient's full quota; deposits
 * without one share a small stranger allowance, so fresh peer ids cannot
 * make a mailbox refuse what the recipient's contacts send.
 *
 *   signature = Ed25519(recipient identity key,
 *                 "sotto/v1/mailbox-pass" || recipient key (32) || depositor key (32) || u64 expiresAt)
 */
import { concatBytes, equalBytes, Writer, type Bytes } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import type { Primitives } from '../../crypto/primitives/types.ts';
import { LABEL_MAILBOX_PASS } from '../constants.ts';
import { peerIdOfSigningKey, signingKeyOfPeerId } from '../encoding/peer-id.ts';
import { mailboxKeyOf } from './keys.ts';

const label = new TextEncoder().encode(LABEL_MAILBOX_PASS);

/** A pass as it travels with a deposit: whose it is, until when, and the recipient's signature. */
export interface MailboxPass {
  /** The recipient's Ed25519 identity key (32 bytes). */
  readonly recipientKey: Bytes;
  readonly expiresAt: number;
  readonly signature: Bytes;
}

/** What the recipient signs. */
export function passSignedData(recipientKey: Bytes, depositorKey: Bytes, expiresAt: number): Bytes {
  return concatBytes(label, recipientKey, depositorKey, new Writer(8).u64(expiresAt).finish());
}

/** Signs a pass from `identity` (the recipient) for `depositor`, valid until `expiresAt`. */
export function issuePass(ctx: CryptoContext, identity: IdentityKeyPair, depositor: string, expiresAt: number): Promise<Bytes> {
  return ctx.primitives.ed25519Sign(identity.signingSeed, passSignedData(identity.public.signingKey, signingKeyOfPeerId(depositor), expiresAt));
}

/**
 * Why a pass shown with a deposit does not let `depositor` deposit under
 * `mailboxKey` now, or undefined when it does: the recipient's key must hash
 * to the mailbox key, the pass must not have expired, and the signature must
 * verify for this depositor.
 */
export async function passProblem(primitives: Primitives, pass: MailboxPass, mailboxKey: Bytes, depositor: string, now: number): Promise<'wrong-key' | 'expired' | 'bad-signature' | undefined> {
  let recipient: string;
  try {
    recipient = peerIdOfSigningKey(pass.recipientKey);
  } catch {
    return 'wrong-key';
  }
  if (!equalBytes(mailboxKeyOf(primitives, recipient), mailboxKey)) return 'wrong-key';
  if (pass.expiresAt <= now) return 'expired';
  const valid = await primitives.ed25519Verify(pass.signature, passSignedData(pass.recipientKey, signingKeyOfPeerId(depositor), pass.expiresAt), pass.recipientKey);
  return valid ? undefined : 'bad-signature';
}
