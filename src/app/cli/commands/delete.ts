/** `sotto delete NAME [--message ID]`: delete a conversation, or one message of it, on this device only. */
import type { Command } from 'commander';
import { withApi } from '../../local.ts';
import { count } from '../../plural.ts';
import { print, type Cli } from '../cli.ts';

export function registerDelete(program: Command, cli: Cli): void {
  program
    .command('delete')
    .description('delete a conversation (the contact stays), or one message with --message, on this device only')
    .argument('<name>', 'the contact')
    .option('--message <id>', 'only this message (its id from "sotto history NAME --json")')
    .option('--json', 'print {"deleted"}')
    .addHelpText('after', '\nExamples:\n  $ sotto delete bob\n  deleted 12 messages\n  $ sotto delete bob --message 3f9a...\n  deleted 1 message')
    .action(async (name: string, options: { message?: string; json?: boolean }) => {
      const result = await withApi(cli.home(), cli.clock, (api) => api.deleteMessages(name, options.message ?? null));
      print(cli, result, options.json, () => [`deleted ${count(result.deleted, 'message')}`]);
    });
}
