/** `sotto selftest`: check the cryptography on this machine. */
import type { Command } from 'commander';
import { runSelftest } from '../../selftest.ts';
import type { Cli } from '../cli.ts';
import { terminalJson } from '../../terminal-text.ts';

export function registerSelftest(program: Command, cli: Cli): void {
  program
    .command('selftest')
    .description('check the cryptography on this machine (no disk, no network)')
    .option('--json', 'print one JSON object per check')
    .addHelpText('after', '\nExample:\n  $ sotto selftest\n  ok    identity: ...')
    .action(async (options: { json?: boolean }) => {
      const steps = await runSelftest(cli.clock);
      for (const step of steps) {
        if (options.json) cli.out(terminalJson(step));
        else cli.out(`${step.ok ? 'ok  ' : 'FAIL'}  ${step.name}: ${step.detail}`);
      }
      if (steps.some((s) => !s.ok)) throw new Error('the self-test failed');
    });
}
