/**
 * The `sotto` command. Thin: it parses arguments, calls the library through
 * a SottoApi (the running node's control socket, or the database directly),
 * and prints. Output rules (a contract scripts rely on; see README):
 * - human output on stdout, one fact per line; `--json` prints exactly one
 *   JSON value on stdout;
 * - errors: "sotto: <what went wrong>" and "hint: <what to do>" on stderr,
 *   exit status 1.
 */
import { Command, Option } from 'commander';
import { runSelftest } from '../selftest.ts';
import { SOTTO_VERSION } from '../version.ts';
import { ensureHome, resolveHome, HOME_ENV, type HomePaths } from '../home.ts';
import { initHome } from '../init.ts';
import { existingPassphrase, newPassphrase, NEW_PASSPHRASE_ENV, PASSPHRASE_ENV } from '../passphrase.ts';
import { nodeIsRunning } from '../control/client.ts';
import { nodeCryptoContext } from '../context.ts';
import { changePassphrase } from '../../node/store/level.ts';
import { withApi } from '../local.ts';
import { NodeAlreadyRunningError, runNode } from '../run-node.ts';
import { reportError } from './errors.ts';

/** The wall clock: read here, at the edge, and injected everywhere else. */
const wallClock = (): number => Date.now();

/** How long `sotto send` waits for the recipient's ack by default. */
const DEFAULT_SEND_WAIT_SECONDS = 10;
const MS_PER_SECOND = 1000;

const program = new Command()
  .name('sotto')
  .description('Sotto: a peer-to-peer messenger with no server anywhere.')
  .version(SOTTO_VERSION)
  .option('--home <dir>', `the Sotto home folder (default: $${HOME_ENV}, else ~/.sotto)`)
  .showHelpAfterError('(run "sotto --help" for usage)')
  .addHelpText(
    'after',
    `
Examples:
  $ sotto init --name alice
  $ sotto start --listen /ip4/0.0.0.0/tcp/4001
  $ sotto contacts add bob 12D3KooW...
  $ sotto send bob "hello"
  $ sotto history bob --json`,
  );

function home(): HomePaths {
  return resolveHome(program.opts<{ home?: string }>().home);
}

