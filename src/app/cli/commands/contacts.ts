/** `sotto contacts add|list`. */
import type { Command } from 'commander';
import { withApi } from '../../local.ts';
import { print, type Cli } from '../cli.ts';

export function registerContacts(program: Command, cli: Cli): void {
  const contacts = program.command('contacts').description('manage contacts');

  contacts
    .command('add')
    .description('add a contact by peer id')
    .argument('<name>', 'the name you give them')
    .argument('<peerId>', 'their peer id (from "sotto id")')
    .option('--accept-new-key', 'accept that a known contact now has another identity key')
    .addHelpText('after', '\nExample:\n  $ sotto contacts add bob 12D3KooW...\n  added bob 12D3KooW...')
    .action(async (name: string, peerId: string, options: { acceptNewKey?: boolean }) => {
      const contact = await withApi(cli.home(), cli.clock, (api) => api.addContact(name, peerId, options.acceptNewKey ?? false));
      cli.out(`added ${contact.name} ${contact.peerId}`);
    });

  contacts
    .command('list')
    .description('list contacts (and peers that wrote to you before you added them)')
    .option('--json', 'print [{"name","peerId","verified","added"}]')
    .addHelpText('after', '\nExample:\n  $ sotto contacts list\n  bob\t12D3KooW...\tverified')
    .action(async (options: { json?: boolean }) => {
      const list = await withApi(cli.home(), cli.clock, (api) => api.listContacts());
      print(cli, list, options.json, () => list.map((c) => `${c.name}\t${c.peerId}${c.added ? '' : '\t(not added: wrote to you first)'}${c.verified ? '\tverified' : ''}`));
    });
}
