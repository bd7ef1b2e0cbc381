/**
 * `sotto init`: creates the identity of a home. Never overwrites one: a home
 * that has an identity (or a running node) answers AlreadyInitialisedError.
 */
import { checkContactName } from '../node/contacts/names.ts';
import { AlreadyInitialisedError } from '../node/errors.ts';
import { Messenger } from '../node/messaging/messenger.ts';
import { openLevelStore, probeLevelStore } from '../node/store/level.ts';
import { peerIdOfIdentity } from '../node/encoding/peer-id.ts';
import { nodeCryptoContext } from './context.ts';
import { controlClient, nodeIsRunning } from './control/client.ts';
import { ensureHome, type HomePaths } from './home.ts';
import { newPassphrase, PASSPHRASE_ENV } from './passphrase.ts';

/**
 * Creates the home if needed (private: ensureHome) and its identity,
 * encrypted at rest with a new passphrase (from `passphrase`, by default
 * $SOTTO_PASSPHRASE or typed twice) unless `encrypt` is false
 * (--no-passphrase); resolves to its peer id. Throws UnsafeHomeError (nothing
 * touched), AlreadyInitialisedError. A name that is neither '' nor a valid contact
 * name is refused (InvalidContactNameError) before anything is asked or
 * written.
 */
export async function initHome(home: HomePaths, name: string, clock: () => number, encrypt: boolean, passphrase: () => Promise<string> = newPassphrase(PASSPHRASE_ENV)): Promise<string> {
  if (name !== '') checkContactName(name);
  await ensureHome(home);
  if (await nodeIsRunning(home.socket)) throw new AlreadyInitialisedError((await controlClient(home.socket).id()).peerId);
  const ctx = await nodeCryptoContext(clock);
  // An initialised home is refused before any passphrase is asked for.
  const probe = await probeLevelStore(home.database);
  if (probe.initialised && probe.encrypted) throw new AlreadyInitialisedError();
  if (probe.initialised) {
    const plain = await openLevelStore(home.database, ctx);
    const existing = await plain.getIdentity(ctx).finally(() => plain.close());
    throw new AlreadyInitialisedError(existing ? peerIdOfIdentity(existing.public) : undefined);
  }
  const unlock = encrypt ? { create: 'encrypted' as const, passphrase } : { create: 'plain' as const };
  const store = await openLevelStore(home.database, ctx, unlock);
  try {
    return (await Messenger.initialise(store, ctx, { name })).peerId;
  } finally {
    await store.close();
  }
}
