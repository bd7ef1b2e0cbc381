/**
 * Swarm key files of private networks (libp2p pnet): `sotto swarm-key new`
 * writes one, `--swarm-key FILE` reads it. The file is a secret shared by
 * every node of the network: whoever holds it can join.
 */
import { readFile } from 'node:fs/promises';
import { SottoError } from '../crypto/errors.ts';
import { checkSwarmKey, encodeSwarmKey } from '../node/transport/libp2p.ts';
import { writeFileAtomic } from './atomic-file.ts';

/** Random bytes of a swarm key (libp2p pnet keys are 32 bytes). */
export const SWARM_KEY_RANDOM_BYTES = 32;
/** Largest swarm key file read: a key file is 95 bytes; anything far larger is not one. */
export const MAX_SWARM_KEY_FILE_BYTES = 1024;

/** The swarm key file cannot be read. */
export class SwarmKeyFileError extends SottoError {
  override readonly name = 'SwarmKeyFileError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`cannot use the swarm key ${path}: ${reason}`);
  }
}

/**
 * Writes a new swarm key to `path` (mode 0600, atomically; never replaces a
 * file unless `overwrite`). `random` supplies the key's bytes.
 */
export async function writeNewSwarmKey(path: string, random: (n: number) => Uint8Array, overwrite: boolean): Promise<void> {
  await writeFileAtomic(path, encodeSwarmKey(random(SWARM_KEY_RANDOM_BYTES)), { overwrite });
}

/** Reads and checks a swarm key file: SwarmKeyFileError, or InvalidSwarmKeyError for a file that is not a key. */
export async function readSwarmKey(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new SwarmKeyFileError(path, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : String(code ?? err));
  }
  if (bytes.length > MAX_SWARM_KEY_FILE_BYTES) throw new SwarmKeyFileError(path, 'too large to be a swarm key');
  return checkSwarmKey(bytes);
}
