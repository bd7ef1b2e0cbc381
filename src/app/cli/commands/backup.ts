/** `sotto export FILE` and `sotto import FILE`: an encrypted archive of this home, and a home restored from one. */
import type { Command } from 'commander';
import { BACKUP_PASSPHRASE_ENV, exportHome, importHome } from '../../backup.ts';
import { requireIdentity } from '../../home-state.ts';
import { count } from '../../plural.ts';
import { PASSPHRASE_ENV, retryWrongPassphrase } from '../../passphrase.ts';
import { print, type Cli } from '../cli.ts';

/** Printed on stderr by both commands: the one rule a restored identity must keep. */
const ONE_MACHINE_WARNING = [
  'sotto: run this identity on ONE machine only. Its sessions (ratchet states) would fork if two',
  'sotto: copies ran: messages that reach one copy cannot be decrypted by the other. Stop the old',
  'sotto: machine for good before the restored one starts.',
];

/** "3 contacts, 1 session, 120 messages": what an archive holds. */
export function archiveCounts(summary: { readonly contacts: number; readonly sessions: number; readonly messages: number }): string {
  return `${count(summary.contacts, 'contact')}, ${count(summary.sessions, 'session')}, ${count(summary.messages, 'message')}`;
}

export function registerBackup(program: Command, cli: Cli): void {
  program
    .command('export')
    .description('write an encrypted archive of this home (identity, contacts, sessions, history); the node must be stopped')
    .argument('<file>', 'the archive to write (mode 0600; never overwritten without --force)')
    .option('--force', 'replace the file if it exists')
    .option('--json', 'print {"file","bytes","contacts","sessions","messages"}')
    .addHelpText(
      'after',
      `\nThe archive has its own passphrase: $${BACKUP_PASSPHRASE_ENV}, else asked for twice. The home's passphrase comes from $${PASSPHRASE_ENV}, else it is asked for.\nThe archive holds your private keys: keep it as safe as the home. Mail this node holds for others as a mailbox is not included.\n\nExamples:\n  $ sotto export ~/alice.sottobak\n  passphrase:\n  new archive passphrase:\n  repeat it:\n  exported 3 contacts, 2 sessions, 120 messages to /home/alice/alice.sottobak\n  $ SOTTO_BACKUP_PASSPHRASE=... sotto export backup.sottobak --force --json`,
    )
    .action(async (file: string, options: { force?: boolean; json?: boolean }) => {
      const home = cli.home();
      await requireIdentity(home);
      // exportHome asks for the home's passphrase itself: a wrong one typed at the prompt is asked again.
      const summary = await retryWrongPassphrase(() => exportHome(home, file, { force: options.force ?? false, clock: cli.clock }));
      print(cli, summary, options.json, () => [`exported ${archiveCounts(summary)} to ${summary.file}`]);
      for (const line of ONE_MACHINE_WARNING) cli.err(line);
    });

  program
    .command('import')
    .description('restore an archive made by "sotto export" into a home without an identity; prints the peer id')
    .argument('<file>', 'the archive to read')
    .option('--no-passphrase', 'do not encrypt the new home at rest (anyone who reads its files reads your messages)')
    .option('--start-over', 'the home was left half-made by a first run that stopped (it holds no identity): replace it; a home with an identity is never deleted')
    .option('--json', 'print {"peerId","createdAt","contacts","sessions","messages"}')
    .addHelpText(
      'after',
      `\nThe archive's passphrase comes from $${BACKUP_PASSPHRASE_ENV}, else it is asked for; the new home is encrypted with a new passphrase ($${PASSPHRASE_ENV}, else asked for twice). Nothing is written unless the whole archive authenticates and decodes.\nRun the restored identity on one machine only: stop the old one for good.\n\nExamples:\n  $ sotto --home ~/.sotto import ~/alice.sottobak\n  archive passphrase:\n  new passphrase:\n  repeat it:\n  12D3KooW...\n  $ sotto --home /tmp/restored import backup.sottobak --no-passphrase`,
    )
    .action(async (file: string, options: { passphrase: boolean; startOver?: boolean; json?: boolean }) => {
      const summary = await importHome(cli.home(), file, { encrypt: options.passphrase, startOver: options.startOver === true, clock: cli.clock });
      print(cli, summary, options.json, () => [summary.peerId]);
      cli.err(`sotto: restored ${archiveCounts(summary)} from an archive made ${new Date(summary.createdAt).toISOString()}`);
      if (!options.passphrase) cli.err('sotto: this home is NOT encrypted at rest (--no-passphrase)');
      for (const line of ONE_MACHINE_WARNING) cli.err(line);
    });
}
