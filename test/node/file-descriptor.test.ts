/**
 * The file descriptor (src/node/encoding/file-descriptor.ts, docs/PROTOCOL.md
 * §25) and the inline chunk (src/node/encoding/inline-file.ts): a round trip
 * in a payload and a group plaintext, every rule refused by the decoder
 * with its reason, the sender's checks and the media type table, and
 * checkInlineChunk's three checks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer, type Bytes } from '../../src/crypto/bytes.ts';
import { FILE_INLINE_MAX_BYTES, FILE_MAX_BYTES, MAX_FILE_NAME_BYTES } from '../../src/node/constants.ts';
import { encodeFileDescriptor, mediaTypeOf, readFileDescriptor, validateFileName, type FileDescriptor } from '../../src/node/encoding/file-descriptor.ts';
import { checkInlineChunk, describeInlineFile, inlineFileFailure } from '../../src/node/encoding/inline-file.ts';
import { decodePayload, encodePayload } from '../../src/node/messaging/payload.ts';
import { decodeGroupPlaintext, encodeGroupPlaintext, plaintextOf } from '../../src/node/groups/group-plaintext.ts';
import { descriptorOf, storedFile } from '../../src/node/store/file-record.ts';
import { decodeMessage, encodeJson } from '../../src/node/store/records.ts';
import { decodeGroupMessage, type GroupMessageRecord } from '../../src/node/store/group-records.ts';
import { testContext } from '../helpers/context.ts';

const ctx = testContext('file descriptor');
const ID = '00112233445566778899aabbccddeeff';
const SENT_AT = 1_767_225_600_000;
const bytes = (n: number): Bytes => new Uint8Array(n).map((_, i) => (i * 7) & 0xff);

/** A large file's descriptor: no inline chunk. */
const large = (over: Partial<FileDescriptor> = {}): FileDescriptor => ({
  name: 'holiday.mp4',
  type: 'video/mp4',
  size: 5_000_000,
  sha256: new Uint8Array(32).fill(1),
  fileId: new Uint8Array(32).fill(2),
  key: new Uint8Array(32).fill(3),
  inline: new Uint8Array(0),
  ...over,
});

/**
 * The bytes of a descriptor with fields the encoder would refuse: name and
 * type raw, inline any length (the layout of §25, written by hand).
 */
function raw(fields: { name?: Bytes; type?: Bytes; size?: number; inline?: Bytes }): Bytes {
  const name = fields.name ?? new TextEncoder().encode('a.txt');
  const type = fields.type ?? new Uint8Array(0);
  const w = new Writer(256).fixed(new Uint8Array(16), 16).u64(SENT_AT).u8(name.length).fixed(name, name.length).u8(type.length).fixed(type, type.length);
  return w.u64(fields.size ?? 5_000_000).fixed(new Uint8Array(32), 32).fixed(new Uint8Array(32), 32).fixed(new Uint8Array(32), 32).varBytes(fields.inline ?? new Uint8Array(0)).finish();
}

const read = (b: Bytes) => {
  const r = new Reader(b, 'test');
  const message = readFileDescriptor(r);
  r.end();
  return message;
};
const utf8 = (s: string): Bytes => new TextEncoder().encode(s);

