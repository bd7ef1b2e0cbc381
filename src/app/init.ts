/**
 * `sotto init`: creates the identity of a home. Never overwrites one: a home
 * that has an identity (or a running node) answers AlreadyInitialisedError.
 */
import { AlreadyInitialisedError } from '../node/errors.ts';
import { Messenger } from '../node/messenger.ts';
import { openLevelStore } from '../node/store/level.ts';
import { nodeCryptoContext } from './context.ts';
import { controlClient, nodeIsRunning } from './control/client.ts';
import type { HomePaths } from './home.ts';

/** Creates the identity; resolves to its peer id. */
export async function initHome(home: HomePaths, name: string, clock: () => number): Promise<string> {
  if (await nodeIsRunning(home.socket)) throw new AlreadyInitialisedError((await controlClient(home.socket).id()).peerId);
  const ctx = await nodeCryptoContext(clock);
  const store = await openLevelStore(home.database);
  try {
    return (await Messenger.initialise(store, ctx, { name })).peerId;
  } finally {
    await store.close();
  }
}
