/**
 * Opens the on-disk store of a Sotto home: a `level` database (classic-level
 * in Node, browser-level in a browser, where `location` is the IndexedDB
 * name), unlocked with the home's passphrase when it is encrypted at rest
 * (./at-rest.ts). Only one process may hold it; a second one gets
 * {@link DatabaseLockedError} instead of a generic I/O error.
 */
import { Level } from 'level';
import type { CryptoContext } from '../../crypto/context.ts';
import { SottoError } from '../../crypto/errors.ts';
import { atRestCodecs, createKeyring, decodeKeyring, encodeKeyring, KEYRING_KEY, PassphraseRequiredError, rewrapKeyring, unlockKeyring } from './at-rest.ts';
import { levelBackend, type KvBackend } from './backend.ts';
import { KEY } from './keys.ts';
import { SottoStore, Tx } from './store.ts';

/** Another process (usually a running `sotto start`) holds the database. */
export class DatabaseLockedError extends SottoError {
  override readonly name = 'DatabaseLockedError';
  constructor(readonly location: string) {
    super(`the database at ${location} is in use by another process`);
  }
}

/** How to unlock (or set up) a home's encryption at rest. */
export interface Unlock {
  /** Asked only when needed: the passphrase of an encrypted home, or the one to encrypt a new home with. */
  readonly passphrase?: () => Promise<string>;
  /** For a home without a keyring yet: encrypt it (needs `passphrase`) or keep it in clear by choice. */
  readonly create?: 'encrypted' | 'plain';
}

/**
 * Wraps `backend` in a store unlocked per its keyring. Throws
 * PassphraseRequiredError, WrongPassphraseError (nothing is changed), and
 * the store's open errors.
 */
export async function unlockStore(backend: KvBackend, ctx: CryptoContext | undefined, unlock: Unlock): Promise<SottoStore> {
  const raw = await backend.get(KEYRING_KEY);
  if (raw) {
    const keyring = decodeKeyring(raw);
    if (keyring.kdf === 'none') return new SottoStore(backend).open();
    if (!unlock.passphrase || !ctx) throw new PassphraseRequiredError();
    const { values, names } = atRestCodecs(ctx, await unlockKeyring(ctx, keyring, await unlock.passphrase()));
    return new SottoStore(backend, values, names).open();
  }
  const initialised = (await backend.get('meta:identity')) !== undefined;
  if (initialised || !unlock.create) return new SottoStore(backend).open();
  if (unlock.create === 'plain') {
    const store = new SottoStore(backend);
    await store.commit(new Tx().putRaw(KEYRING_KEY, encodeKeyring({ version: 1, kdf: 'none' })), { sync: true });
    return store.open();
  }
  if (!unlock.passphrase || !ctx) throw new PassphraseRequiredError();
  const { keyring, dataKey } = await createKeyring(ctx, await unlock.passphrase());
  const { values, names } = atRestCodecs(ctx, dataKey);
  const store = new SottoStore(backend, values, names);
  await store.commit(new Tx().putRaw(KEYRING_KEY, encodeKeyring(keyring)), { sync: true });
  return store.open();
}

/** Opens the LevelDB database at `location` (creating it if needed); DatabaseLockedError when another process holds it. */
async function openLevel(location: string): Promise<Level<string, Uint8Array>> {
  // No Snappy: an encrypted home's values are ciphertext, which does not compress, so it would cost CPU
  // for nothing; and a home kept in clear stays greppable for what it holds (tests look for plaintext in
  // the files to show what a removed member or a seized home cannot read). Blocks written compressed
  // by an earlier Sotto are still read (LevelDB marks each block).
  const db = new Level<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view', compression: false });
  try {
    await db.open();
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
    if (code === 'LEVEL_LOCKED') throw new DatabaseLockedError(location);
    throw err;
  }
  return db;
}

/**
 * What a store holds, told apart without its passphrase: an identity;
 * only what the first steps of creating one write (the schema and keyring
 * records, or nothing), which an interrupted `init` leaves behind; or other
 * records but no identity (never a half-made home: something else wrote it).
 */
export type StoreContents = 'identity' | 'setup-only' | 'other';

/** Records an interrupted creation may have written before the identity (schema, then keyring; both in clear keys). */
const SETUP_RECORDS: ReadonlySet<string> = new Set([KEY.schema, KEYRING_KEY]);

/**
 * What the existing database at `location` holds, and whether it is
 * encrypted; reads only. Throws DatabaseLockedError.
 */
export async function inspectLevelStore(location: string): Promise<{ contents: StoreContents; encrypted: boolean }> {
  const db = await openLevel(location);
  try {
    const keyring = await db.get(KEYRING_KEY);
    const encrypted = keyring !== undefined && decodeKeyring(keyring).kdf !== 'none';
    if ((await db.get(KEY.identity)) !== undefined) return { contents: 'identity', encrypted };
    for await (const key of db.keys()) if (!SETUP_RECORDS.has(key)) return { contents: 'other', encrypted };
    return { contents: 'setup-only', encrypted };
  } finally {
    await db.close();
  }
}

/** Whether the database at `location` holds an identity, and whether it is encrypted, without writing anything. */
export async function probeLevelStore(location: string): Promise<{ initialised: boolean; encrypted: boolean }> {
  const { contents, encrypted } = await inspectLevelStore(location);
  return { initialised: contents === 'identity', encrypted };
}

/** Opens (creating if needed) the store at `location`, unlocked (`ctx` is needed for an encrypted home). */
export async function openLevelStore(location: string, ctx?: CryptoContext, unlock: Unlock = {}): Promise<SottoStore> {
  const db = await openLevel(location);
  try {
    return await unlockStore(levelBackend(db as never), ctx, unlock);
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** The home is kept in clear (created with --no-passphrase): there is no passphrase to change. */
export class NotEncryptedError extends SottoError {
  override readonly name = 'NotEncryptedError';
  constructor() {
    super('this home is not encrypted at rest (it was created with --no-passphrase)');
  }
}

/**
 * Changes the passphrase of the encrypted home at `location`: the data key is
 * unwrapped with the old passphrase and wrapped with the new one; no other
 * value is touched. Throws NotEncryptedError, WrongPassphraseError
 * (nothing changed), DatabaseLockedError.
 */
export async function changePassphrase(location: string, ctx: CryptoContext, oldPassphrase: () => Promise<string>, nextPassphrase: () => Promise<string>): Promise<void> {
  const db = await openLevel(location);
  try {
    const raw = await db.get(KEYRING_KEY);
    const keyring = raw ? decodeKeyring(raw) : undefined;
    if (!keyring || keyring.kdf === 'none') throw new NotEncryptedError();
    // Checked before the new passphrase is asked for.
    await unlockKeyring(ctx, keyring, await oldPassphrase());
    const next = await rewrapKeyring(ctx, keyring, await oldPassphrase(), await nextPassphrase());
    await db.put(KEYRING_KEY, encodeKeyring(next), { sync: true } as object);
  } finally {
    await db.close();
  }
}
