/**
 * The version byte that starts every Sotto wire message and stored record.
 * Too-old and too-new versions are different errors: the first means the
 * peer (or the stored data) needs upgrading, the second that this build does.
 */
import type { Reader } from './bytes.ts';
import { VersionTooNewError, VersionTooOldError } from './errors.ts';

/**
 * Reads a version byte and accepts `newest`, or any version from `oldest`
 * (a format whose older versions are still read). Throws
 * {@link VersionTooOldError} / {@link VersionTooNewError}.
 */
export function readVersion(r: Reader, what: string, newest: number, oldest: number = newest): number {
  const version = r.u8(`${what} version`);
  if (version < oldest) throw new VersionTooOldError(what, version, oldest);
  if (version > newest) throw new VersionTooNewError(what, version, newest);
  return version;
}
