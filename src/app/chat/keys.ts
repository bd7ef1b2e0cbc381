/**
 * What the terminal sends the chat, read into keys, typed text and pastes.
 * ink's useInput (6.8) hands its handlers pieces of stdin with no paste
 * boundaries, so the chat reads stdin itself (./terminal-input.ts) through
 * this reader. Pure and incremental: feed it chunks as they arrive.
 *
 * - Bracketed paste (the terminal wraps a paste in ESC[200~ … ESC[201~ once
 *   the chat sends ESC[?2004h) becomes one `paste`, line breaks and all,
 *   whatever the chunks. Only the first `limitBytes` (UTF-8) of a paste are
 *   kept: past them the reader only counts, so a paste of any size costs
 *   memory for the limit and time for one look at each chunk.
 * - Keys: Enter, Backspace, Delete, arrows, Home, End, PageUp, PageDown,
 *   Shift with the arrows, Ctrl with a letter (Ctrl-C among them), Tab,
 *   Escape, Alt with a key; escape sequences it does not know are dropped,
 *   never taken for text.
 * - Typed text comes as `text`. Without bracketed paste, a chunk where a
 *   line break is followed by more text in the same read is a paste too (no
 *   one types Enter and the next key within one read), so it becomes text
 *   with its line breaks, never several Enters; a line break at the end of
 *   a chunk is Enter.
 */

/** A key the chat acts on. */
export type KeyName = 'return' | 'newline' | 'backspace' | 'delete' | 'up' | 'down' | 'left' | 'right' | 'home' | 'end' | 'pageup' | 'pagedown' | 'tab' | 'escape';

/** One thing the terminal sent. */
export type TerminalInput =
  | { readonly kind: 'key'; readonly name: KeyName; readonly shift?: boolean; readonly meta?: boolean }
  /** Ctrl with a letter, `letter` in lower case ("c" for Ctrl-C). */
  | { readonly kind: 'ctrl'; readonly letter: string }
  /** Typed text (line breaks as "\n" when a chunk held a paste the terminal did not bracket). */
  | { readonly kind: 'text'; readonly text: string }
  /** A bracketed paste: `text` is all of it when `whole`, else its first part; `bytes` its full size in UTF-8. */
  | { readonly kind: 'paste'; readonly text: string; readonly bytes: number; readonly whole: boolean };

const ESC = '\x1b';
/** What the terminal sends before a paste in bracketed paste mode. */
export const PASTE_START = '\x1b[200~';
/** What it sends after the paste. */
export const PASTE_END = '\x1b[201~';

/** CSI and SS3 final bytes of the keys the chat knows (xterm, VT220, rxvt, the Linux console). */
const FINAL_KEYS: Readonly<Record<string, KeyName>> = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end', Z: 'tab' };
/** CSI "N~" keys. */
const TILDE_KEYS: Readonly<Record<string, KeyName>> = { '1': 'home', '7': 'home', '4': 'end', '8': 'end', '3': 'delete', '5': 'pageup', '6': 'pagedown', '2': 'escape' };

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Reads terminal input chunk by chunk. */
export class KeyReader {
  /** Unparsed input: an escape sequence cut by a chunk boundary. */
  private pending = '';
  /** Inside a bracketed paste: what is kept of it, its size, and the end of the last chunk (it may hold part of PASTE_END). */
  private paste: { kept: string[]; keptBytes: number; bytes: number; whole: boolean; tail: string } | undefined;

  /** @param limitBytes how much of one paste is kept (more is counted, not kept) */
  constructor(private readonly limitBytes: number) {}

  /** True when input waits for more (an ESC that may start a sequence): call {@link flush} if nothing comes soon. */
  get waiting(): boolean {
    return this.pending !== '' && this.paste === undefined;
  }

  /** Reads one chunk; returns what it completed. */
  push(chunk: string): TerminalInput[] {
    const out: TerminalInput[] = [];
    let data = this.pending + chunk;
    this.pending = '';
    while (data !== '') {
      if (this.paste) {
        data = this.readPaste(data, out);
        continue;
      }
      data = this.readKeys(data, out);
    }
    return out;
  }

  /** Nothing more came: what waited is the Escape key (a sequence cut short is dropped with it). */
  flush(): TerminalInput[] {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [{ kind: 'key', name: 'escape' }];
  }

  /** Consumes paste content from `data`; returns what follows the paste (or ''). */
  private readPaste(data: string, out: TerminalInput[]): string {
    const paste = this.paste!;
    const text = paste.tail + data;
    const end = text.indexOf(PASTE_END);
    if (end === -1) {
      // Keep back what could be the start of PASTE_END.
      const keep = Math.min(PASTE_END.length - 1, text.length);
      this.keepPaste(text.slice(0, text.length - keep));
      paste.tail = text.slice(text.length - keep);
      return '';
    }
    this.keepPaste(text.slice(0, end));
    this.paste = undefined;
    out.push({ kind: 'paste', text: paste.kept.join(''), bytes: paste.bytes, whole: paste.whole });
    return text.slice(end + PASTE_END.length);
  }

