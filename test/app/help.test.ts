/**
 * `sotto --help` and every command's help: each command is listed, described,
 * documents its arguments and options, and shows at least one example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from '../../src/app/cli/program.ts';

/** The full help text of `command` (with the text added before and after it). */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

/** Every command below `command`, as [path, command]. */
function commandsOf(command: Command, path: string[] = []): [string, Command][] {
  return command.commands.flatMap((sub): [string, Command][] => {
    const here = [...path, sub.name()];
    return [[here.join(' '), sub], ...commandsOf(sub, here)];
  });
}

test('sotto --help lists every command and shows examples, the first run among them', () => {
  const program = buildProgram();
  const help = helpOf(program);
  for (const sub of program.commands) assert.match(help, new RegExp(`^  ${sub.name()}\\b`, 'm'), `${sub.name()} is missing from sotto --help`);
  assert.match(help, /^Examples:\n {2}\$ sotto /m);
  assert.match(help, /\$ sotto +first run/);
  assert.match(help, /--home <dir>/);
});

test("every command's help describes it, its arguments and options, and gives an example", () => {
  const commands = commandsOf(buildProgram());
  for (const name of ['init', 'start', 'stop', 'status', 'contacts add', 'invite', 'verify', 'send', 'history', 'passphrase', 'export', 'import', 'chat']) {
    assert.ok(commands.some(([path]) => path === name), `no command "${name}"`);
  }
  for (const [path, command] of commands) {
    const help = helpOf(command);
    assert.ok(command.description().length > 10, `"${path}" has no description`);
    assert.match(help, /Example/, `"${path}" --help has no example`);
    // An example line that runs this very command (global options such as --home may come first).
    const words = path.split(' ').join(' +');
    assert.match(help, new RegExp(`^ +\\$ sotto( --home \\S+)? +${words}\\b`, 'm'), `"${path}" --help has no example of itself`);
    for (const option of command.options) assert.ok(option.description.length > 0, `"${path} ${option.flags}" is not described`);
    for (const argument of command.registeredArguments) assert.ok(argument.description.length > 0, `"${path}" argument ${argument.name()} is not described`);
  }
});
