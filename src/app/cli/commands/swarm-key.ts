/** `sotto swarm-key new FILE`: a pre-shared key that fences a private network. */
import type { Command } from 'commander';
import { writeNewSwarmKey } from '../../swarm-key.ts';
import type { Cli } from '../cli.ts';

/** Registers `sotto swarm-key new`. */
export function registerSwarmKey(program: Command, cli: Cli): void {
  const swarmKey = program
    .command('swarm-key')
    .description('private networks: a pre-shared key that every node of the network needs (libp2p pnet)')
    .addHelpText('after', '\nExample:\n  $ sotto swarm-key new team.key\n  $ sotto start --lan --swarm-key team.key');
  swarmKey
    .command('new')
    .description('write a new random swarm key to FILE (mode 0600); nodes started with --swarm-key FILE connect only to each other')
    .argument('<file>', 'where to write the key (refused if it exists, unless --force)')
    .option('--force', 'replace FILE if it exists')
    .addHelpText(
      'after',
      '\nCopy the file to every machine of the network over a channel you trust (a USB stick,\nnot the network it protects): whoever has it can join. It fences TCP and WebSocket\nconnections, not WebRTC (see docs/LAN.md).\n\nExample:\n  $ sotto swarm-key new team.key\n  wrote team.key',
    )
    .action(async (file: string, options: { force?: boolean }) => {
      await writeNewSwarmKey(file, (n) => crypto.getRandomValues(new Uint8Array(n)), options.force === true);
      cli.out(`wrote ${file}`);
      cli.err('give it to every node of the network over a channel you trust; keep it secret');
    });
}
