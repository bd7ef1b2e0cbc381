/**
 * The `sotto` command. Thin: it parses arguments, calls the library through
 * a SottoApi (the running node's control socket, or the database directly),
 * and prints. Each command lives in ./commands/. Output rules (a contract
 * scripts rely on; see README):
 * - human output on stdout, one fact per line; `--json` prints exactly one
 *   JSON value on stdout; progress and notices go to stderr;
 * - errors, usage errors included: "sotto: <what went wrong>" and
 *   "hint: <what to do>" on stderr, exit status 1 (130 for Ctrl-C at a
 *   prompt); help and --version exit as commander says (0, or 1 for the
 *   help a bare parent command prints on stderr);
 * - the process ends once the command is done, even when native code
 *   (WebRTC) would hold it (./exit.ts).
 */
import { CommanderError } from 'commander';
import { reportError } from './errors.ts';
import { exitWhenDone } from './exit.ts';
import { buildProgram } from './program.ts';

/** Exit status of any error. */
const EXIT_ERROR = 1;
/** Exit status after Ctrl-C at a prompt: 128 + SIGINT, as a shell reports a command Ctrl-C ended. */
const EXIT_CANCELLED = 130;

const program = buildProgram();
program
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    reportError(err, (line) => console.error(line));
    process.exitCode = err instanceof Error && err.name === 'CancelledError' ? EXIT_CANCELLED : EXIT_ERROR;
  })
  .finally(() => exitWhenDone());
