/**
 * The first run's mistakes, in real terminals (tmux, 80×24, each test with
 * a tmux server and a network namespace of its own, since the first run
 * turns on mDNS): a mistyped repeat and a short passphrase are asked again
 * with their own advice; Ctrl-C at the name or passphrase prompt leaves
 * nothing at all behind, and the next run is a clean first run; a home an
 * older Sotto left half-made is named, kept when the person says no, and
 * started over when they say yes. And for the commands: a wrong passphrase
 * typed at the prompt is asked again.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLevelStore } from '../../src/node/store/level.ts';
import { sotto, tempHome } from '../helpers/cli.ts';
import { levelRecords } from '../helpers/level-records.ts';
import { createNamespace, Terminals } from '../helpers/terminal.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSPHRASE = 'a long and private passphrase';
/** The chat's title line once the first run has created the identity and opened the chat. */
const CHAT_OPEN = /Sotto · alice /;
/** Exit status after Ctrl-C at a prompt (128 + SIGINT). */
const CANCELLED_STATUS = 130;

/** The identity's name, read by another process with the passphrase. */
async function nameIn(home: string): Promise<string> {
  const id = await sotto(home, ['id', '--json'], { SOTTO_PASSPHRASE: PASSPHRASE });
  assert.equal(id.code, 0, id.stderr);
  return (JSON.parse(id.stdout) as { name: string }).name;
}

/** How many times `pattern` shows on `screen`. */
const occurrences = (screen: string, pattern: RegExp): number => screen.match(new RegExp(pattern.source, `${pattern.flags}g`))?.length ?? 0;

