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
import { AlreadyInitialisedError, NotInitialisedError } from '../node/errors.ts';
import { peerIdOfIdentity } from '../node/encoding/peer-id.ts';
import { openLevelStore, probeLevelStore } from '../node/store/level.ts';
import { OutputFileExistsError, writeFileAtomic } from './atomic-file.ts';
import { nodeCryptoContext } from './context.ts';
import { controlClient, nodeIsRunning } from './control/client.ts';
import { ensureHome, type HomePaths } from './home.ts';
import { existingPassphrase, MIN_PASSPHRASE_LENGTH, newPassphrase, PASSPHRASE_ENV, promptHidden, WeakPassphraseError } from './passphrase.ts';
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

/** A new archive's passphrase: from the environment, else typed twice. Throws WeakPassphraseError. */
export function newArchivePassphrase(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  return async () => {
    const fromEnv = env[BACKUP_PASSPHRASE_ENV];
    const chosen = fromEnv ?? (await promptHidden('new archive passphrase: '));
    if (fromEnv === undefined && (await promptHidden('repeat it: ')) !== chosen) throw new WeakPassphraseError('the two passphrases differ');
    if ([...chosen].length < MIN_PASSPHRASE_LENGTH) throw new WeakPassphraseError(`a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`);
    return chosen;
  };
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

/** Refuses a home that has an identity, before any passphrase is asked for (as `sotto init`). */
async function refuseInitialised(home: HomePaths, clock: () => number): Promise<void> {
  if (await nodeIsRunning(home.socket)) throw new AlreadyInitialisedError((await controlClient(home.socket).id()).peerId);
  if (!existsSync(home.database)) return;
  const probe = await probeLevelStore(home.database);
  if (!probe.initialised) return;
  if (probe.encrypted) throw new AlreadyInitialisedError();
  const ctx = await nodeCryptoContext(clock);
  const plain = await openLevelStore(home.database, ctx);
  const existing = await plain.getIdentity(ctx).finally(() => plain.close());
  throw new AlreadyInitialisedError(existing ? peerIdOfIdentity(existing.public) : undefined);
}

/**
 * Restores the archive `file` into `home`, which must have no identity.
 * The archive is read, authenticated and checked completely before the
 * home is created; then everything is written in one commit. Throws
 * AlreadyInitialisedError, BackupTooLargeError, NotABackupError,
 * VersionTooOldError, VersionTooNewError, WrongBackupPassphraseError,
 * BackupCorruptError (all with nothing written), WeakPassphraseError, and
 * the file system's errors.
 */
export async function importHome(home: HomePaths, file: string, options: ImportOptions): Promise<ImportSummary> {
  await refuseInitialised(home, options.clock);
  const env = options.env ?? process.env;
  const size = (await stat(file)).size;
  if (size > MAX_BACKUP_BYTES) throw new BackupTooLargeError(size, MAX_BACKUP_BYTES);
  const archive = new Uint8Array(await readFile(file));
  const ctx = await nodeCryptoContext(options.clock);
  const snapshot = await readArchive(ctx, archive, archivePassphrase(env));
  await ensureHome(home);
  const unlock = options.encrypt ? { create: 'encrypted' as const, passphrase: newPassphrase(PASSPHRASE_ENV, env) } : { create: 'plain' as const };
  const store = await openLevelStore(home.database, ctx, unlock);
  try {
    const peerId = await restoreSnapshot(store, ctx, snapshot);
    return { peerId, createdAt: snapshot.createdAt, contacts: snapshot.contacts.length, sessions: snapshot.sessions.length, messages: snapshot.messages.length };
  } finally {
    await store.close();
  }
}
