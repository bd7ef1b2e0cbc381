/**
 * The leaf credential of a Sotto group member: it binds the leaf's MLS
 * signature key to the member's Sotto identity (the Ed25519 identity key,
 * whose peer id names the member). The identity key signs
 * "sotto/v1/group-credential" || the leaf's signature public key, so a leaf
 * speaks for an identity only with that identity's consent, and several
 * leaves (devices, later) can speak for one identity.
 *
 * MLS custom credential type {@link SOTTO_CREDENTIAL_TYPE}; data layout in
 * PROTOCOL.md §24. {@link sottoAuthenticationService} is what ts-mls asks
 * for every leaf it sees: a key package being added, a commit's new leaf, a
 * tree being joined.
 */
import type { AuthenticationService, Credential, CredentialCustom } from 'ts-mls';
import { concatBytes, Reader, utf8, Writer, type Bytes } from '../../crypto/bytes.ts';
import { ED25519_KEY_BYTES, ED25519_SIGNATURE_BYTES } from '../../crypto/constants.ts';
import type { Primitives } from '../../crypto/primitives/types.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import { readVersion } from '../../crypto/version.ts';
import { GROUP_WIRE_VERSION } from '../constants.ts';

/** MLS credential type of Sotto's identity credential (private-use range, RFC 9420 §17.5). */
export const SOTTO_CREDENTIAL_TYPE = 0xf5a1;
/** Label of the identity key's signature over a leaf's signature key. */
export const LABEL_GROUP_CREDENTIAL = utf8('sotto/v1/group-credential');
/** Bytes of the credential data: version, identity key, signature. */
export const GROUP_CREDENTIAL_BYTES = 1 + ED25519_KEY_BYTES + ED25519_SIGNATURE_BYTES;

/** The credential's content. */
export interface GroupCredential {
  /** The member's Ed25519 identity key (its peer id's key). */
  readonly identity: Bytes;
  /** Ed25519(identity, LABEL_GROUP_CREDENTIAL || leaf signature public key). */
  readonly signature: Bytes;
}

/** A credential for `identity` over the leaf signature key `signaturePublicKey`. */
export async function makeGroupCredential(primitives: Primitives, identity: IdentityKeyPair, signaturePublicKey: Bytes): Promise<CredentialCustom> {
  const signature = await primitives.ed25519Sign(identity.signingSeed, concatBytes(LABEL_GROUP_CREDENTIAL, signaturePublicKey));
  const data = new Writer(GROUP_CREDENTIAL_BYTES).u8(GROUP_WIRE_VERSION).fixed(identity.public.signingKey, ED25519_KEY_BYTES).fixed(signature, ED25519_SIGNATURE_BYTES).finish();
  return { credentialType: SOTTO_CREDENTIAL_TYPE, data };
}

/**
 * Reads a Sotto credential. Throws DecodeError (or VersionTooOld/New) for
 * anything else, including credentials of another type.
 */
export function readGroupCredential(credential: Credential): GroupCredential {
  const r = new Reader(credential.credentialType === SOTTO_CREDENTIAL_TYPE ? (credential as CredentialCustom).data : new Uint8Array(0), 'group credential');
  readVersion(r, 'group credential', GROUP_WIRE_VERSION);
  const identity = r.fixed(ED25519_KEY_BYTES, 'identity key');
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  r.end();
  return { identity, signature };
}

/** The identity key a credential names, or undefined when it is not a valid Sotto credential (format only, no signature check). */
export function credentialIdentity(credential: Credential): Bytes | undefined {
  try {
    return readGroupCredential(credential).identity;
  } catch {
    return undefined;
  }
}

/** The authentication service of Sotto groups: a leaf is valid when its credential is Sotto's and the identity signed its signature key. */
export function sottoAuthenticationService(primitives: Primitives): AuthenticationService {
  return {
    async validateCredential(credential, signaturePublicKey) {
      let parsed: GroupCredential;
      try {
        parsed = readGroupCredential(credential);
      } catch {
        return false;
      }
      return primitives.ed25519Verify(parsed.signature, concatBytes(LABEL_GROUP_CREDENTIAL, signaturePublicKey), parsed.identity).catch(() => false);
    },
  };
}
