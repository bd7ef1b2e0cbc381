/**
 * `sotto config`: the node settings kept in the home (../../settings.ts):
 * list them, get one, set one, or unset one so that its default applies.
 * They take effect at the next start of the node.
 */
import type { Command } from 'commander';
import { nodeIsRunning } from '../../control/client.ts';
import { describeSetting, readSettings, SETTING_NAMES, settingName, settingValue, setSetting, unsetSetting, writeSettings, type SettingName, type Settings } from '../../settings.ts';
import { readSwarmKey } from '../../swarm-key.ts';
import { print, type Cli } from '../cli.ts';

/** What `sotto config list --json` prints: every setting, null when not set. */
function allValues(settings: Settings): Record<SettingName, ReturnType<typeof settingValue>> {
  return Object.fromEntries(SETTING_NAMES.map((name) => [name, settingValue(settings, name)])) as Record<SettingName, ReturnType<typeof settingValue>>;
}

/** Says that a running node goes on with what it started with. */
async function noteRunningNode(cli: Cli): Promise<void> {
  if (await nodeIsRunning(cli.home().socket)) cli.err('the running node keeps its settings until it starts again ("sotto stop", then "sotto start")');
}

export function registerConfig(program: Command, cli: Cli): void {
  const config = program
    .command('config')
    .description(`the node settings kept in the home (settings.json): ${SETTING_NAMES.join(', ')}; "start", "chat" and the first run use them, and remember the flags they are given`)
    .addHelpText(
      'after',
      `
Settings:
  bootstrap MA...   peers to join the network through, with /p2p/PEERID (--bootstrap adds to them)
  listen MA...      addresses to listen on (default: free ports on every interface, kept after the first start)
  mdns on|off       look for peers on the local network (default: on unless listening on loopback only)
  mailbox on|off    hold mail for offline peers (default off)
  relay on|off      relay connections for browser peers (default off)
  web PORT|off      serve the browser app on 127.0.0.1:PORT (default off; the port is kept so the page keeps its data)
  swarm-key FILE    join only the private network of this key file (default: none)
  files-quota SIZE  received files kept at most, such as 20GiB or 500MB (default 10 GiB; a file past it shows failed)

Examples:
  $ sotto config list
  $ sotto config set bootstrap /ip4/192.0.2.1/tcp/4001/p2p/12D3KooW...
  $ sotto config set mdns off
  $ sotto config get web --json
  $ sotto config set files-quota 20GiB
  $ sotto config unset listen`,
    );

  config
    .command('list')
    .description('every setting and its value ("(…)" when the default applies)')
    .option('--json', 'print {"bootstrap","listen","mdns","mailbox","relay","upnp","web","swarm-key","files-quota"} (files-quota in bytes), null for a setting left to its default')
    .addHelpText('after', '\nExample:\n  $ sotto config list\n  bootstrap: /ip4/192.0.2.1/tcp/4001/p2p/12D3KooW...\n  listen: /ip4/0.0.0.0/tcp/41234 /ip4/0.0.0.0/tcp/41235/ws (ports picked at the first start)\n  mdns: (on unless the node listens on loopback only)\n  ...')
    .action(async (options: { json?: boolean }) => {
      const settings = await readSettings(cli.home());
      print(cli, allValues(settings), options.json, () => SETTING_NAMES.map((name) => `${name}: ${describeSetting(settings, name)}`));
    });

  config
    .command('get')
    .argument('<name>', SETTING_NAMES.join(' | '))
    .description('one setting: its value, or the default that applies')
    .option('--json', 'print its value (a list, true/false, a port, a file), or null when the default applies')
    .addHelpText('after', '\nExamples:\n  $ sotto config get mailbox\n  on\n  $ sotto config get bootstrap --json')
    .action(async (name: string, options: { json?: boolean }) => {
      const setting = settingName(name);
      const settings = await readSettings(cli.home());
      print(cli, settingValue(settings, setting), options.json, () => [describeSetting(settings, setting)]);
    });

  config
    .command('set')
    .argument('<name>', SETTING_NAMES.join(' | '))
    .argument('<value...>', 'multiaddrs for bootstrap and listen (they replace the list), on/off, a port or off for web, a file for swarm-key, a size for files-quota (20GiB, 500MB, 1.5TiB)')
    .description('set one setting (used from the next start)')
    .addHelpText('after', '\nExamples:\n  $ sotto config set bootstrap /ip4/192.0.2.1/tcp/4001/p2p/12D3KooW... /ip4/192.0.2.2/tcp/4001/p2p/12D3KooW...\n  $ sotto config set mdns on\n  $ sotto config set web 7420\n  $ sotto config set files-quota 50GiB')
    .action(async (name: string, values: string[]) => {
      const setting = settingName(name);
      const home = cli.home();
      const settings = setSetting(await readSettings(home), setting, values);
      if (setting === 'swarm-key') await readSwarmKey(settings.swarmKey!);
      await writeSettings(home, settings);
      cli.out(`${setting}: ${describeSetting(settings, setting)}`);
      await noteRunningNode(cli);
    });

  config
    .command('unset')
    .argument('<name>', SETTING_NAMES.join(' | '))
    .description('forget one setting: its default applies from the next start')
    .addHelpText('after', '\nExample:\n  $ sotto config unset listen')
    .action(async (name: string) => {
      const setting = settingName(name);
      const home = cli.home();
      const settings = unsetSetting(await readSettings(home), setting);
      await writeSettings(home, settings);
      cli.out(`${setting}: ${describeSetting(settings, setting)}`);
      await noteRunningNode(cli);
    });

}
