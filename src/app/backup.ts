/**
 * `sotto export` and `sotto import`: a home's identity, contacts, sessions
 * and history as one encrypted archive file (docs/PROTOCOL.md, "Backup
 * archive"), and a new home restored from one.
 *
 * Both need the node stopped: a running node holds the database, and an
 * export taken while messages flow would be stale the moment it is written.
 * The archive has its own passphrase ($SOTTO_BACKUP_PASSPHRASE, else asked
 * for), apart from the home's ($SOTTO_PASSPHRASE).
 *
 * A restored identity must not run on two machines at once: each copy would
 * advance its own ratchet states, and messages that reach one copy cannot be
 * decrypted by the other. Export is a move, not a copy: the old machine
 * should stop for good.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { BACKUP_COST, type BackupCost } from '../node/backup/archive.ts';
import { MAX_BACKUP_BYTES } from '../node/backup/constants.ts';
import { BackupTooLargeError } from '../node/backup/errors.ts';
import { exportArchive, readArchive, restoreSnapshot } from '../node/backup/snapshot.ts';
import { NotInitialisedError } from '../node/errors.ts';
import { openLevelStore } from '../node/store/level.ts';
import { OutputFileExistsError, writeFileAtomic } from './atomic-file.ts';
import { nodeCryptoContext } from './context.ts';
import { nodeIsRunning } from './control/client.ts';
import type { HomePaths } from './home.ts';
import { createHomeStore, refuseExistingIdentity } from './init.ts';
import { existingPassphrase, newPassphrase, PASSPHRASE_ENV, promptHidden } from './passphrase.ts';
import { NodeAlreadyRunningError } from './run-node.ts';

/** Environment variable read for an archive's passphrase (export and import), for scripts. */
export const BACKUP_PASSPHRASE_ENV = 'SOTTO_BACKUP_PASSPHRASE';

/** What `sotto export` wrote. */
export interface ExportSummary {
  readonly file: string;
  readonly bytes: number;
  readonly contacts: number;
  readonly sessions: number;
  readonly messages: number;
}

/** What `sotto import` restored. */
export interface ImportSummary {
  readonly peerId: string;
  /** When the archive was made, ms. */
  readonly createdAt: number;
  readonly contacts: number;
  readonly sessions: number;
  readonly messages: number;
}

/** Options of {@link exportHome}. */
export interface ExportOptions {
  /** Replace an existing file (--force). */
  readonly force: boolean;
  readonly clock: () => number;
  readonly env?: NodeJS.ProcessEnv;
  /** Argon2id cost of the archive (tests only; default the keyring's). */
  readonly cost?: BackupCost;
}

/** Options of {@link importHome}. */
export interface ImportOptions {
  /** Encrypt the new home at rest (false: --no-passphrase). */
  readonly encrypt: boolean;
  /** Replace a home a stopped first run left half-made (--start-over); a home with an identity never is. */
  readonly startOver?: boolean;
  readonly clock: () => number;
  readonly env?: NodeJS.ProcessEnv;
}

/** An archive's passphrase when opening it: from the environment, else asked once. */
export function archivePassphrase(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  let asked: Promise<string> | undefined;
  return () => {
    const fromEnv = env[BACKUP_PASSPHRASE_ENV];
    if (fromEnv !== undefined) return Promise.resolve(fromEnv);
    asked ??= promptHidden('archive passphrase: ');
    return asked;
  };
}

/** A new archive's passphrase: from the environment, else typed twice (a mistake is asked again). Throws WeakPassphraseError, PassphraseMismatchError. */
export function newArchivePassphrase(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  return newPassphrase(BACKUP_PASSPHRASE_ENV, env, 'new archive passphrase');
}

/**
 * Writes an archive of `home` to `file` (atomically, mode 0600). Asks for
 * the home's passphrase, then the archive's. Throws NodeAlreadyRunningError,
 * NotInitialisedError, OutputFileExistsError (checked before any passphrase
 * is asked for), WrongPassphraseError, WeakPassphraseError,
 * BackupTooLargeError.
 */
export async function exportHome(home: HomePaths, file: string, options: ExportOptions): Promise<ExportSummary> {
  if (await nodeIsRunning(home.socket)) throw new NodeAlreadyRunningError();
  if (!existsSync(home.database)) throw new NotInitialisedError();
  if (!options.force && existsSync(file)) throw new OutputFileExistsError(file);
  const env = options.env ?? process.env;
  const ctx = await nodeCryptoContext(options.clock);
  const store = await openLevelStore(home.database, ctx, { passphrase: existingPassphrase(env) });
  let result: Awaited<ReturnType<typeof exportArchive>>;
  try {
    result = await exportArchive(store, ctx, newArchivePassphrase(env), options.cost ?? BACKUP_COST);
  } finally {
    await store.close();
  }
  await writeFileAtomic(file, result.archive, { overwrite: options.force });
  const { snapshot } = result;
  return { file, bytes: result.archive.length, contacts: snapshot.contacts.length, sessions: snapshot.sessions.length, messages: snapshot.messages.length };
}

/**
 * Restores the archive `file` into `home`, which must have no identity.
 * The archive is read, authenticated and checked completely before the
 * home is created, and the home appears only once it is complete (as with
 * `sotto init`: ./init.ts); everything is written in one commit. Throws
 * AlreadyInitialisedError, HalfMadeHomeError (without `startOver`), UnknownHomeDatabaseError,
 * BackupTooLargeError, NotABackupError,
 * VersionTooOldError, VersionTooNewError, WrongBackupPassphraseError,
 * BackupCorruptError, WeakPassphraseError, PassphraseMismatchError,
 * CancelledError (all with nothing written), and the file system's errors.
 */
export async function importHome(home: HomePaths, file: string, options: ImportOptions): Promise<ImportSummary> {
  const { replaceHalfMade } = await refuseExistingIdentity(home, options.clock, options.startOver);
  const env = options.env ?? process.env;
  const size = (await stat(file)).size;
  if (size > MAX_BACKUP_BYTES) throw new BackupTooLargeError(size, MAX_BACKUP_BYTES);
  const archive = new Uint8Array(await readFile(file));
  const ctx = await nodeCryptoContext(options.clock);
  const snapshot = await readArchive(ctx, archive, archivePassphrase(env));
  const passphrase = options.encrypt ? await newPassphrase(PASSPHRASE_ENV, env)() : undefined;
  const peerId = await createHomeStore(home, ctx, passphrase, (store) => restoreSnapshot(store, ctx, snapshot), replaceHalfMade);
  return { peerId, createdAt: snapshot.createdAt, contacts: snapshot.contacts.length, sessions: snapshot.sessions.length, messages: snapshot.messages.length };
}
