/** `sotto id`: show this identity. */
import type { Command } from 'commander';
import { withApi } from '../../local.ts';
import { print, type Cli } from '../cli.ts';
import { displayName } from '../../display-name.ts';

export function registerId(program: Command, cli: Cli): void {
  program
    .command('id')
    .description('show this identity: peer id, name, addresses of the running node, safety-number digits')
    .option('--json', 'print {"peerId","name","addresses","safetyNumber"}')
    .addHelpText('after', '\nExample:\n  $ sotto id\n  peer id: 12D3KooW...\n  name: alice\n  safety number (your half): 12345 67890 ...')
    .action(async (options: { json?: boolean }) => {
      const info = await withApi(cli.home(), cli.clock, (api) => api.id());
      print(cli, info, options.json, () => [`peer id: ${info.peerId}`, `name: ${displayName(info.name)}`, ...info.addresses.map((a) => `address: ${a}`), `safety number (your half): ${info.safetyNumber}`]);
    });
}
