/**
 * The `sotto` command. Thin: it parses arguments, calls the library through
 * a SottoApi (the running node's control socket, or the database directly),
 * and prints. Each command lives in ./commands/. Output rules (a contract
 * scripts rely on; see README):
 * - human output on stdout, one fact per line; `--json` prints exactly one
 *   JSON value on stdout; progress and notices go to stderr;
 * - errors: "sotto: <what went wrong>" and "hint: <what to do>" on stderr,
 *   exit status 1.
 */
import { Command } from 'commander';
import { SOTTO_VERSION } from '../version.ts';
import { HOME_ENV } from '../home.ts';
import { createCli } from './cli.ts';
import { reportError } from './errors.ts';
import { registerBackground } from './commands/background.ts';
import { registerBackup } from './commands/backup.ts';
import { registerChat } from './commands/chat.ts';
import { registerContacts } from './commands/contacts.ts';
import { registerId } from './commands/id.ts';
import { registerInit } from './commands/init.ts';
import { registerInvite } from './commands/invite.ts';
import { registerMessages } from './commands/messages.ts';
import { registerPassphrase } from './commands/passphrase.ts';
import { registerSelftest } from './commands/selftest.ts';
import { registerStart } from './commands/start.ts';
import { registerVerify } from './commands/verify.ts';

const program = new Command()
  .name('sotto')
  .description('Sotto: a peer-to-peer messenger with no server anywhere.')
  .version(SOTTO_VERSION)
  .option('--home <dir>', `the Sotto home folder (default: $${HOME_ENV}, else ~/.sotto)`)
  .showHelpAfterError('(run "sotto --help" for usage)')
  .addHelpText(
    'after',
    `
Examples:
  $ sotto init --name alice
  $ sotto start --listen /ip4/0.0.0.0/tcp/4001
  $ sotto contacts add bob 12D3KooW...
  $ sotto contacts add --invite SOTTO:AEAAK...
  $ sotto verify bob
  $ sotto send bob "hello"
  $ sotto history bob --json`,
  );

const cli = createCli(program);
registerInit(program, cli);
registerId(program, cli);
registerStart(program, cli);
registerBackground(program, cli);
registerContacts(program, cli);
registerInvite(program, cli);
registerVerify(program, cli);
registerMessages(program, cli);
registerPassphrase(program, cli);
registerBackup(program, cli);
registerSelftest(program, cli);
registerChat(program, cli);

program.parseAsync(process.argv).catch((err: unknown) => {
  reportError(err, (line) => console.error(line));
  process.exitCode = 1;
});
