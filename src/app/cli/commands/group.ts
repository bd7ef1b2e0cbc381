/** `sotto group`: create, add, remove, leave, list, send, history (docs/GROUPS.md). Every subcommand needs the running node. */
import { UsageError } from '../usage.ts';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { GroupHistoryLine, GroupLine } from '../../group-api.ts';
import { withApi } from '../../local.ts';
import { MS_PER_SECOND, print, type Cli } from '../cli.ts';
import { terminalLine, terminalText } from '../../terminal-text.ts';
import type { GroupSendResult } from '../../../node/groups/group-service.ts';

/** How long `sotto group send` waits for the members' acks by default. */
const DEFAULT_GROUP_SEND_WAIT_SECONDS = 10;

/** The line `sotto group send` prints. */
export function groupSendText(r: GroupSendResult): string {
  if (r.status === 'delivered') return `delivered to ${r.delivered} of ${r.members}`;
  if (r.status === 'stored') return r.delivered > 0 ? `delivered to ${r.delivered} of ${r.members}, stored for ${r.stored} of ${r.members}` : `stored for ${r.stored} of ${r.members}`;
  return `queued for ${r.queued} of ${r.members}` + (r.delivered > 0 ? ` (delivered to ${r.delivered})` : '');
}

function listText(groups: GroupLine[]): string[] {
  return groups.map((g) => `${terminalLine(g.name)}  ${g.id}  ${g.members.map((m) => terminalLine(m.name ?? m.peerId)).join(', ')}`);
}

function historyText(m: GroupHistoryLine): string {
  return `${new Date(m.timestamp).toISOString()} ${m.direction === 'in' ? '<' : '>'} ${m.sender}: ${terminalText(m.text)}  [${m.status}]`;
}

export function registerGroup(program: Command, cli: Cli): void {
  const group = program.command('group').description('group conversations (needs the running node: "sotto start")')
    .addHelpText('after', '\nExamples:\n  $ sotto group create team alice bob\n  $ sotto group send team "hello all"\n  $ sotto group history team');
  group
    .command('create')
    .description('create a group with contacts; prints "created NAME <group id>"')
    .addHelpText('after', '\nExample:\n  $ sotto group create team alice bob\n  created team 5c1d…')
    .argument('<name>', 'the group name')
    .argument('[members...]', 'contacts to add')
    .option('--json', 'print {"name","id"}')
    .action(async (name: string, members: string[], options: { json?: boolean }) => {
      const created = await withApi(cli.home(), cli.clock, (api) => api.groupCreate(name, members));
      print(cli, created, options.json, () => [`created ${created.name} ${created.id}`]);
    });
  group
    .command('add')
    .description('add contacts to a group (an admin only)')
    .addHelpText('after', '\nExample:\n  $ sotto group add team carol')
    .argument('<name>', 'the group')
    .argument('<members...>', 'contacts to add')
    .action(async (name: string, members: string[]) => {
      await withApi(cli.home(), cli.clock, (api) => api.groupAdd(name, members));
      print(cli, { name }, false, () => [`added ${members.join(', ')} to ${name}`]);
    });
  group
    .command('remove')
    .description('remove a member from a group (an admin only)')
    .addHelpText('after', '\nExample:\n  $ sotto group remove team carol')
    .argument('<name>', 'the group')
    .argument('<member>', 'the contact to remove')
    .action(async (name: string, member: string) => {
      await withApi(cli.home(), cli.clock, (api) => api.groupRemove(name, member));
      print(cli, { name }, false, () => [`removed ${member} from ${name}`]);
    });
  group
    .command('leave')
    .description('leave a group')
    .addHelpText('after', '\nExample:\n  $ sotto group leave team')
    .argument('<name>', 'the group')
    .action(async (name: string) => {
      await withApi(cli.home(), cli.clock, (api) => api.groupLeave(name));
      print(cli, { name }, false, () => [`left ${name}`]);
    });
  group
    .command('list')
    .description('the groups this home is in, with members and admins')
    .addHelpText('after', '\nExample:\n  $ sotto group list --json')
    .option('--json', 'print [{"name","id","members":[{"name","peerId"}],"admins":[peerId]}]')
    .action(async (options: { json?: boolean }) => {
      const groups = await withApi(cli.home(), cli.clock, (api) => api.groupList());
      print(cli, groups, options.json, () => listText(groups));
    });
  group
    .command('send')
    .description('send a message to a group; prints "delivered to N of M" or "stored for K of M"')
    .addHelpText('after', '\nExamples:\n  $ sotto group send team "lunch at noon?" --wait 10\n  delivered to 2 of 2\n  $ sotto group send team --file minutes.pdf\n  delivered to 2 of 2')
    .argument('<name>', 'the group')
    .argument('[text]', 'the message (none with --file)')
    .option('--file <path>', `send a file or picture (up to 4 GiB); members fetch it from every member that has it`)
    .option('--json', 'print {"id","status","delivered","stored","queued","members"} (with --file also "size","inline")')
    .addOption(new Option('--wait <seconds>', 'how long to wait for delivery').default(DEFAULT_GROUP_SEND_WAIT_SECONDS).argParser(Number))
    .action(async (name: string, text: string | undefined, options: { json?: boolean; wait: number; file?: string }) => {
      if (!Number.isFinite(options.wait) || options.wait < 0) throw new RangeError('--wait takes a number of seconds');
      if (options.file !== undefined) {
        if (text !== undefined) throw new UsageError('group send', 'group send takes a text or --file PATH, not both');
        const path = resolve(options.file);
        const result = await withApi(cli.home(), cli.clock, (api) => api.groupSendFile(name, path, options.wait * MS_PER_SECOND));
        print(cli, result, options.json, () => [groupSendText(result)]);
        return;
      }
      if (text === undefined) throw new UsageError('group send', 'group send needs the text: sotto group send NAME TEXT, or sotto group send NAME --file PATH');
      const result = await withApi(cli.home(), cli.clock, (api) => api.groupSend(name, text, options.wait * MS_PER_SECOND));
      print(cli, result, options.json, () => [groupSendText(result)]);
    });
  group
    .command('history')
    .description('a group conversation, oldest first, with senders (peer ids)')
    .addHelpText('after', '\nExample:\n  $ sotto group history team --json')
    .argument('<name>', 'the group')
    .option('--json', 'print [{"id","sender","direction","text","timestamp","status"}]; a file message also "file":{"name","size","sha256","type","state"}')
    .action(async (name: string, options: { json?: boolean }) => {
      const lines = await withApi(cli.home(), cli.clock, (api) => api.groupHistory(name));
      print(cli, lines, options.json, () => lines.map(historyText));
    });
}
