/** `sotto` with no command: the first run on a terminal (../../first-run.ts), the help elsewhere; an unknown command is a usage error. */
import type { Command } from 'commander';
import { firstRun } from '../../first-run.ts';
import type { Cli } from '../cli.ts';
import { refuseUnknownWords } from '../usage.ts';

/** Registers the program's own action; call it after every command is registered (they must not inherit its excess arguments). */
export function registerFirstRun(program: Command, cli: Cli): void {
  // Words that name no command, and options `sotto` does not know, reach the program's action and
  // are refused there: a word first is an unknown command (commander would call it an excess
  // argument of `sotto`, or first complain about an option meant for the command the word misspells).
  program.allowExcessArguments();
  program.allowUnknownOption();
  program.action(async () => {
    if (program.args.length > 0) refuseUnknownWords(program);
    // On a terminal, the first run; otherwise (a script) the help.
    if (!process.stdin.isTTY || !process.stdout.isTTY) return program.outputHelp();
    await firstRun(cli.home(), { flags: {}, clock: cli.clock }, (line) => cli.err(line));
  });
}
