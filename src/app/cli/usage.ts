/**
 * Usage errors (an unknown command or option, a missing or extra
 * argument) are errors like any other: one line "sotto: <what went wrong>"
 * and one line "hint: run "sotto COMMAND --help" for usage" on stderr, exit
 * status 1 (./errors.ts prints them). Commander itself prints nothing for
 * them; help and --version still print and end the command as commander
 * does.
 */
import type { Command, CommanderError } from 'commander';
import { SottoError } from '../../crypto/errors.ts';

/** Commander's exits that are not errors, or print their own text: help (`--help`, or a bare parent command on stderr) and `--version`. */
const OWN_OUTPUT = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);
/** The prefix commander puts before each of its error messages. */
const COMMANDER_PREFIX = /^error: /;

/** The command line is not one `sotto` understands; `command` is the command's path ("send", "contacts add"), '' for `sotto` itself. */
export class UsageError extends SottoError {
  override readonly name = 'UsageError';
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message);
  }
}

/** What to do about a usage error: read the help of the command it concerns. */
export function usageHint(err: UsageError): string {
  return `run "sotto${err.command === '' ? '' : ` ${err.command}`} --help" for usage`;
}

/** The words that run `command` after "sotto" ("contacts add"; '' for the program). */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** Turns commander's error on `command` into a UsageError; lets help and --version through. */
function usageErrorOf(command: Command, err: CommanderError): Error {
  if (OWN_OUTPUT.has(err.code)) return err;
  // Commander's suggestion ("(Did you mean init?)") comes on a line of its own.
  return new UsageError(commandPath(command), err.message.replace(COMMANDER_PREFIX, '').replace(/\s*\n\s*/g, ' ').trim());
}

/**
 * Makes every command of `program` (call it once all are registered) throw
 * a UsageError instead of printing commander's error and exiting; help and
 * --version throw commander's own CommanderError, with its exit code,
 * after printing.
 */
export function routeUsageErrors(program: Command): void {
  const visit = (command: Command): void => {
    command.configureOutput({ outputError: () => {} });
    command.exitOverride((err) => {
      throw usageErrorOf(command, err);
    });
    command.showHelpAfterError(false);
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
}

/**
 * Throws the UsageError for what `program` was given but does not know,
 * `program.args`: an unknown command when it starts with a word, else an
 * unknown option (each with commander's suggestion of a similar one).
 */
export function refuseUnknownWords(program: Command): never {
  const [first = ''] = program.args;
  // Commander's own checks (with their suggestions); they are not in its typings.
  const checks = program as unknown as { unknownCommand(): void; unknownOption(flag: string): void };
  if (first.startsWith('-')) {
    program.allowUnknownOption(false); // else commander's check lets it through
    checks.unknownOption(first);
  } else {
    checks.unknownCommand();
  }
  throw new UsageError('', first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'`);
}
