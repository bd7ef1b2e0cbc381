/** `sotto passphrase`: change the passphrase that encrypts the home. */
import type { Command } from 'commander';
import { nodeCryptoContext } from '../../context.ts';
import { nodeIsRunning } from '../../control/client.ts';
import { requireIdentity } from '../../home-state.ts';
import { newPassphrase, NEW_PASSPHRASE_ENV, PASSPHRASE_ENV, retryWrongPassphrase } from '../../passphrase.ts';
import { NodeAlreadyRunningError } from '../../run-node.ts';
import { changePassphrase } from '../../../node/store/level.ts';
import type { Cli } from '../cli.ts';

export function registerPassphrase(program: Command, cli: Cli): void {
  program
    .command('passphrase')
    .description('change the passphrase that encrypts this home (nothing else is re-encrypted); the node must be stopped')
    .addHelpText('after', `\nReads the current passphrase from $${PASSPHRASE_ENV} and the new one from $${NEW_PASSPHRASE_ENV}, else asks for both.\n\nExample:\n  $ sotto passphrase\n  passphrase:\n  new passphrase:\n  repeat it:\n  passphrase changed`)
    .action(async () => {
      const paths = cli.home();
      if (await nodeIsRunning(paths.socket)) throw new NodeAlreadyRunningError();
      await requireIdentity(paths);
      const ctx = await nodeCryptoContext(cli.clock);
      // The current passphrase is checked before the new one is asked for: a wrong one typed at the prompt is asked again.
      await retryWrongPassphrase((passphrase) => changePassphrase(paths.database, ctx, passphrase, newPassphrase(NEW_PASSPHRASE_ENV)));
      cli.out('passphrase changed');
    });
}
