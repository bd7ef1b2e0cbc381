/**
 * Runs a command against a home: through the control socket of the node
 * running on it, or, when none runs, on its database directly (opened for the
 * command and closed after it). The clock and timers are created here, at
 * the edge, and injected into the library.
 */
import type { Scheduler } from '../node/core/core.ts';
import { Messenger } from '../node/messaging/messenger.ts';
import { openLevelStore } from '../node/store/level.ts';
import { messengerApi, type SottoApi } from './api.ts';
import { openHomeFiles } from './home-files.ts';
import { nodeCryptoContext } from './context.ts';
import { controlClient, nodeIsRunning } from './control/client.ts';
import { secureHome, type HomePaths } from './home.ts';
import { requireIdentity } from './home-state.ts';
import { retryWrongPassphrase } from './passphrase.ts';

/** Real timers. */
export const realScheduler: Scheduler = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Calls `run` with the API of `home`; `clock` is used when the database is
 * opened here, with the home's passphrase (asked again after a wrong one
 * typed at the prompt: retryWrongPassphrase). Throws UnsafeHomeError (before
 * the home's socket or database is touched), NotInitialisedError (naming
 * the home), HalfMadeHomeError or UnknownHomeDatabaseError for a home
 * without an identity (nothing written), and the store's unlock errors.
 */
export async function withApi<T>(home: HomePaths, clock: () => number, run: (api: SottoApi) => Promise<T>): Promise<T> {
  await secureHome(home);
  if (await nodeIsRunning(home.socket)) return run(controlClient(home.socket));
  await requireIdentity(home);
  const ctx = await nodeCryptoContext(clock);
  const store = await retryWrongPassphrase((passphrase) => openLevelStore(home.database, ctx, { passphrase }));
  try {
    const messenger = await Messenger.open({ ctx, store, scheduler: realScheduler });
    const files = await openHomeFiles(home, { ctx, store, messenger, scheduler: realScheduler });
    try {
      return await run(messengerApi(messenger, ctx.primitives, () => [], undefined, undefined, files.service.fileState, files.api));
    } finally {
      await files.close();
    }
  } finally {
    await store.close();
  }
}
