/**
 * Peer ids and Sotto identities. A Sotto identity's Ed25519 key is its libp2p
 * key, so the peer id names the identity: a Noise-authenticated connection
 * from a peer id proves that the other end holds that identity's private key.
 *
 * Only Ed25519 peer ids in their canonical text form (base58btc, "12D3KooW…")
 * are accepted; RSA and secp256k1 peer ids, and CID forms of a peer id, are
 * refused so that one identity has exactly one spelling.
 */
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { Ed25519PeerId, Ed25519PrivateKey, PeerId } from '@libp2p/interface';
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import { equalBytes } from '../../crypto/bytes.ts';
import type { IdentityKeyPair, IdentityPublic } from '../../crypto/identity.ts';
import { IdentityKeyMismatchError, InvalidPeerIdError } from '../errors.ts';

/** Bytes of an Ed25519 public key and of an Ed25519 seed. */
const ED25519_KEY_BYTES = 32;

/**
 * Longest text a peer id is parsed from. An Ed25519 peer id is 52
 * characters; the bound keeps hostile input from reaching the decoders.
 */
const MAX_PEER_ID_TEXT = 128;

/**
 * Validates the canonical text form of an Ed25519 peer id and returns it.
 * Throws {@link InvalidPeerIdError} (`malformed`, `not-ed25519`,
 * `non-canonical`).
 */
export function parsePeerId(text: string): string {
  return peerIdFromText(text).toString();
}

/**
 * Parses the canonical text form of an Ed25519 peer id into libp2p's peer id
 * object. Throws {@link InvalidPeerIdError} (`malformed`, `not-ed25519`,
 * `non-canonical`).
 */
export function peerIdFromText(text: string): Ed25519PeerId {
  if (typeof text !== 'string') throw new TypeError('peerIdFromText: peer id must be a string');
  if (text.length === 0 || text.length > MAX_PEER_ID_TEXT) throw new InvalidPeerIdError(text, 'malformed');
  let peerId: PeerId;
  try {
    peerId = peerIdFromString(text);
  } catch {
    throw new InvalidPeerIdError(text, 'malformed');
  }
  if (peerId.type !== 'Ed25519') throw new InvalidPeerIdError(text, 'not-ed25519');
  if (peerId.toString() !== text) throw new InvalidPeerIdError(text, 'non-canonical');
  return peerId;
}

/** True when `text` is the canonical text form of an Ed25519 peer id (see {@link parsePeerId}). */
export function isPeerId(text: string): boolean {
  try {
    parsePeerId(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The peer id named by a raw 32-byte Ed25519 public key (a Sotto identity
 * key). Throws RangeError when the key is not 32 bytes.
 */
export function peerIdOfSigningKey(signingKey: Uint8Array): string {
  if (signingKey.length !== ED25519_KEY_BYTES) throw new RangeError(`peerIdOfSigningKey: signing key must be ${ED25519_KEY_BYTES} bytes`);
  return peerIdFromPublicKey(publicKeyFromRaw(signingKey)).toString();
}

/** The peer id of a Sotto identity: {@link peerIdOfSigningKey} of its Ed25519 identity key. */
export function peerIdOfIdentity(identity: IdentityPublic): string {
  return peerIdOfSigningKey(identity.signingKey);
}

/**
 * The raw 32-byte Ed25519 public key inside a peer id: the identity key of
 * whoever holds it. Compare it with the `signingKey` of an identity the peer
 * claims, to check that the Noise-authenticated remote owns that identity.
 * Throws {@link InvalidPeerIdError}.
 */
export function signingKeyOfPeerId(peerId: string | PeerId): Uint8Array {
  if (typeof peerId === 'string') {
    // Parsing a peer id (base58, multihash, key) costs more than decrypting a message; a drain asks for the same few over and over.
    const known = signingKeys.get(peerId);
    if (known) return known.slice();
  }
  const id = typeof peerId === 'string' ? peerIdFromText(peerId) : peerId;
  if (id.type !== 'Ed25519') throw new InvalidPeerIdError(id.toString(), 'not-ed25519');
  const key = Uint8Array.from(id.publicKey.raw);
  if (typeof peerId === 'string') {
    if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) signingKeys.delete(signingKeys.keys().next().value!);
    signingKeys.set(peerId, key.slice());
  }
  return key;
}

/** Peer ids whose signing key is remembered (the oldest is forgotten first): the contacts of a busy node fit. */
const SIGNING_KEY_CACHE_SIZE = 1024;
/** Valid Ed25519 peer ids (their exact text) and their signing keys. */
const signingKeys = new Map<string, Uint8Array>();

/** True when the peer id (text or object) names exactly this identity. Throws {@link InvalidPeerIdError} for a malformed string. */
export function peerIdMatchesIdentity(peerId: string | PeerId, identity: IdentityPublic): boolean {
  return equalBytes(signingKeyOfPeerId(peerId), identity.signingKey);
}

/**
 * The libp2p private key of an identity, from its Ed25519 seed. Checks that
 * its public key is the identity's signing key and throws
 * {@link IdentityKeyMismatchError} otherwise, so a node never runs under a
 * peer id that does not name its identity. Throws RangeError for a seed that
 * is not 32 bytes.
 */
export async function libp2pKeyOfIdentity(identity: IdentityKeyPair): Promise<Ed25519PrivateKey> {
  if (identity.signingSeed.length !== ED25519_KEY_BYTES) throw new RangeError(`libp2pKeyOfIdentity: seed must be ${ED25519_KEY_BYTES} bytes`);
  const key = await generateKeyPairFromSeed('Ed25519', identity.signingSeed);
  if (!equalBytes(key.publicKey.raw, identity.public.signingKey)) throw new IdentityKeyMismatchError();
  return key;
}
