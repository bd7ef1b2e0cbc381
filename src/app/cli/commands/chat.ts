/** `sotto chat`. */
import type { Command } from 'commander';
import { openChat } from '../../chat-session.ts';
import { requireIdentity } from '../../home-state.ts';
import { collect, type Cli } from '../cli.ts';
import { resolve } from 'node:path';

interface ChatFlags {
  listen: string[];
  bootstrap: string[];
  mdns?: boolean;
  mailbox?: boolean;
  swarmKey?: string;
}

export function registerChat(program: Command, cli: Cli): void {
  program
    .command('chat')
    .description('open the interactive chat (starts the node with the home\'s settings and LAN discovery, or attaches to the one running on this home)')
    .option('--listen <multiaddr>', 'address to listen on (repeatable; remembered)', collect, [])
    .option('--bootstrap <multiaddr>', 'a peer to join the network through, with /p2p/PEERID (repeatable; remembered)', collect, [])
    .option('--mdns', 'look for peers on the local network (the default unless the node listens on loopback only; remembered)')
    .option('--no-mdns', 'do not look for peers on the local network (remembered)')
    .option('--mailbox', 'hold mail for offline peers while the chat runs (remembered)')
    .option('--no-mailbox', 'do not hold mail for others (remembered)')
    .option('--swarm-key <file>', 'join only the private network that shares this pre-shared key (remembered)')
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
      const { swarmKey, ...rest } = options;
      const flags = { ...rest, ...(swarmKey === undefined ? {} : { swarmKey: resolve(swarmKey) }) };
      await openChat(home, { flags, clock: cli.clock }, (line) => cli.err(line));
    });
}
