/**
 * File names as a sender takes them from a path (docs/FILES.md, "Names and
 * types"; the rules are docs/PROTOCOL.md §25, "File descriptor", in
 * ../encoding/file-descriptor.ts): checked before anything is sealed.
 */
import { validateFileName } from '../encoding/file-descriptor.ts';
import { FileNameError } from '../errors.ts';

export { mediaTypeOf, validateFileName } from '../encoding/file-descriptor.ts';

/** Throws FileNameError unless `name` is a valid file name. */
export function checkFileName(name: string): void {
  const reason = validateFileName(name);
  if (reason !== undefined) throw new FileNameError(name, reason);
}
