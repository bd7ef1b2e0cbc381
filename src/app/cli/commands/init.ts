/** `sotto init`: create this home's identity. */
import type { Command } from 'commander';
import { askToStartOver } from '../../first-run.ts';
import { initHome } from '../../init.ts';
import { PASSPHRASE_ENV } from '../../passphrase.ts';
import type { Cli } from '../cli.ts';

export function registerInit(program: Command, cli: Cli): void {
  program
    .command('init')
    .description("create this home's identity (never overwrites one); prints the peer id")
    .option('--name <name>', 'your name, as contacts will see it', '')
    .option('--no-passphrase', 'do not encrypt this home at rest (anyone who reads its files reads your messages)')
    .option('--start-over', 'the home was left half-made by a first run that stopped (it holds no identity): delete it and create the identity; a home with an identity is never deleted')
    .addHelpText(
      'after',
      `\nThe home is encrypted at rest with a passphrase you type (or $${PASSPHRASE_ENV}). Nothing is created
before the passphrase is chosen, and the home appears only once its identity is complete.
On a terminal, a half-made home is offered to start over; scripts pass --start-over.

Examples:
  $ sotto init --name alice
  new passphrase:
  repeat it:
  12D3KooW...
  $ sotto --home /tmp/bob init --name bob --no-passphrase
  $ sotto --home /tmp/carol init --name carol --start-over`,
    )
    .action(async (options: { name: string; passphrase: boolean; startOver?: boolean }) => {
      const home = cli.home();
      const ask = (): Promise<boolean> => (process.stdin.isTTY ? askToStartOver(home, (line) => cli.err(line)) : Promise.resolve(false));
      const peerId = await initHome(home, options.name, cli.clock, options.passphrase, undefined, { startOver: options.startOver === true || ask });
      if (!options.passphrase) cli.err('sotto: this home is NOT encrypted at rest (--no-passphrase)');
      cli.out(peerId);
    });
}
