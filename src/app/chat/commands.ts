/**
 * What the box held when Enter was pressed means: a message to the open
 * conversation (line breaks and all), or a slash command. Pure; the chat
 * acts on the result.
 */
import { INVITE_PREFIX } from '../../node/constants.ts';

/** A piece of an invite broken over lines or spaces: its base32 alphabet (RFC 4648, upper case). */
const INVITE_PIECE = /^[A-Z2-7]+$/;

/** A parsed input line. */
export type ChatCommand =
  | { readonly kind: 'send'; readonly text: string }
  | { readonly kind: 'add'; readonly target: string; readonly name?: string }
  | { readonly kind: 'invite' }
  | { readonly kind: 'verify'; readonly confirm: boolean }
  /** Opens the oldest message request. */
  | { readonly kind: 'requests' }
  /** Accepts the open request, as `name` (absent: the name it claims). */
  | { readonly kind: 'accept'; readonly name?: string }
  | { readonly kind: 'block' }
  /** Joins the group the open request invites to. */
  | { readonly kind: 'join' }
  /** Deletes the open request, or (with `confirm`) the open conversation on this device. */
  | { readonly kind: 'delete'; readonly confirm: boolean }
  /** Creates a group of contacts and opens it. */
  | { readonly kind: 'group-create'; readonly name: string; readonly members: readonly string[] }
  /** Adds contacts to, or removes one from, the open group. */
  | { readonly kind: 'group-add'; readonly members: readonly string[] }
  | { readonly kind: 'group-remove'; readonly member: string }
  | { readonly kind: 'group-leave' }
  /** Shows the open group's members. */
  | { readonly kind: 'members' }
  /** Sends the file at `path` (as typed: the chat resolves `~` and relative paths) to the open conversation. */
  | { readonly kind: 'send-file'; readonly path: string }
  /** Saves the `nth` newest file of the open conversation (1: the newest) to `dest` (as typed; absent: the default folder). */
  | { readonly kind: 'save'; readonly nth: number; readonly dest?: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'none' }
  | { readonly kind: 'error'; readonly message: string };

/** The help shown by /help (each line fits 80 columns; the view wraps narrower ones). */
export const CHAT_HELP = [
  'Enter sends the box (a paste is one message); Alt-Enter or Ctrl-J: new line.',
  'Up/Down: contacts and requests; PgUp/PgDn, Shift-Up/Down: scroll back.',
  '/add INVITE [NAME]   add a contact from their invite (they run /invite)',
  '/add NAME PEERID     add a contact by peer id',
  '/invite              show your invite, to give to a contact',
  '/verify              show the safety number of the open conversation',
  '/verify yes          mark it verified once it matches on both devices',
  '/requests            open the first message request (someone not a contact)',
  '/accept [NAME]       make the open request a contact (NAME: yours for them)',
  '/join                join the group the open request invites you to',
  '/block               delete the open request and refuse its sender from now on',
  '/delete              delete the open request (its sender may write again)',
  '/delete yes          delete the open conversation on this device only',
  '/group create NAME MEMBER...  a group with these contacts (one word each)',
  '/group add MEMBER... add contacts to the open group (an admin only)',
  '/group remove MEMBER remove a member from the open group (an admin only)',
  '/group leave         leave the open group (its history stays here)',
  '/members             show the open group\'s members and admins',
  '/send-file PATH      send a file (up to 4 GiB) to the open conversation',
  '/save [DEST]         save its newest file (default: ~/Downloads, else here)',
  '/save N [DEST]       save the Nth newest file (/save 2: the one before)',
  '/quit                leave (the node stops with the chat); Ctrl-C too',
  '//text               send a message that starts with "/"',
];

/**
 * Parses what the box held. A message keeps its line breaks, less blank
 * lines at either end; a command's arguments are separated by spaces or
 * line breaks.
 */
