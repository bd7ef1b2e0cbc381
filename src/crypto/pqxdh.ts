/**
 * PQXDH-style session agreement: X25519 (X3DH) combined with ML-KEM-768, so
 * that a session stays confidential even against an attacker who records it
 * now and breaks X25519 later.
 *
 * Initiator A, responder B with bundle (IK_B, SPK_B, PQPK_B, [OPK_B]):
 *   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK_A, IK_B)  DH3 = DH(EK_A, SPK_B)
 *   DH4 = DH(EK_A, OPK_B) (when a one-time prekey was used)
 *   (CT, SS) = ML-KEM-768.Encaps(PQPK_B)
 *   okm = HKDF(0xFF*32 || DH1 || DH2 || DH3 [|| DH4] || SS, salt none,
 *              info "sotto/v2/pqxdh/x25519-mlkem768-sha256"
 *                   || SHA-256(PQPK_B) || SHA-256(CT), 128)
 *   root key = okm[0:32], A's first header key = okm[32:64],
 *   B's first header key = okm[64:96], PQ epoch 0 key = okm[96:128]
 *   AD = "sotto/v1/ad" || IK_A (Ed25519 || X25519) || IK_B (Ed25519 || X25519)
 * A KEM prekey is mandatory: a bundle without one, or with a bad signature on
 * it, is refused (never a silent downgrade to classical X3DH).
 */
import { concatBytes, type Bytes } from './bytes.ts';
import { LABEL_ASSOCIATED_DATA, LABEL_PQXDH_V2, MLKEM768_CIPHERTEXT_BYTES, MLKEM768_ENCAPS_RANDOM_BYTES } from './constants.ts';
import type { CryptoContext } from './context.ts';
import { InvalidPublicKeyError } from './errors.ts';
import { verifyBundle, type PrekeyBundle } from './bundle.ts';
import { verifyIdentity, type IdentityKeyPair, type IdentityPublic } from './identity.ts';
import { agreementKdf } from './kdf.ts';
import { dh, generateX25519KeyPair, assertValidX25519PublicKey } from './keys.ts';
import type { OneTimePrekeyRecord, SignedPrekeyRecord } from './prekeys.ts';

/** What the initiator sends so that the responder can run the same agreement. */
export interface PrekeyMessageHeader {
  /** The initiator's identity. */
  readonly identity: IdentityPublic;
  /** The initiator's ephemeral X25519 key EK_A; also the session's id. */
  readonly baseKey: Bytes;
  readonly signedPrekeyId: number;
  readonly kemPrekeyId: number;
  readonly oneTimePrekeyId?: number | undefined;
  /** ML-KEM-768 ciphertext to the responder's KEM prekey. */
  readonly kemCiphertext: Bytes;
}

/** The shared secrets both sides derive. */
export interface AgreedSecrets {
  readonly rootKey: Bytes;
  /** Header key of the initiator's first sending chain (HKa). */
  readonly initiatorHeaderKey: Bytes;
  /** Header key of the responder's first sending chain (NHKb). */
  readonly responderHeaderKey: Bytes;
  /** Associated data bound into every message of the session. */
  readonly associatedData: Bytes;
  /** Key of PQ epoch 0 (§7a). */
  readonly epochKey: Bytes;
}

const AGREEMENT_OUTPUT_BYTES = 128;

/** What v2 appends to the agreement's HKDF info: SHA-256(KEM key) || SHA-256(KEM ciphertext). */
function kemBinding(ctx: CryptoContext, kemPublicKey: Bytes, kemCiphertext: Bytes): Bytes {
  return concatBytes(ctx.primitives.sha256(kemPublicKey), ctx.primitives.sha256(kemCiphertext));
}

/** AD = "sotto/v1/ad" || initiator Ed25519 || initiator X25519 || responder Ed25519 || responder X25519. */
export function associatedData(initiator: IdentityPublic, responder: IdentityPublic): Bytes {
  return concatBytes(LABEL_ASSOCIATED_DATA, initiator.signingKey, initiator.dhKey, responder.signingKey, responder.dhKey);
}

function splitSecrets(okm: Bytes, ad: Bytes): AgreedSecrets {
  return { rootKey: okm.slice(0, 32), initiatorHeaderKey: okm.slice(32, 64), responderHeaderKey: okm.slice(64, 96), epochKey: okm.slice(96, 128), associatedData: ad };
}

/**
 * Initiator side. Verifies the bundle (identity certificate, both prekey
 * signatures, key policy), then agrees. Returns the header to send, the
 * secrets, and the responder's signed prekey (the first remote ratchet key).
 * Throws MissingKemPrekeyError, InvalidSignatureError, InvalidPublicKeyError.
 */
