/**
 * The `sotto` command. Thin: it parses arguments, calls the library and
 * prints. Errors go to stderr as "sotto: <what went wrong>" plus a hint.
 */
import { Command } from 'commander';
import { runSelftest } from '../selftest.ts';
import { SOTTO_VERSION } from '../version.ts';

const program = new Command()
  .name('sotto')
  .description('Sotto: a peer-to-peer messenger with no server anywhere.')
  .version(SOTTO_VERSION)
  .showHelpAfterError('(run "sotto --help" for usage)');

program
  .command('selftest')
  .description('check the cryptography on this machine (no disk, no network)')
  .option('--json', 'print one JSON object per check')
  .addHelpText('after', '\nExample:\n  $ sotto selftest\n')
  .action(async (options: { json?: boolean }) => {
    // The clock is read here, at the edge, and injected into the library.
    const steps = await runSelftest(() => Date.now());
    for (const step of steps) {
      if (options.json) console.log(JSON.stringify(step));
      else console.log(`${step.ok ? 'ok  ' : 'FAIL'}  ${step.name}: ${step.detail}`);
    }
    if (steps.some((s) => !s.ok)) {
      console.error('sotto: the self-test failed\nhint: report it with the output above');
      process.exitCode = 1;
    }
  });

program.action(() => {
  console.log(`Sotto ${SOTTO_VERSION}`);
  console.log('Status: the end-to-end encryption core is in place; the network node and chat come next.');
  console.log('Run "sotto selftest" to check the cryptography on this machine.\n');
  program.outputHelp();
});

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`sotto: ${err instanceof Error ? err.message : String(err)}\nhint: run "sotto --help"`);
  process.exitCode = 1;
});
