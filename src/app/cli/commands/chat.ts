/** `sotto chat`. */
import type { Command } from 'commander';
import { openChat } from '../../chat-session.ts';
import { requireIdentity } from '../../home-state.ts';
import { collect, type Cli } from '../cli.ts';

interface ChatFlags {
  listen: string[];
  bootstrap: string[];
  mdns: boolean;
  mailbox?: boolean;
  swarmKey?: string;
}

export function registerChat(program: Command, cli: Cli): void {
  program
    .command('chat')
    .description('open the interactive chat (starts the node with LAN discovery, or attaches to the one running on this home)')
    .option('--listen <multiaddr>', 'address to listen on (repeatable)', collect, [])
    .option('--bootstrap <multiaddr>', 'a peer to join the network through, with /p2p/PEERID (repeatable)', collect, [])
    .option('--no-mdns', 'do not look for peers on the local network')
    .option('--mailbox', 'hold mail for offline peers while the chat runs')
    .option('--swarm-key <file>', 'join only the private network that shares this pre-shared key')
    .addHelpText(
      'after',
      `
In the chat: Enter sends, Up/Down pick a contact, /help lists the commands
(/add INVITE, /invite, /verify, /quit).

Examples:
  $ sotto chat
  $ sotto --home /tmp/bob chat --bootstrap /ip4/192.0.2.1/tcp/4001/p2p/12D3KooW...`,
    )
    .action(async (options: ChatFlags) => {
      const home = cli.home();
      await requireIdentity(home);
      await openChat(home, { ...options, clock: cli.clock }, (line) => cli.err(line));
    });
}
