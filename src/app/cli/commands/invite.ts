/** `sotto invite`: print this identity's signed one-line invite and its QR code. */
import type { Command } from 'commander';
import { withApi } from '../../local.ts';
import { collect, type Cli } from '../cli.ts';
import { qrLines } from '../qr.ts';
import { terminalJson } from '../../terminal-text.ts';

/** Registers `sotto invite`. */
export function registerInvite(program: Command, cli: Cli): void {
  program
    .command('invite')
    .description('print your signed one-line invite (peer id, name, addresses of the running node) and its QR code; a contact adds you with "sotto contacts add --invite INVITE"')
    .option('--address <multiaddr>', "put this address in the invite instead of the running node's (repeatable)", collect, [])
    .option('--no-qr', 'do not draw the QR code')
    .option('--json', 'print {"invite"}')
    .addHelpText(
      'after',
      '\nThe invite is public (it holds no secret) and signed: nobody can change its name or addresses.\nIt does not prove who gave it to you: compare safety numbers with "sotto verify NAME".\n\nExample:\n  $ sotto invite --no-qr\n  SOTTO:AEAAK...',
    )
    .action(async (options: { address: string[]; qr: boolean; json?: boolean }) => {
      const line = await withApi(cli.home(), cli.clock, (api) => api.invite(options.address.length > 0 ? options.address : null));
      if (line.addresses.length === 0) cli.err('sotto: the invite lists no address (no node runs here, or it listens nowhere others can reach); contacts will look you up in the DHT');
      if (options.json) return cli.out(terminalJson({ invite: line.invite }));
      cli.out(line.invite);
      if (options.qr) for (const row of await qrLines(line.invite, process.stdout.isTTY === true)) cli.out(row);
    });
}
