/**
 * What a line typed into the chat means: a message to the open
 * conversation, or a slash command. Pure; the chat acts on the result.
 */

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
  /** Deletes the open request, or (with `confirm`) the open conversation on this device. */
  | { readonly kind: 'delete'; readonly confirm: boolean }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'none' }
  | { readonly kind: 'error'; readonly message: string };

/** The help shown by /help (each line fits 80 columns). */
export const CHAT_HELP = [
  'Enter sends to the open conversation; Up/Down pick a contact or request.',
  '/add INVITE [NAME]   add a contact from their invite (they run /invite)',
  '/add NAME PEERID     add a contact by peer id',
  '/invite              show your invite, to give to a contact',
  '/verify              show the safety number of the open conversation',
  '/verify yes          mark it verified once it matches on both devices',
  '/requests            open the first message request (someone not a contact)',
  '/accept [NAME]       make the open request a contact (NAME: yours for them)',
  '/block               delete the open request and refuse its sender from now on',
  '/delete              delete the open request (its sender may write again)',
  '/delete yes          delete the open conversation on this device only',
  '/quit                leave (the node stops with the chat); Ctrl-C too',
  '//text               send a message that starts with "/"',
];

/** Parses one input line. */
export function parseChatInput(line: string): ChatCommand {
  const text = line.trim();
  if (text === '') return { kind: 'none' };
  if (text.startsWith('//')) return { kind: 'send', text: text.slice(1) };
  if (!text.startsWith('/')) return { kind: 'send', text: line };
  const [command = '', ...args] = text.slice(1).split(/\s+/);
  switch (command) {
    case 'add':
      if (args.length === 1) return { kind: 'add', target: args[0]! };
      if (args.length === 2) return looksLikePeerId(args[1]!) ? { kind: 'add', target: args[1]!, name: args[0]! } : { kind: 'add', target: args[0]!, name: args[1]! };
      return { kind: 'error', message: 'usage: /add INVITE [NAME]  or  /add NAME PEERID' };
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
    case 'block':
      return args.length === 0 ? { kind: 'block' } : { kind: 'error', message: 'usage: /block (in a message request)' };
    case 'delete':
      if (args.length === 0) return { kind: 'delete', confirm: false };
      if (args.length === 1 && args[0] === 'yes') return { kind: 'delete', confirm: true };
      return { kind: 'error', message: 'usage: /delete  or  /delete yes' };
    case 'help':
      return { kind: 'help' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    default:
      return { kind: 'error', message: `unknown command /${command} (try /help)` };
  }
}

/** Peer ids in text form: base58btc multihash of an Ed25519 key. */
function looksLikePeerId(s: string): boolean {
  return /^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/.test(s);
}