describe('file descriptor', () => {
  test('round trip: a large file (no inline bytes) and a small one (its sealed chunk inline)', () => {
    for (const d of [large(), describeInlineFile(ctx, 'note.txt', 'text/plain', bytes(1000)), describeInlineFile(ctx, 'empty', '', new Uint8Array(0))]) {
      const encoded = encodeFileDescriptor(new Writer(), ID, SENT_AT, d).finish();
      assert.deepEqual(read(encoded), { id: ID, sentAt: SENT_AT, file: d });
    }
  });

  test('payload type 8 and group plaintext type 2 carry it', () => {
    const file = describeInlineFile(ctx, 'photo.png', 'image/png', bytes(FILE_INLINE_MAX_BYTES));
    const payload = encodePayload({ type: 'file', id: ID, sentAt: SENT_AT, file });
    assert.deepEqual(payload.subarray(0, 2), Uint8Array.of(1, 8));
    assert.deepEqual(decodePayload(payload), { type: 'file', id: ID, sentAt: SENT_AT, file });
    const plaintext = encodeGroupPlaintext({ type: 'file', id: ID, sentAt: SENT_AT, file });
    assert.deepEqual(plaintext.subarray(0, 2), Uint8Array.of(1, 2));
    assert.deepEqual(decodeGroupPlaintext(plaintext), { type: 'file', id: ID, sentAt: SENT_AT, file });
    assert.deepEqual(decodeGroupPlaintext(encodeGroupPlaintext({ type: 'text', id: ID, sentAt: SENT_AT, text: 'hi' })), { type: 'text', id: ID, sentAt: SENT_AT, text: 'hi' });
  });

  test('the decoder refuses every broken rule with its reason', () => {
    const cases: [string, Bytes, RegExp][] = [
      ['an empty name', raw({ name: new Uint8Array(0) }), /empty name/],
      ['a name that is not UTF-8', raw({ name: Uint8Array.of(0x61, 0xff) }), /not UTF-8/],
      ['a NUL', raw({ name: utf8('a\u0000b') }), /control character/],
      ['a C0 control', raw({ name: utf8('a\u001bb') }), /control character/],
      ['DEL', raw({ name: utf8('a\u007fb') }), /control character/],
      ['a C1 control', raw({ name: utf8('a\u0085b') }), /control character/],
      ['a slash', raw({ name: utf8('../etc/passwd') }), /path separator/],
      ['a backslash', raw({ name: utf8('..\\boot.ini') }), /path separator/],
      ['a right-to-left override', raw({ name: utf8('photo\u202egnp.exe') }), /bidirectional/],
      ['an isolate', raw({ name: utf8('a\u2066b') }), /bidirectional/],
      ['"."', raw({ name: utf8('.') }), /rename the file/],
      ['".."', raw({ name: utf8('..') }), /rename the file/],
      ['a media type without a slash', raw({ type: utf8('image') }), /type\/subtype/],
      ['a media type with a space', raw({ type: utf8('image/p ng') }), /type\/subtype/],
      ['a media type with a byte past ASCII', raw({ type: Uint8Array.of(0x61, 0x2f, 0xe9) }), /type\/subtype/],
      ['a media type of 128 bytes', raw({ type: utf8(`a/${'b'.repeat(126)}`) }), /media type of 128 bytes/],
      ['a size past FILE_MAX_BYTES', raw({ size: FILE_MAX_BYTES + 1 }), /exceeds/],
      ['inline bytes for a large file', raw({ size: FILE_INLINE_MAX_BYTES + 1, inline: new Uint8Array(1) }), /inline length 1 outside 0..0/],
      ['no inline bytes for a small file', raw({ size: 10, inline: new Uint8Array(0) }), /inline length 0 outside 26..26/],
      ['an inline chunk of the wrong length', raw({ size: 10, inline: new Uint8Array(25) }), /inline length 25 outside 26..26/],
    ];
    for (const [what, encoded, reason] of cases) assert.throws(() => read(encoded), (err: Error) => err.name === 'DecodeError' && reason.test(err.message), what);
    assert.throws(() => read(raw({}).subarray(0, 60)), { name: 'DecodeError', message: /truncated/ });
  });

  test('the encoder refuses what the decoder would (RangeError), so no sender writes it', () => {
    assert.throws(() => encodeFileDescriptor(new Writer(), ID, SENT_AT, large({ name: 'a/b' })), RangeError);
    assert.throws(() => encodeFileDescriptor(new Writer(), ID, SENT_AT, large({ type: 'nonsense' })), RangeError);
    assert.throws(() => encodeFileDescriptor(new Writer(), ID, SENT_AT, large({ size: 100 })), /carries 116 inline bytes, not 0/);
    assert.throws(() => encodePayload({ type: 'file', id: ID, sentAt: SENT_AT, file: large({ name: '..' }) }), RangeError);
  });

  test('validateFileName tells the sender why, and accepts names people use', () => {
    assert.equal(validateFileName('a\tb.txt'), 'the file name has a control character; rename the file');
    assert.equal(validateFileName('dir/x.txt'), 'the file name has a path separator (/ or \\); rename the file');
    assert.equal(validateFileName(''), 'the file name is empty; name the file');
    assert.equal(validateFileName('\ud800.txt'), 'the file name is not valid Unicode; rename the file');
    assert.match(validateFileName('é'.repeat(128))!, /256 bytes; the limit is 255/);
    for (const ok of ['report (final).pdf', 'фото 2026.jpg', '写真.png', '.bashrc', '...', 'é'.repeat(127), 'x'.repeat(MAX_FILE_NAME_BYTES)]) assert.equal(validateFileName(ok), undefined, ok);
    assert.equal(mediaTypeOf('x.constructor'), '', 'an extension that names an Object property is no type');
  });

  test('mediaTypeOf reads the extension, in any case, and knows nothing else', () => {
    assert.equal(mediaTypeOf('IMG_0001.JPG'), 'image/jpeg');
    assert.equal(mediaTypeOf('a.tar.zip'), 'application/zip');
    assert.equal(mediaTypeOf('voice.opus'), 'audio/opus');
    assert.equal(mediaTypeOf('clip.mov'), 'video/quicktime');
    assert.equal(mediaTypeOf('page.html'), '', 'not in the table: no type (never rendered)');
    assert.equal(mediaTypeOf('image.svg'), '');
    assert.equal(mediaTypeOf('.png'), '', 'a dot file has no extension');
    assert.equal(mediaTypeOf('README'), '');
  });
});

