/**
 * The version byte that starts every Sotto wire message and stored record.
 * Too-old and too-new versions are different errors: the first means the
 * peer (or the stored data) needs upgrading, the second that this build does.
 */
import type { Reader } from './bytes.ts';
import { VersionTooNewError, VersionTooOldError } from './errors.ts';

/**
 * Reads a version byte and accepts only `supported` (every format is at its
 * first version). Throws {@link VersionTooOldError} / {@link VersionTooNewError}.
 */
export function readVersion(r: Reader, what: string, supported: number): number {
  const version = r.u8(`${what} version`);
  if (version < supported) throw new VersionTooOldError(what, version, supported);
  if (version > supported) throw new VersionTooNewError(what, version, supported);
  return version;
}
