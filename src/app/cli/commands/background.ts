/**
 * Running a node in the background: `sotto start --detach` (with the hidden
 * flags of the detached child), `sotto stop` and `sotto status`.
 */
import { Option, type Command } from 'commander';
import { nodeIsRunning } from '../../control/client.ts';
import { nodeControlClient, stopNode } from '../../control/node-control.ts';
import { backgroundReport, BACKGROUND_FLAG, PASSPHRASE_STDIN_FLAG, startDetached, stdinPassphrase } from '../../detach.ts';
import { requireIdentity } from '../../home-state.ts';
import { realScheduler } from '../../local.ts';
import { retryWrongPassphrase } from '../../passphrase.ts';
import { withLanDefaults } from '../../lan.ts';
import { formatNodeStatus, type NotRunningStatus } from '../../node-status.ts';
import { startWithSettings } from '../../node-settings.ts';
import { runNode } from '../../run-node.ts';
import type { NodeFlags } from '../../settings.ts';
import { parseWebPort } from '../../web-server.ts';
import { resolve } from 'node:path';
import { StatusLine, type ProgressOutput } from '../../status-line.ts';
import { print, type Cli } from '../cli.ts';

/** Exit status of `sotto status` when no node runs (as `systemctl status` and LSB init scripts: "program is not running"). */
export const NOT_RUNNING_EXIT_STATUS = 3;

/** Options of `sotto start`, as commander parses them. */
export interface StartCommandOptions {
  readonly listen: string[];
  readonly bootstrap: string[];
  readonly mdns?: boolean;
  readonly relay?: boolean;
  readonly mailbox?: boolean;
  readonly swarmKey?: string;
  readonly upnp?: boolean;
  /** --lan: mDNS, and a mailbox unless --no-mailbox (../../lan.ts). */
  readonly lan?: boolean;
  /** `--web` alone is true; `--web PORT` the port's text; `--no-web` false. */
  readonly web?: boolean | string;
  readonly detach?: boolean;
  readonly passphraseStdin?: boolean;
  readonly background?: boolean;
}

/** Progress on this process's stderr. */
const stderrProgress = (): ProgressOutput => ({ write: (text) => process.stderr.write(text), tty: process.stderr.isTTY === true });

/** The --detach option and the detached child's hidden flags, for `sotto start`. */
export function detachOptions(): Option[] {
  return [
    new Option('--detach', 'run in the background: print the same lines, then return (log: node.log in the home; "sotto stop" stops it)'),
    new Option(PASSPHRASE_STDIN_FLAG, 'read the passphrase from stdin (used by --detach)').hideHelp(),
    new Option(BACKGROUND_FLAG, 'report readiness to the parent process (used by --detach)').hideHelp(),
  ];
}

/** `sotto start`, in the foreground, detached, or as the detached child. */
export async function startCommand(cli: Cli, options: StartCommandOptions): Promise<void> {
  const home = cli.home();
  const deps = { now: cli.clock, scheduler: realScheduler };
  if (!options.background) await requireIdentity(home);
  if (options.detach) {
    // A short-lived command: its "starting…" line is for people at a terminal, not for scripts.
    const line = process.stderr.isTTY ? new StatusLine(stderrProgress(), deps) : undefined;
    // startDetached asks for the passphrase itself; a wrong one typed at the prompt is asked again.
    const node = await retryWrongPassphrase(() => startDetached(home, { argv: process.argv.slice(2), ...(line ? { line } : {}), now: cli.clock }));
    for (const address of node.addresses) cli.out(`listening ${address}`);
    if (node.web) cli.out(`web ${node.web}`);
    cli.out('ready');
    for (const line of node.warnings) cli.err(line);
    cli.err(`started in the background (pid ${node.pid}); log: ${node.log}; stop it with "sotto stop"`);
    return;
  }
  const flags = nodeFlags(options);
  const run = (passphrase: () => Promise<string>): Promise<void> =>
    startWithSettings(home, flags, (settled) =>
      runNode(
        home,
        {
          ...settled,
          clock: cli.clock,
          progress: stderrProgress(),
          passphrase,
          warn: (line) => cli.err(line),
          ...(options.background ? { onReady: (addresses: string[], web: string | undefined, warnings: string[]) => void backgroundReport.ready(addresses, web, warnings) } : {}),
        },
        (line) => cli.out(line),
      ),
    );
  try {
    // The detached child reads the passphrase its parent was given (it has no terminal); a person at the prompt gets another try.
    await (options.passphraseStdin ? run(stdinPassphrase()) : retryWrongPassphrase(run));
  } catch (err) {
    if (options.background) await backgroundReport.failed(err);
    throw err;
  }
}

/**
 * The flags of `sotto start` as settings see them (../../settings.ts):
 * --lan's defaults filled in, the swarm key file made absolute (it is
 * remembered), `--web PORT` checked.
 */
export function nodeFlags(options: StartCommandOptions): NodeFlags {
  const { listen, bootstrap, mdns, relay, mailbox, swarmKey } = withLanDefaults(options);
  return {
    listen,
    bootstrap,
    ...(mdns === undefined ? {} : { mdns }),
    ...(relay === undefined ? {} : { relay }),
    ...(mailbox === undefined ? {} : { mailbox }),
    ...(options.upnp === undefined ? {} : { upnp: options.upnp }),
    ...(swarmKey === undefined ? {} : { swarmKey: resolve(swarmKey) }),
    ...(options.web === undefined ? {} : { web: typeof options.web === 'boolean' ? options.web : parseWebPort(options.web) }),
  };
}

/** Registers `sotto stop` and `sotto status`. */
export function registerBackground(program: Command, cli: Cli): void {
  program
    .command('stop')
    .description('stop the node running on this home (started with "start --detach", or in another terminal); returns once its database is closed')
    .addHelpText('after', '\nExample:\n  $ sotto stop\n  stopped')
    .action(async () => {
      const { pid, exited } = await stopNode(cli.home());
      cli.out('stopped');
      if (!exited) cli.err(`the node closed its database, but its process ${pid} has not ended yet`);
    });

  program
    .command('status')
    .description(`show the running node: peers, DHT, outbox, mailboxes, addresses; "not running" (exit status ${NOT_RUNNING_EXIT_STATUS}) when none runs`)
    .option('--json', 'print {"running","pid","peerId","startedAt","uptimeMs","addresses","peers","connections","reachable","relays","dhtPeers","outbox","mailboxesReached","lastMailFetchAt","mailbox"}')
    .addHelpText('after', '\nExample:\n  $ sotto status\n  running: pid 4242, up 3m 12s\n  peer id: 12D3KooW...\n  listening: /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...\n  peers connected: 3\n  ...')
    .action(async (options: { json?: boolean }) => {
      const home = cli.home();
      if (!(await nodeIsRunning(home.socket))) {
        const status: NotRunningStatus = { running: false };
        print(cli, status, options.json, () => ['not running']);
        if (!options.json) cli.err('start it with "sotto start --detach"');
        process.exitCode = NOT_RUNNING_EXIT_STATUS;
        return;
      }
      const status = await nodeControlClient(home.socket).status();
      print(cli, status, options.json, () => formatNodeStatus(status, cli.clock()));
    });
}