function print(value: unknown, json: boolean | undefined, human: () => string[]): void {
  if (json) console.log(JSON.stringify(value));
  else for (const line of human()) console.log(line);
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

program
  .command('init')
  .description('create this home\'s identity (never overwrites one); prints the peer id')
  .option('--name <name>', 'your name, as contacts will see it', '')
  .option('--no-passphrase', 'do not encrypt this home at rest (anyone who reads its files reads your messages)')
  .addHelpText('after', `\nThe home is encrypted at rest with a passphrase you type (or $${PASSPHRASE_ENV}).\n\nExample:\n  $ sotto init --name alice\n  new passphrase:\n  repeat it:\n  12D3KooW...`)
  .action(async (options: { name: string; passphrase: boolean }) => {
    const paths = home();
    await ensureHome(paths);
    const peerId = await initHome(paths, options.name, wallClock, options.passphrase);
    if (!options.passphrase) console.error('sotto: this home is NOT encrypted at rest (--no-passphrase)');
    console.log(peerId);
  });

program
  .command('id')
  .description('show this identity: peer id, name, addresses of the running node, safety-number digits')
  .option('--json', 'print {"peerId","name","addresses","safetyNumber"}')
  .action(async (options: { json?: boolean }) => {
    const info = await withApi(home(), wallClock, (api) => api.id());
    print(info, options.json, () => [`peer id: ${info.peerId}`, `name: ${info.name}`, ...info.addresses.map((a) => `address: ${a}`), `safety number (your half): ${info.safetyNumber}`]);
  });

program
  .command('start')
  .description('run the node in the foreground: print "listening <multiaddr>" lines, then "ready"; Ctrl-C stops it')
  .option('--listen <multiaddr>', 'address to listen on (repeatable)', collect, [])
  .option('--bootstrap <multiaddr>', 'a peer to join the network through, with /p2p/PEERID (repeatable)', collect, [])
  .option('--mdns', 'discover peers on the local network (mDNS)')
  .option('--relay', 'relay connections for browser peers (circuit relay v2)')
  .option('--mailbox', 'hold mail for offline peers (store-and-forward, 14 days)')
  .option('--swarm-key <file>', 'join only the private network that shares this pre-shared key')
  .addHelpText('after', '\nExamples:\n  $ sotto start --listen /ip4/127.0.0.1/tcp/4001\n  $ sotto --home ~/.sotto-b start --bootstrap /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...')
  .action(async (options: { listen: string[]; bootstrap: string[]; mdns?: boolean; relay?: boolean; mailbox?: boolean; swarmKey?: string }) => {
    await runNode(home(), { ...options, clock: wallClock }, (line) => console.log(line));
  });

const contacts = program.command('contacts').description('manage contacts');

contacts
  .command('add')
  .description('add a contact by peer id')
  .argument('<name>', 'the name you give them')
  .argument('<peerId>', 'their peer id (from "sotto id")')
  .option('--accept-new-key', 'accept that a known contact now has another identity key')
  .addHelpText('after', '\nExample:\n  $ sotto contacts add bob 12D3KooW...')
  .action(async (name: string, peerId: string, options: { acceptNewKey?: boolean }) => {
    const contact = await withApi(home(), wallClock, (api) => api.addContact(name, peerId, options.acceptNewKey ?? false));
    console.log(`added ${contact.name} ${contact.peerId}`);
  });

contacts
  .command('list')
  .description('list contacts (and peers that wrote to you before you added them)')
  .option('--json', 'print [{"name","peerId","verified","added"}]')
  .action(async (options: { json?: boolean }) => {
    const list = await withApi(home(), wallClock, (api) => api.listContacts());
    print(list, options.json, () => list.map((c) => `${c.name}\t${c.peerId}${c.added ? '' : '\t(not added: wrote to you first)'}${c.verified ? '\tverified' : ''}`));
  });

program
  .command('send')
  .description('send a message; prints "delivered" once the recipient acked it, "stored: <mailboxes>" when mailboxes hold it for an offline recipient, else "queued: <reason>"')
  .argument('<name>', 'the contact')
  .argument('<text>', 'the message')
  .option('--json', 'print {"id","status","reason"}')
  .addOption(new Option('--wait <seconds>', 'how long to wait for delivery').default(DEFAULT_SEND_WAIT_SECONDS).argParser(Number))
  .addHelpText('after', '\nExample:\n  $ sotto send bob "see you at eight"\n  delivered')
  .action(async (name: string, text: string, options: { json?: boolean; wait: number }) => {
    if (!Number.isFinite(options.wait) || options.wait < 0) throw new RangeError('--wait takes a number of seconds');
    const result = await withApi(home(), wallClock, (api) => api.send(name, text, options.wait * MS_PER_SECOND));
    print(result, options.json, () => [result.status === 'delivered' || result.status === 'read' ? 'delivered' : `${result.status}: ${result.reason ?? 'not acknowledged yet'}`]);
  });

program
  .command('history')
  .description('show a conversation, oldest first (marks received messages read)')
  .argument('<name>', 'the contact')
  .option('--json', 'print [{"id","direction","text","timestamp","status"}]')
  .action(async (name: string, options: { json?: boolean }) => {
    const lines = await withApi(home(), wallClock, (api) => api.history(name));
    const state = (m: (typeof lines)[number]): string => (m.mailboxes !== undefined ? `stored by ${m.mailboxes} mailboxes until ${new Date(m.storedUntil!).toISOString()}` : m.status);
    print(lines, options.json, () => lines.map((m) => `${new Date(m.timestamp).toISOString()} ${m.direction === 'in' ? '<' : '>'} ${m.text}  [${state(m)}]`));
  });

program
  .command('passphrase')
  .description('change the passphrase that encrypts this home (nothing else is re-encrypted); the node must be stopped')
  .addHelpText('after', `\nReads the current passphrase from $${PASSPHRASE_ENV} and the new one from $${NEW_PASSPHRASE_ENV}, else asks for both.\n\nExample:\n  $ sotto passphrase\n  passphrase:\n  new passphrase:\n  repeat it:\n  passphrase changed`)
  .action(async () => {
    const paths = home();
    if (await nodeIsRunning(paths.socket)) throw new NodeAlreadyRunningError();
    const ctx = await nodeCryptoContext(wallClock);
    await changePassphrase(paths.database, ctx, existingPassphrase(), newPassphrase(NEW_PASSPHRASE_ENV));
    console.log('passphrase changed');
  });

program
  .command('selftest')
  .description('check the cryptography on this machine (no disk, no network)')
  .option('--json', 'print one JSON object per check')
  .addHelpText('after', '\nExample:\n  $ sotto selftest\n')
  .action(async (options: { json?: boolean }) => {
    const steps = await runSelftest(wallClock);
    for (const step of steps) {
      if (options.json) console.log(JSON.stringify(step));
      else console.log(`${step.ok ? 'ok  ' : 'FAIL'}  ${step.name}: ${step.detail}`);
    }
    if (steps.some((s) => !s.ok)) throw new Error('the self-test failed');
  });

program.action(() => {
  program.outputHelp();
});

program.parseAsync(process.argv).catch((err: unknown) => {
  reportError(err, (line) => console.error(line));
  process.exitCode = 1;
});
