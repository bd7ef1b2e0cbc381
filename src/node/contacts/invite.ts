/**
 * Invites: one line of text (and the QR code of it) that tells another
 * person how to add you: your identity key (= your peer id), the name you
 * suggest, where your node listens and when the invite was made, signed by
 * your identity key. docs/PROTOCOL.md, "Invites":
 *
 *   invite    = "SOTTO:" || base32(body || signature)        (RFC 4648, upper case, unpadded)
 *   body      = u8 version (1) || key (32) || u64 createdAt
 *               || u8 n || name (n bytes, UTF-8)
 *               || u8 count || count × (u8 m || multiaddr (m bytes, binary))
 *   signature = Ed25519(identity key, "sotto/v1/invite" || body)
 *
 * The signature proves the invite was made by the holder of the key it
 * names, so nobody can swap the addresses or the name of someone else's
 * invite. It does not prove that the key belongs to the person you think
 * gave it to you: that is what comparing safety numbers is for, and a
 * contact added from an invite stays unverified.
 *
 * Decoding checks every bound before it copies anything, and reports each
 * problem as its own typed error.
 */
import { concatBytes, Reader, utf8, Writer, type Bytes } from '../../crypto/bytes.ts';
import { SottoError } from '../../crypto/errors.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import type { Primitives } from '../../crypto/primitives/types.ts';
import { readVersion } from '../../crypto/version.ts';
import { fromBase32, toBase32 } from '../encoding/base32.ts';
import { INVITE_PREFIX, INVITE_VERSION, LABEL_INVITE, MAX_INVITE_BYTES, MAX_INVITE_NAME_BYTES, MAX_INVITE_TEXT_LENGTH } from '../constants.ts';
import { readAddressList, writeAddressList } from './address-list.ts';
import { InvalidContactNameError } from '../errors.ts';
import { checkContactName } from './names.ts';
import { peerIdOfSigningKey } from '../encoding/peer-id.ts';

const KEY_BYTES = 32;
const TIME_BYTES = 8;
const SIGNATURE_BYTES = 64;

/** Strict UTF-8; a leading U+FEFF stays part of the name (and so is refused as invisible). */
const nameDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What an invite says. */
export interface Invite {
  /** The inviter's peer id: the Ed25519 identity key below, in text form. */
  readonly peerId: string;
  readonly signingKey: Bytes;
  /** The name the inviter suggests for themselves ('' when they have none). */
  readonly name: string;
  /** Where the inviter's node listened, without the trailing /p2p/<peer id>. */
  readonly addresses: readonly string[];
  /** When the invite was made, ms since the epoch (the inviter's clock). */
  readonly createdAt: number;
}

/** What an invite is made of, besides the identity that signs it. */
export interface InviteContent {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly createdAt: number;
}

/** Why an invite is refused (before its signature is checked). */
export type InviteProblem = 'oversized' | 'prefix' | 'encoding' | 'truncated' | 'trailing' | 'timestamp' | 'name' | 'address';

/** An invite does not parse: cut short, too long, not base32, a bad name or address. */
export class InvalidInviteError extends SottoError {
  override readonly name = 'InvalidInviteError';
  constructor(readonly reason: InviteProblem, detail: string) {
    super(`invalid invite: ${detail}`);
  }
}

/** An invite parses but its signature does not verify: it was altered, or not made by the key it names. */
export class InviteSignatureError extends SottoError {
  override readonly name = 'InviteSignatureError';
  constructor() {
    super('the invite has a bad signature: it was altered, or not made by the identity it names');
  }
}

function signedData(body: Bytes): Bytes {
  return concatBytes(utf8(LABEL_INVITE), body);
}

/**
 * Makes the invite of `identity`. The name must be '' or a valid contact
 * name (checkContactName: InvalidContactNameError), written in NFC, of at
 * most MAX_INVITE_NAME_BYTES; addresses
 * are deduplicated and must be at most MAX_INVITE_ADDRESSES multiaddrs
 * (see inviteAddressBytes in ./address-list.ts); RangeError otherwise.
 */
