/** `sotto send` and `sotto history`. */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { FileSendLine } from '../../file-api.ts';
import type { HistoryLine } from '../../api.ts';
import { withApi } from '../../local.ts';
import { MS_PER_SECOND, print, type Cli } from '../cli.ts';
import { readMessageText } from '../stdin-text.ts';
import { UsageError } from '../usage.ts';
import { FILE_INLINE_MAX_BYTES, MAX_TEXT_BYTES } from '../../../node/constants.ts';
import { NOT_WAITING_REASON } from '../../../node/messaging/messenger.ts';
import { count, sizeText } from '../../plural.ts';
import { terminalLine, terminalText } from '../../terminal-text.ts';

/** How long `sotto send` waits for the recipient's ack by default. */
const DEFAULT_SEND_WAIT_SECONDS = 10;

export function registerMessages(program: Command, cli: Cli): void {
  program
    .command('send')
    .description('send a message; prints "delivered" once the recipient acked it, "stored: held by N mailboxes until T" when mailboxes hold it for an offline recipient, else "queued: <reason>" (or "failed: <reason>")')
    .argument('<name>', 'the contact')
    .argument('[text]', `the message; "-", or nothing when stdin is not a terminal, reads it from stdin (up to ${MAX_TEXT_BYTES} bytes; a final newline is dropped)`)
    .option('--file <path>', `send a file or picture (up to 4 GiB): one of at most ${FILE_INLINE_MAX_BYTES / 1024} KiB travels in the message (through mailboxes too), a larger one is fetched from this node while both are online`)
    .option('--json', 'print {"id","status","reason"} (with --file also "size","inline")')
    .addOption(new Option('--wait <seconds>', 'how long to wait for delivery').default(DEFAULT_SEND_WAIT_SECONDS).argParser(Number))
    .addHelpText(
      'after',
      `
Examples:
  $ sotto send bob "see you at eight"
  delivered
  $ sotto send bob - < notes.txt
  $ sotto send carol "hi" --wait 0 --json
  {"id":"...","status":"queued","reason":"${NOT_WAITING_REASON}"}
  $ sotto send bob --file holiday.jpg
  delivered`,
    )
    .action(async (name: string, text: string | undefined, options: { json?: boolean; wait: number; file?: string }) => {
      if (!Number.isFinite(options.wait) || options.wait < 0) throw new RangeError('--wait takes a number of seconds');
      if (options.file !== undefined) {
        if (text !== undefined) throw new UsageError('send', 'send takes a text or --file PATH, not both');
        const path = resolve(options.file);
        const result = await withApi(cli.home(), cli.clock, (api) => api.sendFile(name, path, options.wait * MS_PER_SECOND));
        print(cli, result, options.json, () => fileSendLines(name, result));
        return;
      }
      const fromStdin = text === '-' || (text === undefined && !process.stdin.isTTY);
      if (text === undefined && !fromStdin) throw new UsageError('send', 'send needs the text: sotto send NAME TEXT, or sotto send NAME - with the text on stdin');
      const message = fromStdin ? await readMessageText(process.stdin) : text!;
      const result = await withApi(cli.home(), cli.clock, (api) => api.send(name, message, options.wait * MS_PER_SECOND));
      print(cli, result, options.json, () => [result.status === 'delivered' || result.status === 'read' ? 'delivered' : `${result.status}: ${terminalLine(result.reason ?? '')}`]);
    });

  program
    .command('save')
    .description("write a received (or sent) file, decrypted, to DEST; a folder: under the file's name there. Refused while the file is incomplete or when DEST exists (--overwrite replaces it); a file whose digest does not match is never written")
    .argument('<message-id>', 'the id of the message that carries the file (history --json)')
    .argument('<dest>', 'where to write it')
    .option('--overwrite', 'replace DEST if it exists')
    .option('--json', 'print {"path","size"}')
    .addHelpText('after', '\nExample:\n  $ sotto save 3f2a… ~/Downloads\n  saved /home/me/Downloads/holiday.jpg (2.4 MiB)\n  $ sotto save 3f2a… holiday-copy.jpg --overwrite')
    .action(async (messageId: string, dest: string, options: { json?: boolean; overwrite?: boolean }) => {
      const target = resolve(dest);
      const saved = await withApi(cli.home(), cli.clock, (api) => api.saveFile(messageId, target, options.overwrite === true));
      print(cli, saved, options.json, () => [`saved ${terminalLine(saved.path)} (${sizeText(saved.size)})`]);
    });

  program
    .command('history')
    .description('show a conversation, oldest first (marks received messages read); terminal controls in messages are removed, bidi controls shown as ⟨U+202E⟩ (--json gives the exact text)')
    .argument('<name>', 'the contact')
    .option('--json', 'print [{"id","seq","direction","text","timestamp","status"}]; a file message also "file":{"name","size","sha256","type","state"}')
    .addHelpText('after', '\nExample:\n  $ sotto history bob\n  2026-11-24T08:00:00.000Z > see you at eight  [read]\n  2026-11-24T08:01:12.000Z < great  [received]')
    .action(async (name: string, options: { json?: boolean }) => {
      const lines = await withApi(cli.home(), cli.clock, (api) => api.history(name));
      print(cli, lines, options.json, () => lines.map(historyText));
    });
}

/** The human lines of a file send: the message's state, and for a file fetched from this node, that it waits for both to be online. */
function fileSendLines(name: string, result: FileSendLine): string[] {
  const state = result.status === 'delivered' || result.status === 'read' ? 'delivered' : `${result.status}: ${terminalLine(result.reason ?? '')}`;
  if (result.inline) return [state];
  return [state, `${terminalLine(name)} fetches the file (${sizeText(result.size)}) from this node while both are online: keep Sotto running here until "sotto history ${terminalLine(name)}" shows it complete`];
}

/** The human line of one message: time, direction, text (a file's name, with its size and state), state. */
export function historyText(m: HistoryLine): string {
  const state = m.mailboxes !== undefined ? `stored by ${count(m.mailboxes, 'mailbox', 'mailboxes')} until ${new Date(m.storedUntil!).toISOString()}` : m.reason ? `${m.status}: ${m.reason}` : m.status;
  const file = m.file ? ` (file, ${sizeText(m.file.size)}, ${m.file.state === 'partial' ? `${sizeText(m.file.received ?? 0)} received` : m.file.state === 'failed' ? `failed: ${terminalLine(m.file.reason ?? '')}` : m.file.state})` : '';
  return `${new Date(m.timestamp).toISOString()} ${m.direction === 'in' ? '<' : '>'} ${terminalText(m.text)}${file}  [${state}]`;
}
