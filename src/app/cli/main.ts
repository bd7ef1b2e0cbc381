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
import { reportError } from './errors.ts';
import { buildProgram } from './program.ts';

const program = buildProgram();
program.parseAsync(process.argv).catch((err: unknown) => {
  reportError(err, (line) => console.error(line));
  process.exitCode = 1;
});