describe('the first run in a terminal', { timeout: 240_000 }, () => {
  let cleanup: (() => Promise<void>)[] = [];
  let terminals: Terminals;
  let tests = 0;

  beforeEach(async () => {
    cleanup = [];
    const name = `sotto-first-${process.pid}-${++tests}`;
    const ns = await createNamespace(name);
    cleanup.push(ns.remove);
    terminals = new Terminals(ns.name, name, ROOT);
    cleanup.push(() => terminals.close());
  });

  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  /** Opens `sotto` with no command on `home`, with no passphrase in the environment. */
  const firstRun = (home: string): Promise<string> => terminals.open('node bin/sotto.js', { SOTTO_HOME: home }, ['SOTTO_PASSPHRASE']);

  /** Answers the name prompt with "alice"; resolves once the passphrase is asked. */
  async function answerName(target: string): Promise<void> {
    await terminals.waitFor(target, /Your name, as contacts will see it:/);
    await terminals.type(target, 'alice');
    await terminals.waitFor(target, /new passphrase: *$/m);
  }

  /** Types the passphrase and its repeat right; resolves to the chat's screen once it opens, after leaving it. */
  async function choosePassphraseAndLeave(target: string): Promise<string> {
    await terminals.type(target, PASSPHRASE);
    await terminals.waitFor(target, /repeat it: *$/m);
    await terminals.type(target, PASSPHRASE);
    const chat = await terminals.waitFor(target, CHAT_OPEN);
    await terminals.type(target, '/quit');
    await terminals.waitFor(target, /exited 0/);
    return chat;
  }

  test('a repeat that differs is said and asked again (with its own advice), then the identity is created and the chat opens', async () => {
    const home = await tempHome('first-mismatch', cleanup);
    const run = await firstRun(home);
    await answerName(run);
    await terminals.type(run, PASSPHRASE);
    await terminals.waitFor(run, /repeat it: *$/m);
    await terminals.type(run, `${PASSPHRASE}!`);
    const asked = await terminals.waitFor(run, /the two passphrases differ: type the same passphrase both times\nnew passphrase: *$/m);
    assert.doesNotMatch(asked, /longer/, 'the advice for a mismatch is not the one for a short passphrase');
    assert.equal(existsSync(home), false, 'nothing is created while the passphrase is being chosen');
    assert.doesNotMatch(await choosePassphraseAndLeave(run), new RegExp(PASSPHRASE), 'the passphrase was echoed');
    assert.equal(await nameIn(home), 'alice');
  });

  test('a passphrase that is too short is said and asked again at once (not repeated first), then the chat opens', async () => {
    const home = await tempHome('first-short', cleanup);
    const run = await firstRun(home);
    await answerName(run);
    await terminals.type(run, 'short');
    const asked = await terminals.waitFor(run, /a passphrase needs at least 8 characters: choose one of at least 8 characters\nnew passphrase: *$/m);
    assert.equal(occurrences(asked, /repeat it:/), 0, 'a passphrase that is too short is not asked to be repeated');
    await choosePassphraseAndLeave(run);
    assert.equal(await nameIn(home), 'alice');
  });

  test('Ctrl-C at the name prompt and at the passphrase prompt leaves nothing behind; the next run is a clean first run', async () => {
    const home = await tempHome('first-ctrl-c', cleanup);
    const atName = await firstRun(home);
    await terminals.waitFor(atName, /Your name, as contacts will see it:/);
    await terminals.key(atName, 'C-c');
    const cancelled = await terminals.waitFor(atName, new RegExp(`exited ${CANCELLED_STATUS}`));
    assert.match(cancelled, /sotto: cancelled at the prompt\nhint: nothing was created or changed/);
    assert.deepEqual(await readdir(dirname(home)), [], 'nothing at the home, and no staging folder beside it');

    const atPassphrase = await firstRun(home);
    await answerName(atPassphrase);
    await terminals.type(atPassphrase, PASSPHRASE);
    await terminals.waitFor(atPassphrase, /repeat it: *$/m);
    await terminals.key(atPassphrase, 'C-c');
    await terminals.waitFor(atPassphrase, new RegExp(`exited ${CANCELLED_STATUS}`));
    assert.deepEqual(await readdir(dirname(home)), [], 'nothing at the home, and no staging folder beside it');

    const again = await firstRun(home);
    const welcome = await terminals.waitFor(again, /Your name, as contacts will see it:/);
    assert.match(welcome, /Welcome to Sotto\. This creates your identity in /);
    assert.doesNotMatch(welcome, /no identity|half|corrupt/);
    await answerName(again);
    await choosePassphraseAndLeave(again);
    assert.equal(await nameIn(home), 'alice');
    assert.deepEqual(await readdir(dirname(home)), ['home'], 'the home, and no staging folder left beside it');
  });

  test("a home an older Sotto left half-made is named; 'no' keeps it as it was, 'yes' starts over and opens the chat", async () => {
    const home = await tempHome('first-half-made', cleanup);
    // What an older first run left after a mistyped passphrase: db/ with no identity, and then the
    // schema record the next start wrote into it in clear.
    await mkdir(home, { mode: 0o700 });
    await (await openLevelStore(join(home, 'db'))).close();
    const before = await levelRecords(join(home, 'db'));
    assert.deepEqual(Object.keys(before), ['meta:schema']);

    const declined = await firstRun(home);
    const offer = await terminals.waitFor(declined, /Delete it and create a new identity there\? \[y\/N\] *$/m);
    assert.ok(offer.replaceAll('\n', '').includes(`sotto: ${join(home, 'db')} holds no identity`), offer);
    await terminals.type(declined, 'n');
    const kept = await terminals.waitFor(declined, /exited 1/);
    assert.match(kept, /hint: start over with "sotto init --start-over"/);
    assert.deepEqual(await levelRecords(join(home, 'db')), before, 'declining changes nothing');

    const accepted = await firstRun(home);
    await terminals.waitFor(accepted, /Delete it and create a new identity there\? \[y\/N\] *$/m);
    await terminals.type(accepted, 'y');
    await answerName(accepted);
    await choosePassphraseAndLeave(accepted);
    assert.equal(await nameIn(home), 'alice');
    assert.deepEqual((await readdir(home)).filter((name) => name.startsWith('.')), [], 'no staging or discarded folder is left in the home');
  });

  test('a command asks again after a wrong passphrase typed at the prompt, and gives up after the last try', async () => {
    const home = await tempHome('first-retry', cleanup);
    const init = await sotto(home, ['init', '--name', 'alice'], { SOTTO_PASSPHRASE: PASSPHRASE });
    assert.equal(init.code, 0, init.stderr);
    const peerId = init.stdout.trim();

    const id = await terminals.open(`node bin/sotto.js --home ${JSON.stringify(home)} id`, {}, ['SOTTO_PASSPHRASE']);
    await terminals.waitFor(id, /^passphrase: *$/m);
    await terminals.type(id, 'not the passphrase');
    await terminals.waitFor(id, /wrong passphrase; try again \(2 more attempts\)\npassphrase: *$/m);
    await terminals.type(id, PASSPHRASE);
    const shown = await terminals.waitFor(id, /exited 0/);
    assert.match(shown, new RegExp(`peer id: ${peerId}`));

    const stubborn = await terminals.open(`node bin/sotto.js --home ${JSON.stringify(home)} contacts list`, {}, ['SOTTO_PASSPHRASE']);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await terminals.waitFor(stubborn, new RegExp(`(^passphrase:[^]*){${attempt}}`, 'm'));
      await terminals.type(stubborn, `wrong ${attempt}`);
    }
    const refused = await terminals.waitFor(stubborn, /exited 1/);
    assert.equal(occurrences(refused, /^passphrase:/m), 3, 'asked three times, then refused');
    assert.match(refused, /sotto: wrong passphrase\nhint: /);
  });
});
