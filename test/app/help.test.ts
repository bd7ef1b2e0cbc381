/**
 * `sotto --help` and every command's help: each command is listed, described,
 * documents its arguments and options, and shows at least one example; every
 * example, and every `sotto` line of README's shell blocks, is a command line
 * sotto accepts, and README's script block asks nothing on a terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createCli } from '../../src/app/cli/cli.ts';
import { buildProgram } from '../../src/app/cli/program.ts';
import { refuseUnknownWords } from '../../src/app/cli/usage.ts';
import { resolveHome } from '../../src/app/home.ts';

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

/**
 * The `sotto` command lines in a shell line: split at `&&`, `;` and `|`,
 * a `$(...)` substitution checked as a line of its own (and a placeholder
 * word in its place), `#` comments and `< FILE` redirections dropped, and
 * words unquoted. Lines that run something else (npm, export) give none.
 */
function sottoCommandLines(line: string): string[][] {
  const commands: string[][] = [];
  const substituted = line.replace(/\$\(([^)]*)\)/g, (_whole, inner: string) => {
    commands.push(...sottoCommandLines(inner));
    return 'SUBSTITUTED';
  });
  for (const part of substituted.split(/&&|;|\|/)) {
    const words: string[] = [];
    for (const match of part.matchAll(/"([^"]*)"|'([^']*)'|(#.*$)|<\s*\S+|(\S+)/g)) {
      if (match[3] !== undefined) break;
      const word = match[1] ?? match[2] ?? match[4];
      if (word !== undefined) words.push(word);
    }
    while (words.length > 0 && /^[A-Z_]+=/.test(words[0]!)) words.shift();
    if (words[0] === 'npx' && words[1] === 'sotto') commands.push(words.slice(2));
    else if (words[0] === 'sotto') commands.push(words.slice(1));
    else if (words[0] === 'npm' && words[1] === 'start') commands.push(words.slice(words[2] === '--' ? 3 : 2));
  }
  return commands;
}

/** The program with every action replaced by nothing (the home is a folder no test uses), so that a command line is only parsed. */
function parseOnlyProgram(): Command {
  const program = buildProgram((p) => ({ ...createCli(p), home: () => resolveHome(join(tmpdir(), `sotto-help-parse-${process.pid}`, 'missing')) }));
  for (const [, command] of commandsOf(program)) command.action(() => {});
  program.action(() => {
    if (program.args.length > 0) refuseUnknownWords(program);
  });
  return program;
}

/** Parses `words` as `sotto` would; resolves to the usage error, if any. */
async function usageErrorOf(words: string[]): Promise<string | undefined> {
  const program = parseOnlyProgram();
  try {
    await program.parseAsync(words, { from: 'user' });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

test('every example in every --help is a command line sotto accepts', async () => {
  const program = buildProgram();
  const examples: string[][] = [];
  for (const command of [program, ...commandsOf(program).map(([, c]) => c)]) {
    for (const line of helpOf(command).split('\n')) {
      const example = /^ +\$ (.*)$/.exec(line)?.[1];
      // What follows a run of spaces is a comment on the example, not part of it.
      if (example !== undefined) examples.push(...sottoCommandLines(example.split(/ {2,}/)[0]!));
    }
  }
  assert.ok(examples.length > 40, `only ${examples.length} examples found`);
  for (const words of examples) assert.equal(await usageErrorOf(words), undefined, `sotto ${words.join(' ')}`);
});

test("every sotto command line in README's shell blocks is one sotto accepts, and the script block asks nothing", async () => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/^```sh\n([^]*?)^```/gm)].map((m) => m[1]!);
  const lines = blocks.flatMap((block) => block.split('\n').flatMap(sottoCommandLines));
  assert.ok(lines.length > 15, `only ${lines.length} command lines found`);
  for (const words of lines) assert.equal(await usageErrorOf(words), undefined, `sotto ${words.join(' ')}`);
  // The block "for scripts" runs without a terminal: verify must not ask (it needs --yes there).
  const script = blocks.find((block) => block.includes('export SOTTO_PASSPHRASE'));
  assert.ok(script);
  for (const words of script.split('\n').flatMap(sottoCommandLines)) {
    if (words.includes('verify')) assert.ok(words.includes('--yes') || words.includes('--unverify'), `sotto ${words.join(' ')} asks on a terminal`);
  }
});