export async function initiateAgreement(
  ctx: CryptoContext,
  ours: IdentityKeyPair,
  bundle: PrekeyBundle,
): Promise<{ header: PrekeyMessageHeader; secrets: AgreedSecrets; remoteRatchetKey: Bytes }> {
  await verifyBundle(ctx, bundle);
  const ephemeral = await generateX25519KeyPair(ctx);
  const spk = bundle.signedPrekey.publicKey;
  const dhs = [
    await dh(ctx, ours.dhPrivateKey, spk, 'signed prekey'),
    await dh(ctx, ephemeral.privateKey, bundle.identity.dhKey, 'identity X25519 key'),
    await dh(ctx, ephemeral.privateKey, spk, 'signed prekey'),
  ];
  if (bundle.oneTimePrekey) dhs.push(await dh(ctx, ephemeral.privateKey, bundle.oneTimePrekey.publicKey, 'one-time prekey'));
  let kem: { cipherText: Bytes; sharedSecret: Bytes };
  try {
    kem = ctx.primitives.kemEncapsulate(bundle.kemPrekey.publicKey, ctx.randomBytes(MLKEM768_ENCAPS_RANDOM_BYTES));
  } catch {
    throw new InvalidPublicKeyError('KEM prekey', 'invalid-kem-key');
  }
  const okm = agreementKdf(ctx.primitives, LABEL_PQXDH_V2, dhs, kem.sharedSecret, AGREEMENT_OUTPUT_BYTES, kemBinding(ctx, bundle.kemPrekey.publicKey, kem.cipherText));
  const header: PrekeyMessageHeader = {
    identity: ours.public,
    baseKey: ephemeral.publicKey,
    signedPrekeyId: bundle.signedPrekey.id,
    kemPrekeyId: bundle.kemPrekey.id,
    oneTimePrekeyId: bundle.oneTimePrekey?.id,
    kemCiphertext: kem.cipherText,
  };
  return { header, secrets: splitSecrets(okm, associatedData(ours.public, bundle.identity)), remoteRatchetKey: spk };
}

/** The responder's private keys named by a prekey message. */
export interface ResponderPrekeys {
  readonly signed: SignedPrekeyRecord;
  /** The KEM prekey named: the signed last-resort one or a one-time one (its key pair regenerated from the seed). */
  readonly kem: { readonly id: number; readonly publicKey: Bytes; readonly secretKey: Bytes };
  readonly oneTime?: OneTimePrekeyRecord | undefined;
}

/**
 * The responder's DH outputs in protocol order: DH(SPK_B, IK_A),
 * DH(IK_B, EK_A), DH(SPK_B, EK_A) [, DH(OPK_B, EK_A)]. Exported so that
 * libsignal's X3DH vectors can check the construction.
 */
export async function responderDhOutputs(
  ctx: CryptoContext,
  keys: { identityDhPrivateKey: Bytes; signedPrekeyPrivateKey: Bytes; oneTimePrekeyPrivateKey?: Bytes | undefined },
  remote: { identityDhKey: Bytes; baseKey: Bytes },
): Promise<Bytes[]> {
  const dhs = [
    await dh(ctx, keys.signedPrekeyPrivateKey, remote.identityDhKey, 'identity X25519 key'),
    await dh(ctx, keys.identityDhPrivateKey, remote.baseKey, 'base key'),
    await dh(ctx, keys.signedPrekeyPrivateKey, remote.baseKey, 'base key'),
  ];
  if (keys.oneTimePrekeyPrivateKey) dhs.push(await dh(ctx, keys.oneTimePrekeyPrivateKey, remote.baseKey, 'base key'));
  return dhs;
}

/**
 * Responder side: verifies the initiator's identity certificate and keys,
 * then derives the same secrets. A KEM ciphertext for another key yields
 * unrelated secrets (ML-KEM's implicit rejection), so the first message then
 * fails authentication. Throws InvalidSignatureError, InvalidPublicKeyError,
 * DecodeError.
 */
export async function respondToAgreement(ctx: CryptoContext, ours: IdentityKeyPair, header: PrekeyMessageHeader, keys: ResponderPrekeys): Promise<AgreedSecrets> {
  await verifyIdentity(ctx, header.identity);
  assertValidX25519PublicKey(header.baseKey, 'base key');
  if (header.kemCiphertext.length !== MLKEM768_CIPHERTEXT_BYTES) throw new InvalidPublicKeyError('KEM ciphertext', 'length');
  const dhs = await responderDhOutputs(
    ctx,
    { identityDhPrivateKey: ours.dhPrivateKey, signedPrekeyPrivateKey: keys.signed.keyPair.privateKey, oneTimePrekeyPrivateKey: keys.oneTime?.keyPair.privateKey },
    { identityDhKey: header.identity.dhKey, baseKey: header.baseKey },
  );
  const kemSecret = ctx.primitives.kemDecapsulate(header.kemCiphertext, keys.kem.secretKey);
  const okm = agreementKdf(ctx.primitives, LABEL_PQXDH_V2, dhs, kemSecret, AGREEMENT_OUTPUT_BYTES, kemBinding(ctx, keys.kem.publicKey, header.kemCiphertext));
  return splitSecrets(okm, associatedData(header.identity, ours.public));
}
