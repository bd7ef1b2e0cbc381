/**
 * The first run and the chat in real terminals (tmux, 80×24), inside a
 * network namespace of the test's own, since the first run turns on mDNS:
 * alice runs README's `npm start`, bob runs `sotto` with no command; both
 * create identities at the prompts, find each other on the (namespace's)
 * LAN; bob adds alice from her invite and writes, which reaches alice as a
 * message request she accepts; they compare safety numbers, chat, and leave
 * with /quit and Ctrl-C.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sotto, tempHome } from '../helpers/cli.ts';
import { createNamespace, Terminals } from '../helpers/terminal.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSPHRASE = 'a long and private passphrase';

/** The 60 digits of the safety number the chat shows under "Safety number with …:". */
function safetyNumberOn(screen: string): string {
  const lines = screen.split('\n');
  const at = lines.findIndex((line) => /Safety number with/.test(line));
  return (lines[at + 1] ?? '').replace(/[^0-9]/g, '');
}

describe('first run and chat in a terminal', { timeout: 180_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let terminals: Terminals;

  before(async () => {
    const ns = await createNamespace(`sotto-chat-${process.pid}`);
    cleanup.push(ns.remove);
    terminals = new Terminals(ns.name, `sotto-chat-${process.pid}`, ROOT);
    cleanup.push(() => terminals.close());
  });

  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('npm start creates an identity, opens the chat, and two people become contacts (an invite, a message request accepted), verify and chat over LAN discovery', async () => {
    const aliceHome = await tempHome('tty-alice', cleanup);
    const bobHome = await tempHome('tty-bob', cleanup);

    // Alice: README's first command. Her passphrase comes from the environment.
    const alice = await terminals.open('npm start', { SOTTO_HOME: aliceHome, SOTTO_PASSPHRASE: PASSPHRASE });
    await terminals.waitFor(alice, /Your name, as contacts will see it:/);
    await terminals.type(alice, 'alice');
    await terminals.waitFor(alice, /Sotto · alice .*0 contacts online/);

    // Bob: `sotto` with no command; he types his passphrase at the hidden prompts.
    const bob = await terminals.open('node bin/sotto.js', { SOTTO_HOME: bobHome }, ['SOTTO_PASSPHRASE']);
    await terminals.waitFor(bob, /Your name, as contacts will see it:/);
    await terminals.type(bob, 'bob');
    await terminals.waitFor(bob, /new passphrase:/);
    await terminals.type(bob, PASSPHRASE);
    await terminals.waitFor(bob, /repeat it:/);
    await terminals.type(bob, PASSPHRASE);
    const bobScreen = await terminals.waitFor(bob, /Sotto · bob /);
    assert.doesNotMatch(bobScreen, new RegExp(PASSPHRASE), 'the passphrase was echoed');

    // The other commands reach a running chat's node through its control
    // socket: alice's prints her invite, and bob adds it in his chat.
    const aliceInvite = (JSON.parse((await sotto(aliceHome, ['invite', '--json', '--no-qr'])).stdout) as { invite: string }).invite;
    assert.match(aliceInvite, /^SOTTO:[A-Z2-7]+$/);

    await terminals.type(bob, `/add ${aliceInvite}`);
    await terminals.waitFor(bob, /alice · (online|offline) · not verified/);

    // Bob writes first: alice does not know him yet, so it is a request, listed apart and opened only when she picks it.
    await terminals.type(bob, 'hi alice, it is bob');
    const requested = await terminals.waitFor(alice, /│\? "bob" \(1\)/);
    assert.match(requested, /│Requests \(1\)/);
    assert.match(requested, /no contacts yet/);
    assert.doesNotMatch(requested, /< hi alice, it is bob/);
    await terminals.key(alice, 'Down');
    await terminals.waitFor(alice, /Says it is "bob" \(unverified\) · not a contact[^]*< hi alice, it is bob/);
    await terminals.type(alice, '/accept');
    await terminals.waitFor(alice, /bob · (online|offline) · not verified/);

    // Both see the same safety number; alice confirms it and bob shows as verified.
    await terminals.type(alice, '/verify');
    const aliceNumber = safetyNumberOn(await terminals.waitFor(alice, /Safety number with bob:\n.*\d{5}/));
    await terminals.type(bob, '/verify');
    const bobNumber = safetyNumberOn(await terminals.waitFor(bob, /Safety number with alice:\n.*\d{5}/));
    assert.equal(aliceNumber.length, 60);
    assert.equal(aliceNumber, bobNumber);
    await terminals.type(alice, '/verify yes');
    await terminals.waitFor(alice, /bob · (online|offline) · verified ✓/);
    await terminals.waitFor(alice, /bob ✓/);

    await terminals.type(alice, 'hello bob, it is alice');
    await terminals.waitFor(bob, /< hello bob, it is alice/);
    await terminals.type(bob, 'hi alice!');
    const screen = await terminals.waitFor(alice, /< hi alice!/);
    // Bob had the conversation open, so alice's message shows as read, and both are online.
    await terminals.waitFor(alice, /> hello bob, it is alice +read/);
    assert.match(screen, /● bob/);
    assert.match(screen, /1 contact online/);
    for (const line of screen.split('\n')) assert.ok([...line].length <= 80, `a line is wider than 80 columns: ${line}`);

    // Leaving the chat stops the node it started: the control socket goes away.
    await terminals.type(alice, '/quit');
    await terminals.waitFor(alice, /exited 0/);
    await terminals.key(bob, 'C-c');
    await terminals.waitFor(bob, /exited 0/);
    assert.equal(existsSync(join(aliceHome, 'control.sock')), false);
    assert.equal(existsSync(join(bobHome, 'control.sock')), false);

    // Everything stayed: the history is there without a node.
    const history = await sotto(bobHome, ['history', 'alice', '--json'], { SOTTO_PASSPHRASE: PASSPHRASE });
    assert.deepEqual(
      (JSON.parse(history.stdout) as { direction: string; text: string }[]).map((m) => [m.direction, m.text]),
      [
        ['out', 'hi alice, it is bob'],
        ['in', 'hello bob, it is alice'],
        ['out', 'hi alice!'],
      ],
    );
  });
});
