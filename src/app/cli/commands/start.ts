/** `sotto start`: run the node in the foreground, or in the background with --detach (./background.ts). */
import type { Command } from 'commander';
import { collect, type Cli } from '../cli.ts';
import { WEB_DEFAULT_PORT } from '../../../node/constants.ts';
import { detachOptions, startCommand, type StartCommandOptions } from './background.ts';

export function registerStart(program: Command, cli: Cli): void {
  const start = program
    .command('start')
    .description('run the node in the foreground: print "listening <multiaddr>" lines, then "ready" (and a warning on stderr when no peer is reachable); Ctrl-C stops it. Flags are remembered in the home (see "sotto config")')
    .option('--listen <multiaddr>', 'address to listen on (repeatable; remembered: replaces the kept list)', collect, [])
    .option('--bootstrap <multiaddr>', 'a peer to join the network through, with /p2p/PEERID (repeatable; remembered: added to the kept list)', collect, [])
    .option('--mdns', 'discover peers on the local network (mDNS; on by default unless the node listens on loopback only)')
    .option('--no-mdns', 'do not look for peers on the local network')
    .option('--lan', 'a local network without internet: mDNS discovery, no bootstrap needed, and a mailbox for LAN peers (unless --no-mailbox)')
    .option('--relay', 'relay connections for browser peers (circuit relay v2)')
    .option('--no-relay', 'stop relaying')
    .option('--web [port]', `serve the browser app on 127.0.0.1 (the kept port, else ${WEB_DEFAULT_PORT}, unless given) and relay browsers; prints "web <url>"`)
    .option('--no-web', 'stop serving the browser app')
    .option('--upnp', 'ask the home router (UPnP, NAT-PMP) to forward the listen port, so peers can connect directly')
    .option('--no-upnp', 'stop asking the router to forward the port')
    .option('--mailbox', 'hold mail for offline peers (store-and-forward, 14 days)')
    .option('--no-mailbox', 'do not hold mail for others')
    .option('--swarm-key <file>', 'join only the private network that shares this pre-shared key')
    .addHelpText('after', '\nExamples:\n  $ sotto start --listen /ip4/127.0.0.1/tcp/4001\n  $ sotto --home ~/.sotto-b start --bootstrap /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...\n  $ sotto start --mdns --mailbox\n  $ sotto start --lan --swarm-key team.key\n  $ sotto start --relay --mailbox --web\n  $ sotto start --detach && sotto status\n  $ sotto start                      (the flags of earlier starts, kept in the home)')
    .action(async (options: StartCommandOptions) => {
      await startCommand(cli, options);
    });
  for (const option of detachOptions()) start.addOption(option);
}