export async function encodeInvite(primitives: Primitives, identity: IdentityKeyPair, content: InviteContent): Promise<string> {
  const signingKey = identity.public.signingKey;
  const peerId = peerIdOfSigningKey(signingKey);
  const name = utf8(content.name === '' ? '' : checkContactName(content.name));
  if (name.length > MAX_INVITE_NAME_BYTES) throw new RangeError(`invite name is longer than ${MAX_INVITE_NAME_BYTES} UTF-8 bytes`);
  const w = new Writer(MAX_INVITE_BYTES).u8(INVITE_VERSION).fixed(signingKey, KEY_BYTES).u64(content.createdAt).u8(name.length).fixed(name, name.length);
  writeAddressList(w, content.addresses, peerId);
  const body = w.finish();
  const signature = await primitives.ed25519Sign(identity.signingSeed, signedData(body));
  return INVITE_PREFIX + toBase32(concatBytes(body, signature));
}

/** Throws InvalidInviteError('truncated') unless `n` more bytes are there. */
function need(r: Reader, n: number, field: string): void {
  if (r.remaining < n) throw new InvalidInviteError('truncated', `it is cut short (in the ${field})`);
}

function readTime(r: Reader): number {
  need(r, TIME_BYTES, 'creation time');
  const bytes = r.fixed(TIME_BYTES, 'created at');
  const view = new DataView(bytes.buffer, bytes.byteOffset, TIME_BYTES);
  const high = view.getUint32(0);
  if (high >= 2 ** 21) throw new InvalidInviteError('timestamp', 'its creation time is out of range');
  return high * 2 ** 32 + view.getUint32(4);
}

function readName(r: Reader): string {
  need(r, 1, 'name length');
  const length = r.u8('name length');
  need(r, length, 'name');
  let name: string;
  try {
    name = nameDecoder.decode(r.fixed(length, 'name'));
  } catch {
    throw new InvalidInviteError('name', 'its name is not UTF-8');
  }
  if (name === '') return name;
  try {
    return checkContactName(name);
  } catch (err) {
    if (err instanceof InvalidContactNameError) throw new InvalidInviteError('name', `its name is not valid: ${err.reason}`);
    throw err;
  }
}

/**
 * Parses and checks an invite (surrounding whitespace ignored). Throws
 * InvalidInviteError, VersionTooOldError / VersionTooNewError, or
 * InviteSignatureError; TypeError when `text` is not a string.
 */
export async function decodeInvite(primitives: Primitives, text: string): Promise<Invite> {
  if (typeof text !== 'string') throw new TypeError('decodeInvite: the invite must be a string');
  const trimmed = text.trim();
  if (trimmed.length > MAX_INVITE_TEXT_LENGTH) throw new InvalidInviteError('oversized', `it is longer than ${MAX_INVITE_TEXT_LENGTH} characters`);
  if (!trimmed.startsWith(INVITE_PREFIX)) throw new InvalidInviteError('prefix', `it does not start with ${INVITE_PREFIX}`);
  let bytes: Bytes;
  try {
    bytes = fromBase32(trimmed.slice(INVITE_PREFIX.length));
  } catch {
    throw new InvalidInviteError('encoding', 'it is not upper-case base32 after the prefix (was it copied whole?)');
  }
  const r = new Reader(bytes, 'invite');
  need(r, 1, 'version');
  readVersion(r, 'invite', INVITE_VERSION);
  need(r, KEY_BYTES, 'key');
  const signingKey = r.fixed(KEY_BYTES, 'key');
  const createdAt = readTime(r);
  const name = readName(r);
  const addresses = readAddressList(r, (problem, detail) => new InvalidInviteError(problem, detail));
  need(r, SIGNATURE_BYTES, 'signature');
  const signature = r.fixed(SIGNATURE_BYTES, 'signature');
  if (r.remaining > 0) throw new InvalidInviteError('trailing', `${r.remaining} bytes follow the signature`);
  const body = bytes.subarray(0, bytes.length - SIGNATURE_BYTES);
  let valid: boolean;
  try {
    valid = await primitives.ed25519Verify(signature, signedData(body), signingKey);
  } catch {
    valid = false;
  }
  if (!valid) throw new InviteSignatureError();
  return { peerId: peerIdOfSigningKey(signingKey), signingKey, name, addresses, createdAt };
}
