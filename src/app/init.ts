/**
 * `sotto init`: creates the identity of a home. Never overwrites one: a home
 * that has an identity (or a running node) answers AlreadyInitialisedError.
 * The passphrase is asked before anything is created, and the database is
 * made atomically (./create-home.ts), so that no mistake or interruption
 * leaves a half-made home behind. `sotto import` creates a home the same way
 * (./backup.ts).
 */
import { checkContactName } from '../node/contacts/names.ts';
import { AlreadyInitialisedError } from '../node/errors.ts';
import { Messenger } from '../node/messaging/messenger.ts';
import { openLevelStore } from '../node/store/level.ts';
import type { SottoStore } from '../node/store/store.ts';
import { peerIdOfIdentity } from '../node/encoding/peer-id.ts';
import type { CryptoContext } from '../crypto/context.ts';
import { nodeCryptoContext } from './context.ts';
import { controlClient, nodeIsRunning } from './control/client.ts';
import { createHomeDatabase } from './create-home.ts';
import { checkHome, type HomePaths } from './home.ts';
import { HalfMadeHomeError, homeState, UnknownHomeDatabaseError } from './home-state.ts';
import { newPassphrase, PASSPHRASE_ENV } from './passphrase.ts';

/** Options of {@link initHome}. */
export interface InitOptions {
  /**
   * Whether a half-made home (HalfMadeHomeError) is deleted and made again
   * (a home with an identity never is): true, or a question asked only when
   * the home is half-made. False by default.
   */
  readonly startOver?: boolean | (() => Promise<boolean>);
}

/** The peer id of the plain (unencrypted) home's identity, to name it in AlreadyInitialisedError. */
async function plainPeerId(home: HomePaths, clock: () => number): Promise<string | undefined> {
  const ctx = await nodeCryptoContext(clock);
  const plain = await openLevelStore(home.database, ctx);
  const existing = await plain.getIdentity(ctx).finally(() => plain.close());
  return existing ? peerIdOfIdentity(existing.public) : undefined;
}

/**
 * Checks that a new identity may be created in `home`, without asking for
 * any passphrase and without writing; resolves to whether a half-made
 * database is to be replaced. Throws UnsafeHomeError, AlreadyInitialisedError
 * (a running node, or an identity: named by its peer id when it can be read
 * without a passphrase), UnknownHomeDatabaseError, HalfMadeHomeError (unless
 * `startOver` says yes).
 */
export async function refuseExistingIdentity(home: HomePaths, clock: () => number, startOver: InitOptions['startOver'] = false): Promise<{ readonly replaceHalfMade: boolean }> {
  await checkHome(home);
  if (await nodeIsRunning(home.socket)) throw new AlreadyInitialisedError((await controlClient(home.socket).id()).peerId);
  const state = await homeState(home);
  if (state.kind === 'identity') throw new AlreadyInitialisedError(state.encrypted ? undefined : await plainPeerId(home, clock));
  if (state.kind === 'unknown') throw new UnknownHomeDatabaseError(home.database);
  if (state.kind === 'half-made' && !(typeof startOver === 'function' ? await startOver() : startOver)) throw new HalfMadeHomeError(home.database);
  return { replaceHalfMade: state.kind === 'half-made' };
}

/**
 * Creates the store of `home` atomically (createHomeDatabase), encrypted
 * with `passphrase` or, when it is undefined, in clear by choice; `fill`
 * writes into it before it takes its place. Throws what createHomeDatabase
 * and `fill` throw, with nothing left at the home.
 */
export function createHomeStore<T>(home: HomePaths, ctx: CryptoContext, passphrase: string | undefined, fill: (store: SottoStore) => Promise<T>, replaceHalfMade: boolean): Promise<T> {
  const unlock = passphrase === undefined ? { create: 'plain' as const } : { create: 'encrypted' as const, passphrase: () => Promise.resolve(passphrase) };
  return createHomeDatabase(
    home,
    async (database) => {
      const store = await openLevelStore(database, ctx, unlock);
      try {
        return await fill(store);
      } finally {
        await store.close();
      }
    },
    { startOver: replaceHalfMade },
  );
}

/**
 * Creates the identity of `home` (and the home, private, if needed),
 * encrypted at rest with a new passphrase (from `passphrase`, by default
 * $SOTTO_PASSPHRASE or typed twice) unless `encrypt` is false
 * (--no-passphrase); resolves to its peer id. A name that is neither '' nor
 * a valid contact name is refused (InvalidContactNameError) and the home is
 * checked (refuseExistingIdentity) before anything is asked; nothing is
 * created until the passphrase is chosen, and then atomically. Throws
 * UnsafeHomeError (nothing touched), AlreadyInitialisedError,
 * HalfMadeHomeError (unless `startOver` says yes), UnknownHomeDatabaseError,
 * the passphrase's errors (WeakPassphraseError, PassphraseMismatchError,
 * CancelledError: nothing created).
 */
export async function initHome(
  home: HomePaths,
  name: string,
  clock: () => number,
  encrypt: boolean,
  passphrase: () => Promise<string> = newPassphrase(PASSPHRASE_ENV),
  options: InitOptions = {},
): Promise<string> {
  if (name !== '') checkContactName(name);
  const { replaceHalfMade } = await refuseExistingIdentity(home, clock, options.startOver);
  // Asked before anything is created: a mistake or Ctrl-C here leaves the home as it was.
  const chosen = encrypt ? await passphrase() : undefined;
  const ctx = await nodeCryptoContext(clock);
  return createHomeStore(home, ctx, chosen, async (store) => (await Messenger.initialise(store, ctx, { name })).peerId, replaceHalfMade);
}
