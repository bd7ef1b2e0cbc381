/**
 * Text from another peer made safe for a terminal. A message, a name or an
 * error detail may carry escape sequences that a terminal would obey: OSC 0
 * retitles the window, OSC 52 writes the user's clipboard, OSC 8 turns text
 * into a disguised link, CSI moves the cursor and erases what is shown, and
 * bidirectional controls reorder what is read ("\u202Egnp.exe" reads
 * "exe.png"). What leaves here holds none of them:
 *
 * - escape sequences (ECMA-48) are removed whole, with their payload: CSI
 *   (ESC [ or U+009B) up to its final byte; OSC, DCS, SOS, PM and APC
 *   (ESC ] P X ^ _ or U+009D U+0090 U+0098 U+009E U+009F) up to BEL, ST
 *   (ESC \ or U+009C), the next ESC, or the end of the text; other escapes
 *   (ESC 7, ESC c, ESC ( B, …) with their intermediate and final bytes;
 * - every other C0 and C1 control and DEL is removed; a tab becomes a space;
 *   line breaks (LF, CR LF, a lone CR, U+2028, U+2029) become "\n" in
 *   {@link terminalText} and a space in {@link terminalLine};
 * - bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
 *   U+2066–U+2069) are shown as a visible marker, "⟨U+202E⟩";
 * - a lone surrogate becomes U+FFFD.
 *
 * Everything else passes unchanged, so the result measures as what it shows
 * (one column per character for the text Sotto lays out itself). Pure.
 */

const ESC = 0x1b;
const BEL = 0x07;
const DEL = 0x7f;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
/** C1 controls as single code points: CSI, ST, and the string introducers OSC, DCS, SOS, PM, APC. */
const C1_CSI = 0x9b;
const C1_ST = 0x9c;
const C1_STRINGS = new Set([0x9d, 0x90, 0x98, 0x9e, 0x9f]);
/** After ESC: the introducers of the string sequences OSC, DCS, SOS, PM, APC. */
const ESC_STRINGS = new Set([']', 'P', 'X', '^', '_']);
const LINE_SEPARATOR = 0x2028;
const PARAGRAPH_SEPARATOR = 0x2029;

/** Bidirectional controls (the Bidi_Control property). */
const BIDI_CONTROL = /\p{Bidi_Control}/u;

const inRange = (c: number, low: number, high: number): boolean => c >= low && c <= high;

/** The visible stand-in for an invisible or reordering code point: "⟨U+202E⟩". */
export function codePointMarker(c: string): string {
  return `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** Index after a CSI sequence whose parameters start at `i`: parameter bytes, intermediate bytes, one final byte. */
function skipCsi(s: string, i: number): number {
  while (i < s.length && inRange(s.charCodeAt(i), 0x30, 0x3f)) i++;
  while (i < s.length && inRange(s.charCodeAt(i), 0x20, 0x2f)) i++;
  if (i < s.length && inRange(s.charCodeAt(i), 0x40, 0x7e)) i++;
  return i;
}

/** Index after a control string whose payload starts at `i`: up to BEL or ST; an ESC that does not start ST ends it too (and is read next). */
function skipControlString(s: string, i: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BEL || c === C1_ST) return i + 1;
    if (c === ESC) return s[i + 1] === '\\' ? i + 2 : i;
  }
  return i;
}

/** Index after the escape sequence whose ESC is at `i`. */
function skipEscape(s: string, i: number): number {
  const next = s[i + 1];
  if (next === undefined) return i + 1;
  if (next === '[') return skipCsi(s, i + 2);
  if (ESC_STRINGS.has(next)) return skipControlString(s, i + 2);
  let j = i + 1;
  while (j < s.length && inRange(s.charCodeAt(j), 0x20, 0x2f)) j++;
  if (j < s.length && inRange(s.charCodeAt(j), 0x30, 0x7e)) return j + 1;
  // No final byte: the ESC and any intermediate bytes go, what follows is read as text.
  return j;
}

function sanitise(s: string, newline: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === ESC) {
      i = skipEscape(s, i);
    } else if (c === C1_CSI) {
      i = skipCsi(s, i + 1);
    } else if (C1_STRINGS.has(c)) {
      i = skipControlString(s, i + 1);
    } else if (c === LF || c === LINE_SEPARATOR || c === PARAGRAPH_SEPARATOR) {
      out += newline;
      i++;
    } else if (c === CR) {
      out += newline;
      i += s.charCodeAt(i + 1) === LF ? 2 : 1;
    } else if (c === TAB) {
      out += ' ';
      i++;
    } else if (c < 0x20 || inRange(c, DEL, 0x9f)) {
      i++;
    } else {
      const point = s.codePointAt(i)!;
      const char = String.fromCodePoint(point);
      if (inRange(point, 0xd800, 0xdfff)) out += '\uFFFD';
      else if (BIDI_CONTROL.test(char)) out += codePointMarker(char);
      else out += char;
      i += char.length;
    }
  }
  return out;
}

/**
 * Message text from another peer, safe to write to a terminal (see the
 * module comment); line breaks stay, as "\n".
 */
export function terminalText(text: string): string {
  return sanitise(text, '\n');
}

/**
 * One line of text from another peer (a name, an error detail), safe to
 * write to a terminal (see the module comment); line breaks become spaces.
 */
export function terminalLine(text: string): string {
  return sanitise(text, ' ');
}

/** Code points JSON.stringify leaves as they are but a terminal may act on: DEL, C1 controls, bidi controls, U+2028, U+2029. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `value` as one line of JSON that is also safe on a terminal: what
 * JSON.stringify leaves raw and a terminal could act on (DEL, C1 and bidi
 * controls, U+2028/U+2029) is written as a \uXXXX escape. JSON.parse gives
 * back exactly `value`.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