export function parseChatInput(input: string): ChatCommand {
  const text = input.trim();
  if (text === '') return { kind: 'none' };
  if (text.startsWith('//')) return { kind: 'send', text: text.slice(1) };
  if (!text.startsWith('/')) return { kind: 'send', text: input.replace(/^(?:[ \t]*\n)+/, '').replace(/(?:\n[ \t]*)+$/, '') };
  const [command = '', ...args] = text.slice(1).split(/\s+/);
  switch (command) {
    case 'add':
      return parseAdd(args);
    case 'invite':
      return { kind: 'invite' };
    case 'verify':
      if (args.length === 0) return { kind: 'verify', confirm: false };
      if (args.length === 1 && args[0] === 'yes') return { kind: 'verify', confirm: true };
      return { kind: 'error', message: 'usage: /verify  or  /verify yes' };
    case 'requests':
      return { kind: 'requests' };
    case 'accept': {
      // A name may hold spaces: it is the rest of the line.
      const name = text.slice('/accept'.length).trim();
      return name === '' ? { kind: 'accept' } : { kind: 'accept', name };
    }
    case 'join':
      return args.length === 0 ? { kind: 'join' } : { kind: 'error', message: 'usage: /join (in a request that invites you to a group)' };
    case 'block':
      return args.length === 0 ? { kind: 'block' } : { kind: 'error', message: 'usage: /block (in a message request)' };
    case 'delete':
      if (args.length === 0) return { kind: 'delete', confirm: false };
      if (args.length === 1 && args[0] === 'yes') return { kind: 'delete', confirm: true };
      return { kind: 'error', message: 'usage: /delete  or  /delete yes' };
    case 'group':
      return parseGroup(args);
    case 'members':
      return args.length === 0 ? { kind: 'members' } : { kind: 'error', message: 'usage: /members (in a group)' };
    case 'send-file': {
      const path = unquotePath(text.slice('/send-file'.length));
      return path === '' ? { kind: 'error', message: 'usage: /send-file PATH' } : { kind: 'send-file', path };
    }
    case 'save':
      return parseSave(text.slice('/save'.length).trim());
    case 'help':
      return { kind: 'help' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    default:
      return { kind: 'error', message: `unknown command /${command} (try /help)` };
  }
}

/**
 * `/add INVITE [NAME]` or `/add NAME PEERID`. An invite may come broken
 * over lines or spaces (the chat's /invite shows it on several lines): the
 * pieces after "SOTTO:…" written only in its alphabet are joined to it, and
 * what follows is the name (so a name after a broken invite needs a
 * character outside A–Z and 2–7, a small letter for one).
 */
function parseAdd(args: readonly string[]): ChatCommand {
  const usage: ChatCommand = { kind: 'error', message: 'usage: /add INVITE [NAME]  or  /add NAME PEERID' };
  if (args.length === 2 && looksLikePeerId(args[1]!)) return { kind: 'add', target: args[1]!, name: args[0]! };
  const [first] = args;
  if (first === undefined) return usage;
  let end = 1;
  if (first.startsWith(INVITE_PREFIX)) while (end < args.length && INVITE_PIECE.test(args[end]!)) end++;
  const target = args.slice(0, end).join('');
  const name = args.slice(end).join(' ');
  return name === '' ? { kind: 'add', target } : { kind: 'add', target, name };
}

/** `/group create NAME MEMBER...`, `/group add MEMBER...`, `/group remove MEMBER`, `/group leave`. */
function parseGroup(args: readonly string[]): ChatCommand {
  const [verb, ...rest] = args;
  switch (verb) {
    case 'create':
      return rest.length >= 1 ? { kind: 'group-create', name: rest[0]!, members: rest.slice(1) } : { kind: 'error', message: 'usage: /group create NAME MEMBER...' };
    case 'add':
      return rest.length >= 1 ? { kind: 'group-add', members: rest } : { kind: 'error', message: 'usage: /group add MEMBER... (in a group)' };
    case 'remove':
      return rest.length === 1 ? { kind: 'group-remove', member: rest[0]! } : { kind: 'error', message: 'usage: /group remove MEMBER (in a group)' };
    case 'leave':
      return rest.length === 0 ? { kind: 'group-leave' } : { kind: 'error', message: 'usage: /group leave (in a group)' };
    default:
      return { kind: 'error', message: 'usage: /group create NAME MEMBER...  /group add MEMBER...  /group remove MEMBER  /group leave' };
  }
}

/**
 * A path as typed or dropped on the terminal: the rest of the line, less
 * the quotes around it ('…' or "…", as terminals paste dropped files) and
 * the backslashes before spaces ("my\\ photo.jpg").
 */
function unquotePath(typed: string): string {
  const path = typed.trim();
  const quoted = /^(['"])(.*)\1$/s.exec(path);
  return quoted ? quoted[2]! : path.replace(/\\ /g, ' ');
}

/** `/save`, `/save DEST`, `/save N`, `/save N DEST` (N: a whole number from 1; a folder named like one is written ./2). */
function parseSave(rest: string): ChatCommand {
  const numbered = /^(\d+)(?:\s+([^]*))?$/.exec(rest);
  if (numbered) {
    const nth = Number(numbered[1]);
    if (!Number.isSafeInteger(nth) || nth < 1) return { kind: 'error', message: 'usage: /save [DEST]  or  /save N [DEST] (N from 1: the newest file)' };
    const dest = unquotePath(numbered[2] ?? '');
    return dest === '' ? { kind: 'save', nth } : { kind: 'save', nth, dest };
  }
  const dest = unquotePath(rest);
  return dest === '' ? { kind: 'save', nth: 1 } : { kind: 'save', nth: 1, dest };
}

/** Peer ids in text form: base58btc multihash of an Ed25519 key. */
function looksLikePeerId(s: string): boolean {
  return /^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/.test(s);
}
