/** `sotto init`: create this home's identity. */
import type { Command } from 'commander';
import { ensureHome } from '../../home.ts';
import { initHome } from '../../init.ts';
import { PASSPHRASE_ENV } from '../../passphrase.ts';
import type { Cli } from '../cli.ts';

export function registerInit(program: Command, cli: Cli): void {
  program
    .command('init')
    .description("create this home's identity (never overwrites one); prints the peer id")
    .option('--name <name>', 'your name, as contacts will see it', '')
    .option('--no-passphrase', 'do not encrypt this home at rest (anyone who reads its files reads your messages)')
    .addHelpText('after', `\nThe home is encrypted at rest with a passphrase you type (or $${PASSPHRASE_ENV}).\n\nExamples:\n  $ sotto init --name alice\n  new passphrase:\n  repeat it:\n  12D3KooW...\n  $ sotto --home /tmp/bob init --name bob --no-passphrase`)
    .action(async (options: { name: string; passphrase: boolean }) => {
      const paths = cli.home();
      await ensureHome(paths);
      const peerId = await initHome(paths, options.name, cli.clock, options.passphrase);
      if (!options.passphrase) cli.err('sotto: this home is NOT encrypted at rest (--no-passphrase)');
      cli.out(peerId);
    });
}
