/**
 * Builds invites byte by byte from docs/PROTOCOL.md ("Invites"), without the
 * encoder under test: any field may be wrong on purpose, and the result is
 * still signed (unless told otherwise), so each check of the decoder can be
 * reached on its own.
 */
import { multiaddr } from '@multiformats/multiaddr';
import { concatBytes, utf8, Writer } from '../../src/crypto/bytes.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { toBase32 } from '../../src/node/encoding/base32.ts';
import { INVITE_PREFIX, INVITE_VERSION, LABEL_INVITE } from '../../src/node/constants.ts';

/** The fields of a hand-built invite; every one may be out of spec. */
export interface RawInvite {
  readonly version?: number;
  /** Defaults to the signer's key. */
  readonly key?: Uint8Array;
  /** 8 bytes; defaults to u64 createdAt. */
  readonly time?: Uint8Array;
  readonly createdAt?: number;
  /** UTF-8 bytes of the name (or text). */
  readonly name?: Uint8Array | string;
  /** Binary multiaddrs (or text forms). */
  readonly addresses?: readonly (Uint8Array | string)[];
  /** Overrides the address count byte. */
  readonly count?: number;
  /** Signature to use instead of a valid one. */
  readonly signature?: Uint8Array;
  /** Bytes appended after the signature. */
  readonly trailing?: Uint8Array;
}

/** The bytes (body || signature) of a hand-built invite, signed with `seed`. */
export async function rawInviteBytes(primitives: Primitives, seed: Uint8Array, raw: RawInvite = {}): Promise<Uint8Array> {
  const key = raw.key ?? (await primitives.ed25519PublicKey(seed));
  const name = typeof raw.name === 'string' || raw.name === undefined ? utf8(raw.name ?? 'alice') : raw.name;
  const addresses = (raw.addresses ?? ['/ip4/192.0.2.1/tcp/4001']).map((a) => (typeof a === 'string' ? multiaddr(a).bytes : a));
  const time = raw.time ?? new Writer(8).u64(raw.createdAt ?? Date.UTC(2026, 10, 24)).finish();
  const w = new Writer(2048)
    .u8(raw.version ?? INVITE_VERSION)
    .fixed(key, key.length)
    .fixed(time, time.length)
    .u8(name.length)
    .fixed(name, name.length)
    .u8(raw.count ?? addresses.length);
  for (const a of addresses) w.u8(a.length).fixed(a, a.length);
  const body = w.finish();
  const signature = raw.signature ?? (await primitives.ed25519Sign(seed, concatBytes(utf8(LABEL_INVITE), body)));
  return concatBytes(body, signature, raw.trailing ?? new Uint8Array(0));
}

/** The text of invite bytes. */
export function inviteText(bytes: Uint8Array): string {
  return INVITE_PREFIX + toBase32(bytes);
}

/** A hand-built invite as text. */
export async function rawInvite(primitives: Primitives, seed: Uint8Array, raw: RawInvite = {}): Promise<string> {
  return inviteText(await rawInviteBytes(primitives, seed, raw));
}
