/**
 * `sotto verify NAME`: show the safety number with a contact (digits and a
 * QR code), and once both people confirm it matches on both devices, mark
 * the contact verified. `--unverify` clears the mark.
 */
import type { Command } from 'commander';
import { SottoError } from '../../../crypto/errors.ts';
import { withApi } from '../../local.ts';
import { confirm } from '../../prompt.ts';
import type { Cli } from '../cli.ts';
import { qrLines } from '../qr.ts';
import { displayName } from '../../display-name.ts';
import { terminalJson } from '../../terminal-text.ts';

/** Groups of five digits per printed line: 60 digits make three lines, as in Signal. */
const GROUPS_PER_LINE = 4;

/** Verification needs a confirmation and there is no terminal to ask on (and no --yes). */
export class ConfirmationRequiredError extends SottoError {
  override readonly name = 'ConfirmationRequiredError';
  constructor(readonly contact: string) {
    super(`cannot ask whether the safety numbers with "${contact}" match: not a terminal; nothing was marked`);
  }
}

/** The user did not confirm that the safety numbers match. */
export class VerificationDeclinedError extends SottoError {
  override readonly name = 'VerificationDeclinedError';
  constructor(readonly contact: string) {
    super(`not confirmed: "${contact}" stays unverified`);
  }
}

/** "12345 67890 ..." (twelve groups) as three lines of four groups. */
function numberLines(safetyNumber: string): string[] {
  const groups = safetyNumber.split(' ');
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += GROUPS_PER_LINE) lines.push(groups.slice(i, i + GROUPS_PER_LINE).join(' '));
  return lines;
}

/** Registers `sotto verify NAME`. */
export function registerVerify(program: Command, cli: Cli): void {
  program
    .command('verify')
    .description('show the safety number with a contact and its QR code; once it matches on both devices, mark the contact verified')
    .argument('<name>', 'the contact')
    .option('--yes', 'the numbers match: mark verified without asking (for scripts)')
    .option('--unverify', 'mark the contact not verified')
    .option('--no-qr', 'do not draw the QR code')
    .option('--json', 'print {"name","safetyNumber","verified"}')
    .addHelpText(
      'after',
      '\nBoth of you run "sotto verify" and compare the numbers (read them aloud, or scan one QR code with the other device).\nThey match only if nobody sits between you. A new identity key for the contact makes it unverified again.\n\nExample:\n  $ sotto verify bob\n  safety number with bob:\n  12345 67890 12345 67890\n  ...\n  Do the numbers match on both devices? [y/N] y\n  bob is verified',
    )
    .action(async (name: string, options: { yes?: boolean; unverify?: boolean; qr: boolean; json?: boolean }) => {
      await withApi(cli.home(), cli.clock, async (api) => {
        const number = await api.safetyNumber(name);
        if (options.unverify) {
          const contact = await api.setVerified(name, number.peerId, false);
          if (options.json) return cli.out(terminalJson({ name: contact.name, safetyNumber: number.safetyNumber, verified: contact.verified }));
          return cli.out(`${displayName(contact.name)} is not verified`);
        }
        if (!options.json) {
          cli.out(`safety number with ${displayName(number.name)}:`);
          for (const line of numberLines(number.safetyNumber)) cli.out(line);
          if (options.qr) for (const row of await qrLines(number.qrPayload, process.stdout.isTTY === true)) cli.out(row);
          if (number.verified) cli.out(`${displayName(number.name)} is verified already`);
        }
        if (!options.yes) {
          if (!process.stdin.isTTY) throw new ConfirmationRequiredError(name);
          if (!(await confirm('Do the numbers match on both devices? [y/N] '))) throw new VerificationDeclinedError(name);
        }
        const contact = await api.setVerified(name, number.peerId, true);
        if (options.json) cli.out(terminalJson({ name: contact.name, safetyNumber: number.safetyNumber, verified: contact.verified }));
        else cli.out(`${displayName(contact.name)} is verified`);
      });
    });
}
