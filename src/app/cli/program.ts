/**
 * The `sotto` command tree: the global options and help, and every command
 * module of ./commands/ registered on it (./main.ts parses with it; tests
 * read its help).
 */
import { Command } from 'commander';
import { SOTTO_VERSION } from '../version.ts';
import { HOME_ENV, secureHome } from '../home.ts';
import { createCli, type Cli } from './cli.ts';
import { routeUsageErrors } from './usage.ts';
import { registerBackground } from './commands/background.ts';
import { registerBackup } from './commands/backup.ts';
import { registerChat } from './commands/chat.ts';
import { registerConfig } from './commands/config.ts';
import { registerFirstRun } from './commands/first-run.ts';
import { registerContacts } from './commands/contacts.ts';
import { registerDelete } from './commands/delete.ts';
import { registerRequests } from './commands/requests.ts';
import { registerId } from './commands/id.ts';
import { registerInit } from './commands/init.ts';
import { registerInvite } from './commands/invite.ts';
import { registerMessages } from './commands/messages.ts';
import { registerGroup } from './commands/group.ts';
import { registerPassphrase } from './commands/passphrase.ts';
import { registerSelftest } from './commands/selftest.ts';
import { registerStart } from './commands/start.ts';
import { registerSwarmKey } from './commands/swarm-key.ts';
import { registerVerify } from './commands/verify.ts';

/**
 * Builds the `sotto` program with every command; `makeCli` makes the context
 * they get (the home, clock and output; tests give one with a home of their own).
 */
export function buildProgram(makeCli: (program: Command) => Cli = createCli): Command {
  const program = new Command()
    .name('sotto')
    .description('Sotto: a peer-to-peer messenger with no server anywhere.')
    .version(SOTTO_VERSION)
    .option('--home <dir>', `the Sotto home folder (default: $${HOME_ENV}, else ~/.sotto)`)
    .addHelpText(
      'after',
      `
Run with no command on a terminal: create an identity if there is none, start
the node with LAN discovery and open the chat.

Examples:
  $ sotto                                  first run, then the chat
  $ sotto invite                           your invite, to give to a contact
  $ sotto contacts add --invite SOTTO:AEAAK...
  $ sotto verify bob                       compare safety numbers, mark verified
  $ sotto start --detach && sotto status   run the node in the background
  $ sotto config list                      the settings kept in the home
  $ sotto send bob "hello"
  $ sotto history bob --json
  $ sotto export backup.sotto`,
    );

  const cli = makeCli(program);
  // Every command: an unsafe home is refused before anything in it is read or
  // written, and whatever a command creates in the home is private.
  program.hook('preAction', () => secureHome(cli.home()));
  registerInit(program, cli);
  registerId(program, cli);
  registerStart(program, cli);
  registerBackground(program, cli);
  registerConfig(program, cli);
  registerContacts(program, cli);
  registerInvite(program, cli);
  registerVerify(program, cli);
  registerMessages(program, cli);
  registerGroup(program, cli);
  registerRequests(program, cli);
  registerDelete(program, cli);
  registerPassphrase(program, cli);
  registerBackup(program, cli);
  registerSelftest(program, cli);
  registerSwarmKey(program, cli);
  registerChat(program, cli);
  registerFirstRun(program, cli);
  routeUsageErrors(program);
  return program;
}
