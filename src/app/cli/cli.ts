/**
 * What every `sotto` command module gets: the home chosen by --home, the wall
 * clock (read here, at the edge, and injected everywhere else), and the
 * output helpers that keep the CLI's output rules (see ./main.ts).
 */
import type { Command } from 'commander';
import { resolveHome, type HomePaths } from '../home.ts';
import { terminalJson } from '../terminal-text.ts';

/** The context a command module registers its commands with. */
export interface Cli {
  /** The home selected by the global --home option (else $SOTTO_HOME, else ~/.sotto). */
  home(): HomePaths;
  /** The wall clock, in ms since the epoch. */
  readonly clock: () => number;
  /** One line on stdout. */
  out(line: string): void;
  /** One line on stderr (progress and notices; never results). */
  err(line: string): void;
}

/** Creates the context for `program`. */
export function createCli(program: Command): Cli {
  return {
    home: () => resolveHome(program.opts<{ home?: string }>().home),
    clock: () => Date.now(),
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  };
}

/**
 * Prints `value` as one JSON value with --json (exact, escaped so that it is
 * safe on a terminal too: terminalJson), else the human lines. Human lines
 * carry text from other peers only through terminalText, terminalLine or
 * displayName.
 */
export function print(cli: Cli, value: unknown, json: boolean | undefined, human: () => string[]): void {
  if (json) cli.out(terminalJson(value));
  else for (const line of human()) cli.out(line);
}

/** Commander's collector for a repeatable option. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Milliseconds per second (for --wait style options). */
export const MS_PER_SECOND = 1000;