  private keepPaste(part: string): void {
    const paste = this.paste!;
    if (part === '') return;
    const bytes = utf8Bytes(part);
    paste.bytes += bytes;
    if (!paste.whole) return;
    if (paste.keptBytes + bytes > this.limitBytes) {
      paste.whole = false;
      return;
    }
    paste.kept.push(part);
    paste.keptBytes += bytes;
  }

  /** Reads keys and text from the start of `data` up to a paste or the end; returns the rest. */
  private readKeys(data: string, out: TerminalInput[]): string {
    let i = 0;
    let text = '';
    const flushText = (): void => {
      if (text !== '') out.push({ kind: 'text', text });
      text = '';
    };
    while (i < data.length) {
      const c = data[i]!;
      if (c === ESC) {
        if (data.startsWith(PASTE_START, i)) {
          flushText();
          this.paste = { kept: [], keptBytes: 0, bytes: 0, whole: true, tail: '' };
          return data.slice(i + PASTE_START.length);
        }
        const sequence = readEscape(data, i);
        if (sequence === undefined) {
          // Cut by the chunk boundary: wait for the rest.
          flushText();
          this.pending = data.slice(i);
          return '';
        }
        flushText();
        if (sequence.input) out.push(sequence.input);
        i = sequence.next;
        continue;
      }
      if (c === '\r' || c === '\n') {
        // A line break with more text after it in the same read is pasted text; at the end of a read it is Enter.
        const next = c === '\r' && data[i + 1] === '\n' ? i + 2 : i + 1;
        if (next < data.length && isPrintable(data.charCodeAt(next))) {
          text += '\n';
          i = next;
          continue;
        }
        flushText();
        // Ctrl-J (a lone LF) puts a line break in the box; Enter (CR) sends it.
        out.push({ kind: 'key', name: c === '\n' ? 'newline' : 'return' });
        i = next;
        continue;
      }
      const code = c.charCodeAt(0);
      if (code === 0x7f || code === 0x08) {
        flushText();
        out.push({ kind: 'key', name: 'backspace' });
      } else if (code === 0x09) {
        flushText();
        out.push({ kind: 'key', name: 'tab' });
      } else if (code >= 0x01 && code <= 0x1a) {
        flushText();
        out.push({ kind: 'ctrl', letter: String.fromCharCode(code + 0x60) });
      } else if (isPrintable(code)) {
        text += c;
      }
      i++;
    }
    flushText();
    return '';
  }
}

/** Not a C0 control, DEL or C1 control. */
function isPrintable(code: number): boolean {
  return code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code <= 0x9f);
}

/**
 * The escape sequence at `data[at]` (an ESC): what it means (nothing for
 * one the chat does not know) and where it ends; undefined when the data
 * ends inside it.
 */
function readEscape(data: string, at: number): { input: TerminalInput | undefined; next: number } | undefined {
  const kind = data[at + 1];
  if (kind === undefined) return undefined;
  if (kind === '[' || kind === 'O') {
    let j = at + 2;
    // Parameter and intermediate bytes, then one final byte.
    while (j < data.length && data.charCodeAt(j) >= 0x20 && data.charCodeAt(j) <= 0x3f) j++;
    if (j >= data.length) return undefined;
    const final = data[j]!;
    const params = data.slice(at + 2, j);
    return { input: csiKey(params, final), next: j + 1 };
  }
  // Alt-Enter puts a line break in the box; Alt-Backspace is Backspace with meta.
  if (kind === '\r') return { input: { kind: 'key', name: 'newline' }, next: at + 2 };
  if (kind === '\x7f') return { input: { kind: 'key', name: 'backspace', meta: true }, next: at + 2 };
  // Escape, then whatever follows is read as itself (Alt with a letter types the letter).
  return { input: { kind: 'key', name: 'escape' }, next: at + 1 };
}

/** The key of a CSI or SS3 sequence with `params` and `final`, if the chat knows it. */
function csiKey(params: string, final: string): TerminalInput | undefined {
  const [first = '', modifier = ''] = params.split(';');
  // xterm modifiers: 1 + (Shift 1, Alt 2, Ctrl 4).
  const mods = modifier === '' ? 0 : Number(modifier) - 1;
  const shift = (mods & 1) !== 0;
  const meta = (mods & 2) !== 0;
  const name = final === '~' ? TILDE_KEYS[first] : FINAL_KEYS[final];
  if (name === undefined) return undefined;
  if (final === 'Z') return { kind: 'key', name: 'tab', shift: true };
  return { kind: 'key', name, ...(shift ? { shift } : {}), ...(meta ? { meta } : {}) };
}
