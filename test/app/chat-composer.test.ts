/**
 * The chat's input and text layout as plain functions: the terminal reader
 * (keys, bracketed pastes of any size), the draft (edits by grapheme
 * cluster, the message limit, rows of the box), widths and wrapping in
 * terminal columns, what the box held means (/add with a broken invite),
 * and scrolling through loaded pages.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryLine } from '../../src/app/api.ts';
import { parseChatInput } from '../../src/app/chat/commands.ts';
import { draftRows, editDraft, EMPTY_DRAFT, insertText, MessageTooLongError, type Draft } from '../../src/app/chat/composer.ts';
import { withNewestPage, withOlderPage, EMPTY_WINDOW } from '../../src/app/chat/history-window.ts';
import { KeyReader, PASTE_END, PASTE_START, type TerminalInput } from '../../src/app/chat/keys.ts';
import { paneView, scrollPane } from '../../src/app/chat/scroll.ts';
import { fitText, textWidth, wrapText } from '../../src/app/chat/width.ts';
import { MAX_TEXT_BYTES } from '../../src/node/constants.ts';

const FAMILY = '👨\u200d👩\u200d👧';
const INVITE = `SOTTO:${'A'.repeat(70)}${'B2'.repeat(40)}${'C7'.repeat(20)}`;

describe('terminal reader', () => {
  test('keys, Ctrl with a letter, typed text; unknown escape sequences are dropped, never typed', () => {
    const reader = new KeyReader(1024);
    const read = reader.push('hi\x1b[A\x1b[1;2B\x1b[5~\x1b[6~\x7f\x03\x1b[99zok\x1bOH');
    assert.deepEqual(read, [
      { kind: 'text', text: 'hi' },
      { kind: 'key', name: 'up' },
      { kind: 'key', name: 'down', shift: true },
      { kind: 'key', name: 'pageup' },
      { kind: 'key', name: 'pagedown' },
      { kind: 'key', name: 'backspace' },
      { kind: 'ctrl', letter: 'c' },
      { kind: 'text', text: 'ok' },
      { kind: 'key', name: 'home' },
    ]);
  });

  test('an escape sequence cut between two reads is one key; a lone ESC is Escape once nothing follows', () => {
    const reader = new KeyReader(1024);
    assert.deepEqual(reader.push('a\x1b['), [{ kind: 'text', text: 'a' }]);
    assert.equal(reader.waiting, true);
    assert.deepEqual(reader.push('D'), [{ kind: 'key', name: 'left' }]);
    assert.deepEqual(reader.push('\x1b'), []);
    assert.deepEqual(reader.flush(), [{ kind: 'key', name: 'escape' }]);
  });

  test('Enter at the end of a read sends; line breaks followed by more text in one read are a paste the terminal did not bracket', () => {
    const reader = new KeyReader(1024);
    assert.deepEqual(reader.push('hello\r'), [{ kind: 'text', text: 'hello' }, { kind: 'key', name: 'return' }]);
    assert.deepEqual(reader.push('line one\rline two\r\nline three'), [{ kind: 'text', text: 'line one\nline two\nline three' }]);
    assert.deepEqual(reader.push('\n'), [{ kind: 'key', name: 'newline' }], 'Ctrl-J');
    assert.deepEqual(reader.push('\x1b\r'), [{ kind: 'key', name: 'newline' }], 'Alt-Enter');
  });

  test('a bracketed paste is one input, line breaks and escape-looking text included, however it is cut into reads', () => {
    const pasted = 'first\r\nsecond \x1b[31mred\x1b[0m\rthird';
    const stream = `x${PASTE_START}${pasted}${PASTE_END}\r`;
    for (let cut = 1; cut < stream.length; cut++) {
      const reader = new KeyReader(1024);
      const inputs: TerminalInput[] = [...reader.push(stream.slice(0, cut)), ...reader.push(stream.slice(cut))];
      assert.deepEqual(inputs, [{ kind: 'text', text: 'x' }, { kind: 'paste', text: pasted, bytes: Buffer.byteLength(pasted), whole: true }, { kind: 'key', name: 'return' }], `cut at ${cut}`);
    }
  });

  test('a paste past the limit: only up to the limit is kept, the rest is counted', () => {
    const reader = new KeyReader(MAX_TEXT_BYTES);
    const chunk = 'x'.repeat(64 * 1024);
    const out: TerminalInput[] = [...reader.push(PASTE_START)];
    // 16 MiB in 64 KiB reads: only the limit is held.
    for (let i = 0; i < 256; i++) out.push(...reader.push(chunk));
    out.push(...reader.push(`${PASTE_END}y`));
    assert.equal(out.length, 2);
    const paste = out[0]!;
    assert.equal(paste.kind, 'paste');
    if (paste.kind !== 'paste') return;
    assert.equal(paste.whole, false);
    assert.equal(paste.bytes, 256 * 64 * 1024);
    assert.ok(paste.text.length <= MAX_TEXT_BYTES);
    assert.deepEqual(out[1], { kind: 'text', text: 'y' });
  });
});

describe('draft', () => {
  const typed = (text: string, cursor = text.length): Draft => ({ text, cursor, bytes: Buffer.byteLength(text) });

  test('typing, moving and erasing step over whole clusters: an emoji joined by ZWJ, a combining mark', () => {
    let draft = insertText(EMPTY_DRAFT, `a${FAMILY}e\u0301`);
    assert.equal(draft.cursor, draft.text.length);
    draft = editDraft(draft, 'left');
    assert.equal(draft.text.slice(draft.cursor), 'e\u0301');
    draft = editDraft(draft, 'backspace');
    assert.equal(draft.text, 'ae\u0301');
    assert.equal(draft.bytes, Buffer.byteLength('ae\u0301'));
    draft = editDraft(editDraft(draft, 'home'), 'delete');
    assert.deepEqual(draft, typed('e\u0301', 0));
    draft = editDraft(editDraft(draft, 'right'), 'right');
    assert.equal(draft.cursor, 2, 'no step past the end');
  });

  test('Home and End go to the ends of the cursor’s line; a new line splits it', () => {
    let draft = insertText(EMPTY_DRAFT, 'one\ntwo');
    draft = editDraft(draft, 'home');
    assert.equal(draft.cursor, 4);
    draft = editDraft(draft, 'newline');
    assert.equal(draft.text, 'one\n\ntwo');
    assert.equal(editDraft(draft, 'end').cursor, 8);
    assert.deepEqual(editDraft(draft, 'clear'), EMPTY_DRAFT);
  });

  test('text comes in as it will be shown and sent: line breaks as "\\n", tabs as spaces, no escape sequences', () => {
    assert.equal(insertText(EMPTY_DRAFT, 'a\r\nb\rc\td\x1b]0;title\x07e\x1b[31m').text, 'a\nb\nc de');
  });

  test('the message limit: an edit past it is refused with the draft as it was', () => {
    const full = insertText(EMPTY_DRAFT, 'x'.repeat(MAX_TEXT_BYTES - 1));
    const last = insertText(full, 'y');
    assert.equal(last.bytes, MAX_TEXT_BYTES);
    assert.throws(
      () => insertText(last, 'z'),
      (err: unknown) => err instanceof MessageTooLongError && err.bytes === MAX_TEXT_BYTES + 1 && err.limit === MAX_TEXT_BYTES,
    );
    assert.throws(() => insertText(full, '€'), MessageTooLongError, 'a three-byte character does not fit in one byte');
  });

  test('the box: rows of its width, the cursor on the last row shown, at most the rows it may take', () => {
    const view = draftRows(typed('0123456789abcdefghij'), 8, 3);
    assert.deepEqual(view.rows, [{ text: '01234567' }, { text: '89abcdef' }, { text: 'ghij', cursor: 4 }]);
    const full = draftRows(typed('01234567'), 8, 3);
    assert.deepEqual(full.rows, [{ text: '01234567' }, { text: '', cursor: 0 }], 'the cursor takes a column of its own');
    assert.deepEqual(draftRows(typed('a\n\nb', 2), 10, 3).rows, [{ text: 'a' }, { text: '', cursor: 0 }, { text: 'b' }], 'an empty line is a row');
    assert.deepEqual(draftRows(typed('0123456789abcdef', 8), 8, 3).rows, [{ text: '01234567' }, { text: '89abcdef', cursor: 0 }]);
    assert.deepEqual(draftRows(typed('é123456789abcdef', 8), 8, 3).rows, [{ text: 'é1234567' }, { text: '89abcdef', cursor: 0 }], 'the same rows without the ASCII shortcut');
    const long = draftRows(typed(['l1', 'l2', 'l3', 'l4', 'l5'].join('\n'), 0), 10, 2);
    assert.deepEqual(long.rows, [{ text: 'l1', cursor: 0 }, { text: 'l2' }]);
    assert.deepEqual([long.above, long.below], [false, true]);
    const wide = draftRows(typed(`${FAMILY}${FAMILY}${FAMILY}中文`), 5, 4);
    assert.ok(wide.rows.every((r) => textWidth(r.text) <= 5));
    assert.equal(wide.rows.map((r) => r.text).join(''), `${FAMILY}${FAMILY}${FAMILY}中文`);
  });
});

describe('widths and wrapping', () => {
  test('terminal columns: wide characters two, an emoji joined by ZWJ two, a combining mark none', () => {
    assert.equal(textWidth('abc'), 3);
    assert.equal(textWidth('中文'), 4);
    assert.equal(textWidth(FAMILY), 2);
    assert.equal(textWidth('e\u0301'), 1);
  });

  test('wrapping keeps every line within the width in columns, splits no cluster, loses nothing', () => {
    const text = `the quick brown fox ${FAMILY} jumps 中文中文中文 over ${'x'.repeat(30)} e\u0301e\u0301`;
    const lines = wrapText(text, 12);
    assert.ok(lines.every((l) => textWidth(l) <= 12), JSON.stringify(lines));
    assert.equal(lines.join('').replace(/ /g, ''), text.replace(/ /g, ''));
    assert.deepEqual(wrapText('a\n\nb', 10), ['a', '', 'b']);
  });

  test('a name cut to a column is cut in columns', () => {
    assert.equal(fitText('中文中文中文', 7), '中文中…');
    assert.equal(fitText('short', 7), 'short');
  });
});

describe('what the box held', () => {
  test('a message keeps its line breaks, less blank lines at either end', () => {
    assert.deepEqual(parseChatInput('\nline one\n  line two\n\n'), { kind: 'send', text: 'line one\n  line two' });
  });

  test('/add takes an invite broken over lines or spaces, with or without a name', () => {
    const lines = [INVITE.slice(0, 76), INVITE.slice(76, 152), INVITE.slice(152)];
    assert.deepEqual(parseChatInput(`/add ${lines.join('\n')}`), { kind: 'add', target: INVITE });
    assert.deepEqual(parseChatInput(`/add ${lines.join(' ')} Robert`), { kind: 'add', target: INVITE, name: 'Robert' });
    assert.deepEqual(parseChatInput(`/add\n${lines.join('\n')}\n`), { kind: 'add', target: INVITE });
  });
});

describe('conversation pages and scrolling', () => {
  const message = (seq: number, text = `message ${seq}`): HistoryLine => ({ id: `id${seq}`, seq, direction: 'in', text, timestamp: 0, status: 'read' });
  const range = (from: number, to: number): HistoryLine[] => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));

  test('a fresh newest page replaces the newest messages and keeps older pages; an older page goes in front', () => {
    let window = withNewestPage(EMPTY_WINDOW, range(101, 200), 100);
    assert.equal(window.complete, false);
    window = withOlderPage(window, range(51, 100), 100);
    assert.deepEqual([window.messages.length, window.complete], [150, true]);
    const kept = window.messages[120];
    window = withNewestPage(window, range(102, 201), 100);
    assert.equal(window.messages.length, 151);
    assert.equal(window.messages[0]!.seq, 51);
    assert.equal(window.messages.at(-1)!.seq, 201);
    assert.equal(window.messages[120], kept, 'an unchanged message keeps its object (and its wrapped lines)');
    assert.deepEqual(withNewestPage(window, [], 100).messages, [], 'a conversation deleted');
  });

  test('a position is held by a message: newer messages below and older pages above leave the view in place', () => {
    const messages = range(50, 100);
    const position = scrollPane(messages, 40, 5, undefined, 10);
    const before = paneView(messages, 40, 5, position);
    assert.equal(before.lines.at(-1)!.text.includes('message 90'), true);
    assert.equal(before.rowsBelow, 10);
    const after = paneView([...range(1, 49), ...messages, ...range(101, 120)], 40, 5, position);
    assert.deepEqual(after.lines, before.lines);
    assert.equal(scrollPane(messages, 40, 5, position, -10), undefined, 'back down at the newest: following again');
    assert.equal(paneView(messages, 40, 5, scrollPane(messages, 40, 5, undefined, 1000)).rowsAbove, 0, 'no further than the oldest');
  });
});
