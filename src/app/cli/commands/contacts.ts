/** `sotto contacts add|list`. */
import type { Command } from 'commander';
import { SottoError } from '../../../crypto/errors.ts';
import { withApi } from '../../local.ts';
import { print, type Cli } from '../cli.ts';
import { displayName, lookalikeNote, lookalikeWarning } from '../../display-name.ts';
import type { ContactLine } from '../../api.ts';

/** `contacts add` needs NAME and PEERID, or --invite (and at most a NAME). */
export class ContactsAddUsageError extends SottoError {
  override readonly name = 'ContactsAddUsageError';
  constructor() {
    super('contacts add takes NAME PEERID, or --invite INVITE [NAME]');
  }
}

/** One line of `contacts list`: name, peer id, then the marks that apply, tab-separated. */
function contactListLine(c: ContactLine): string {
  const marks = [c.added ? '' : '(not added: wrote to you first)', c.verified ? 'verified' : '', c.confusableWith === undefined ? '' : `(${lookalikeNote(c.confusableWith)})`].filter((m) => m !== '');
  return [displayName(c.name), c.peerId, ...marks].join('\t');
}

/** Registers `sotto contacts add|list`. */
export function registerContacts(program: Command, cli: Cli): void {
  const contacts = program
    .command('contacts')
    .description('manage contacts: add (by peer id or invite), list')
    .addHelpText('after', '\nExamples:\n  $ sotto contacts add --invite SOTTO:AEAAK...\n  $ sotto contacts add bob 12D3KooW...\n  $ sotto contacts list --json');

  contacts
    .command('add')
    .description('add a contact by peer id, or from their invite (--invite)')
    .argument('[name]', 'the name you give them (with --invite: the name in the invite unless given)')
    .argument('[peerId]', 'their peer id (from "sotto id"); not with --invite')
    .option('--invite <invite>', 'their invite (from "sotto invite"): adds them, unverified, with the addresses it lists')
    .option('--accept-new-key', 'accept that a known contact now has another identity key')
    .option('--json', 'print the contact: {"name","peerId","verified","added","online","unread"}, with "confusableWith" when the name looks like another contact\'s')
    .addHelpText(
      'after',
      '\nThe name is stored in Unicode NFC, and the output shows it as stored. A name that looks like\nanother contact\'s (the same UTS #39 skeleton) is added, with a warning on stderr.\n\nExamples:\n  $ sotto contacts add bob 12D3KooW...\n  added bob 12D3KooW...\n  $ sotto contacts add --invite SOTTO:AEAAK...\n  added carol 12D3KooW...',
    )
    .action(async (name: string | undefined, peerId: string | undefined, options: { invite?: string; acceptNewKey?: boolean; json?: boolean }) => {
      const accept = options.acceptNewKey ?? false;
      const invite = options.invite;
      if (invite === undefined ? name === undefined || peerId === undefined : peerId !== undefined) throw new ContactsAddUsageError();
      const contact = await withApi(cli.home(), cli.clock, (api) => (invite === undefined ? api.addContact(name!, peerId!, accept) : api.addInvite(invite, name ?? null, accept)));
      if (contact.confusableWith !== undefined) cli.err(`sotto: warning: ${lookalikeWarning(contact.name, contact.confusableWith)}`);
      print(cli, contact, options.json, () => [`added ${displayName(contact.name)} ${contact.peerId}`]);
    });

  contacts
    .command('list')
    .description('list contacts (and peers that wrote to you before you added them)')
    .option('--json', 'print [{"name","peerId","verified","added","online","unread"}], with "keyChangedAt" and "confusableWith" when set')
    .addHelpText('after', '\nNames show control, invisible and bidi characters as markers such as ⟨U+200B⟩;\na name that looks like another contact\'s is marked (looks like "NAME").\n\nExample:\n  $ sotto contacts list\n  bob\t12D3KooW...\tverified')
    .action(async (options: { json?: boolean }) => {
      const list = await withApi(cli.home(), cli.clock, (api) => api.listContacts());
      print(cli, list, options.json, () => list.map(contactListLine));
    });
}
