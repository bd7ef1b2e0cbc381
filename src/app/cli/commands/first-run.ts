/** `sotto` with no command: the first run on a terminal (../../first-run.ts), the help elsewhere; an unknown command is a usage error. */
import type { Command } from 'commander';
import { firstRun } from '../../first-run.ts';
import { DEFAULT_LISTEN } from '../../run-node.ts';
import type { Cli } from '../cli.ts';
import { refuseUnknownCommand } from '../usage.ts';

/** Registers the program's own action; call it after every command is registered (they must not inherit its excess arguments). */
export function registerFirstRun(program: Command, cli: Cli): void {
  // Words that name no command reach the program's action: refused there as an unknown command
  // (commander would call them excess arguments of `sotto`).
  program.allowExcessArguments();
  program.action(async () => {
    if (program.args.length > 0) refuseUnknownCommand(program);
    // On a terminal, the first run; otherwise (a script) the help.
    if (!process.stdin.isTTY || !process.stdout.isTTY) return program.outputHelp();
    await firstRun(cli.home(), { listen: DEFAULT_LISTEN, bootstrap: [], mdns: true, clock: cli.clock }, (line) => cli.err(line));
  });
}
