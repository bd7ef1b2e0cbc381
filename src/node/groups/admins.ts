/**
 * The group's admins: a group context extension (type
 * {@link ADMINS_EXTENSION_TYPE}) listing admin identity keys, so the list is
 * part of the group state every member agrees on, covered by the epoch's
 * transcript, and changed only by a commit (a GroupContextExtensions
 * proposal) that an admin made. Admins are identities, not leaves: any leaf
 * of an admin identity may change membership.
 */
import { makeCustomExtension, type ClientState, type GroupContextExtension } from 'ts-mls';
import { compareBytes, equalBytes, Reader, Writer, type Bytes } from '../../crypto/bytes.ts';
import { ED25519_KEY_BYTES } from '../../crypto/constants.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { GROUP_WIRE_VERSION, MAX_GROUP_MEMBERS } from '../constants.ts';

/** Group context extension type of the admin list (private-use range). */
export const ADMINS_EXTENSION_TYPE = 0xf5a2;

/** The extension for `admins`: version, count (u16), the keys in ascending byte order, none twice. */
export function adminsExtension(admins: readonly Bytes[]): GroupContextExtension {
  const sorted = [...admins].sort(compareBytes).filter((key, i, all) => i === 0 || !equalBytes(key, all[i - 1]!));
  if (sorted.length === 0 || sorted.length > MAX_GROUP_MEMBERS) throw new RangeError(`a group has 1..${MAX_GROUP_MEMBERS} admins`);
  const w = new Writer(3 + sorted.length * ED25519_KEY_BYTES).u8(GROUP_WIRE_VERSION).u16(sorted.length);
  for (const key of sorted) w.fixed(key, ED25519_KEY_BYTES);
  return makeCustomExtension({ extensionType: ADMINS_EXTENSION_TYPE, extensionData: w.finish() });
}

/** Reads the admin list of an extension's data. Throws DecodeError when it is malformed, unsorted or empty. */
export function decodeAdmins(data: Bytes): Bytes[] {
  const r = new Reader(data, 'group admins');
  readVersion(r, 'group admins', GROUP_WIRE_VERSION);
  const count = r.u16('count');
  if (count === 0 || count > MAX_GROUP_MEMBERS) throw new DecodeError('group admins', `count ${count} outside 1..${MAX_GROUP_MEMBERS}`);
  const admins: Bytes[] = [];
  for (let i = 0; i < count; i++) {
    const key = r.fixed(ED25519_KEY_BYTES, 'admin key');
    if (i > 0 && compareBytes(admins[i - 1]!, key) >= 0) throw new DecodeError('group admins', 'keys not in ascending order');
    admins.push(key);
  }
  r.end();
  return admins;
}

/** The admins of a group state (empty when the extension is missing: then no one may change membership). */
export function groupAdmins(state: ClientState): Bytes[] {
  const extension = state.groupContext.extensions.find((e) => e.extensionType === ADMINS_EXTENSION_TYPE);
  if (extension === undefined) return [];
  return decodeAdmins(extension.extensionData as Bytes);
}
