/**
 * `sotto requests`: people who are not contacts and wrote. Their messages are
 * held apart until the user accepts them (they become a contact), blocks
 * them (refused from then on) or deletes the request.
 */
import type { Command } from 'commander';
import type { RequestLine } from '../../api.ts';
import { withApi } from '../../local.ts';
import { displayName } from '../../display-name.ts';
import { count } from '../../plural.ts';
import { print, type Cli } from '../cli.ts';
import { historyText } from './messages.ts';

/** The human line of one request: peer id, the name it claims (unverified), what it left. */
function requestText(r: RequestLine): string {
  const name = r.claimedName === null ? 'no name given' : `says it is "${displayName(r.claimedName)}" (unverified${r.looksLike === undefined ? '' : `; looks like your contact "${displayName(r.looksLike)}"`})`;
  return `${r.peerId}\t${name}\t${count(r.messages, 'message')}\tlast ${new Date(r.lastAt).toISOString()}`;
}

export function registerRequests(program: Command, cli: Cli): void {
  const requests = program
    .command('requests')
    .description('message requests: people who are not your contacts and wrote to you (list; show, accept, block, delete one)')
    .option('--json', 'print [{"peerId","claimedName","messages","bytes","firstAt","lastAt"}] (plus "looksLike": the contact a claimed name is or looks like)')
    .addHelpText('after', '\nExamples:\n  $ sotto requests\n  12D3KooW...\tsays it is "carol" (unverified)\t1 message\tlast 2026-12-06T08:00:00.000Z\n  $ sotto requests show 12D3KooW...\n  $ sotto requests accept 12D3KooW... carol\n  $ sotto requests block 12D3KooW...')
    .action(async (options: { json?: boolean }) => {
      const list = await withApi(cli.home(), cli.clock, (api) => api.listRequests());
      print(cli, list, options.json, () => (list.length === 0 ? ['no message requests'] : list.map(requestText)));
    });

  requests
    .command('show')
    .description('show what a request says (the sender is not told it was read)')
    .argument('<peerId>', 'who wrote (from "sotto requests")')
    .option('--json', 'print [{"id","seq","direction","text","timestamp","status"}]')
    .addHelpText('after', '\nExample:\n  $ sotto requests show 12D3KooW...\n  2026-12-06T08:00:00.000Z < hi, it is carol from the office  [received]')
    .action(async (peerId: string, options: { json?: boolean }) => {
      const lines = await withApi(cli.home(), cli.clock, (api) => api.requestHistory(peerId));
      print(cli, lines, options.json, () => lines.map(historyText));
    });

  requests
    .command('accept')
    .description('accept a request: the sender becomes a contact (unverified) named NAME, or the name it claims')
    .argument('<peerId>', 'who wrote')
    .argument('[name]', 'the name you give them (default: the name they claim, if no contact has it)')
    .option('--json', 'print {"name","peerId","verified","added"}')
    .addHelpText('after', '\nExample:\n  $ sotto requests accept 12D3KooW... carol\n  accepted carol 12D3KooW...')
    .action(async (peerId: string, name: string | undefined, options: { json?: boolean }) => {
      const contact = await withApi(cli.home(), cli.clock, (api) => api.acceptRequest(peerId, name ?? null));
      print(cli, contact, options.json, () => [`accepted ${displayName(contact.name)} ${contact.peerId}`]);
    });

  requests
    .command('block')
    .description('block a peer that is not a contact: its request is deleted and whatever it sends is refused')
    .argument('<peerId>', 'who to block')
    .addHelpText('after', '\nExample:\n  $ sotto requests block 12D3KooW...\n  blocked 12D3KooW...')
    .action(async (peerId: string) => {
      const blocked = await withApi(cli.home(), cli.clock, (api) => api.blockPeer(peerId));
      cli.out(`blocked ${blocked.peerId}`);
    });

  requests
    .command('delete')
    .description('delete a request and its messages (the sender may write again)')
    .argument('<peerId>', 'whose request')
    .addHelpText('after', '\nExample:\n  $ sotto requests delete 12D3KooW...\n  deleted the request of 12D3KooW...')
    .action(async (peerId: string) => {
      const deleted = await withApi(cli.home(), cli.clock, (api) => api.deleteRequest(peerId));
      cli.out(`deleted the request of ${deleted.peerId}`);
    });
}
