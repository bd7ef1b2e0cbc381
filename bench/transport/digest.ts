/** A fingerprint of a set of texts, to check what a receiver stored against what was sent. */
import { createHash } from 'node:crypto';

/** SHA-256 (hex) of the texts, sorted and joined by newlines. */
export function textsDigest(texts: readonly string[]): string {
  return createHash('sha256').update([...texts].sort().join('\n')).digest('hex');
}