describe('a message\'s stored file', () => {
  test('the record keeps the whole descriptor: stored, read back and turned into a descriptor again, it is the same', () => {
    for (const d of [large(), describeInlineFile(ctx, 'note.txt', 'text/plain', bytes(700))]) {
      const message = { id: ID, peerId: 'p', direction: 'in', text: d.name, timestamp: SENT_AT, status: 'received', seq: 4, file: storedFile(d) } as const;
      const read = decodeMessage('msg:x', encodeJson(message));
      assert.deepEqual(read, message);
      assert.deepEqual(descriptorOf(read.file!), d);
    }
    const failed = storedFile(large(), 'digest does not match');
    assert.equal(decodeMessage('msg:x', encodeJson({ id: ID, peerId: 'p', direction: 'in', text: 'x', timestamp: 1, status: 'received', seq: 1, file: failed })).file?.failure, 'digest does not match');
    assert.throws(() => decodeMessage('msg:x', encodeJson({ id: ID, peerId: 'p', direction: 'in', text: 'x', timestamp: 1, status: 'received', seq: 1, file: { ...failed, size: -1 } })), { name: 'StoreCorruptError' });
  });

  test('a group file message is sent again after a fork as the same file (plaintextOf)', () => {
    const d = describeInlineFile(ctx, 'team.jpg', 'image/jpeg', bytes(900));
    const record: GroupMessageRecord = { id: ID, groupId: 'g', sender: 'me', direction: 'out', text: 'team.jpg', timestamp: SENT_AT, status: 'stored', seq: 9, epoch: 3, file: storedFile(d) };
    assert.deepEqual(decodeGroupMessage('gmsg:x', encodeJson(record)), record);
    assert.deepEqual(plaintextOf(record), { type: 'file', id: ID, sentAt: SENT_AT, file: d });
    assert.deepEqual(plaintextOf({ ...record, file: undefined, text: 'hello' }), { type: 'text', id: ID, sentAt: SENT_AT, text: 'hello' });
  });
});

describe('inline chunk', () => {
  test('checkInlineChunk returns the plaintext of a file that verifies', () => {
    const plaintext = bytes(5000);
    assert.deepEqual(checkInlineChunk(ctx.primitives, describeInlineFile(ctx, 'a.bin', '', plaintext)), plaintext);
    assert.equal(inlineFileFailure(ctx.primitives, large()), undefined, 'a large file is not checked here');
  });

  test('a wrong file id, a chunk that does not open and a wrong digest are each refused, in that order', () => {
    const d = describeInlineFile(ctx, 'a.bin', '', bytes(5000));
    const flipped = (b: Bytes): Bytes => b.map((x, i) => (i === 0 ? x ^ 1 : x));
    const cases: [FileDescriptor, string][] = [
      [{ ...d, fileId: flipped(d.fileId) }, 'file id does not match'],
      [{ ...d, inline: flipped(d.inline) }, 'file id does not match'],
      [{ ...d, key: flipped(d.key) }, 'chunk does not open'],
      [{ ...d, sha256: flipped(d.sha256) }, 'digest does not match'],
    ];
    for (const [bad, reason] of cases) {
      assert.throws(() => checkInlineChunk(ctx.primitives, bad), { name: 'FileIntegrityError', reason });
      assert.equal(inlineFileFailure(ctx.primitives, bad), reason);
    }
  });

  test('describeInlineFile refuses a file past FILE_INLINE_MAX_BYTES and a bad name', () => {
    assert.throws(() => describeInlineFile(ctx, 'a.bin', '', bytes(FILE_INLINE_MAX_BYTES + 1)), RangeError);
    assert.throws(() => describeInlineFile(ctx, 'a/b', '', bytes(1)), /path separator/);
  });
});
