/**
 * What the page does with a received file from its bytes and name alone
 * (src/app/web/file-kinds.ts): a preview only for the four picture types
 * whose first bytes match, a download name with no separators or controls.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { downloadName, formatSize, isPreviewable, isPreviewType, SIGNATURE_BYTES } from '../../src/app/web/file-kinds.ts';

const bytes = (...parts: (string | number[])[]): Uint8Array => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const PNG = bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 13]);
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF');
const GIF89 = bytes('GIF89a', [1, 0]);
const GIF87 = bytes('GIF87a', [1, 0]);
const WEBP = bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ');
const HTML = bytes('<!doctype html><script>');
const SVG = bytes('<svg xmlns="http://');

describe('previews', () => {
  test('each picture type is previewed when its first bytes are its signature', () => {
    assert.ok(isPreviewable('image/png', PNG));
    assert.ok(isPreviewable('image/jpeg', JPEG));
    assert.ok(isPreviewable('image/gif', GIF89));
    assert.ok(isPreviewable('image/gif', GIF87));
    assert.ok(isPreviewable('image/webp', WEBP));
    assert.ok(isPreviewable('image/webp', WEBP.subarray(0, SIGNATURE_BYTES)), 'the bytes read are enough for the longest signature');
  });

  test('a type whose bytes are another format, HTML or SVG is not previewed', () => {
    assert.equal(isPreviewable('image/png', JPEG), false);
    assert.equal(isPreviewable('image/jpeg', PNG), false);
    assert.equal(isPreviewable('image/png', HTML), false);
    assert.equal(isPreviewable('image/gif', SVG), false);
    // RIFF alone is also WAV and AVI: WebP needs its own tag at offset 8.
    assert.equal(isPreviewable('image/webp', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt ')), false);
    assert.equal(isPreviewable('image/png', PNG.subarray(0, 4)), false, 'a file shorter than its signature');
  });

  test('SVG, HTML, unknown types and Object property names are never previewed, whatever the bytes', () => {
    for (const type of ['image/svg+xml', 'text/html', 'application/octet-stream', '', 'constructor', '__proto__', 'toString']) {
      assert.equal(isPreviewType(type), false, type);
      assert.equal(isPreviewable(type, PNG), false, type);
    }
  });
});

describe('download names', () => {
  test('a plain name is kept', () => {
    assert.equal(downloadName('holiday photo.jpg'), 'holiday photo.jpg');
    assert.equal(downloadName('résumé – 2026.pdf'), 'résumé – 2026.pdf');
  });

  test('separators and characters file systems refuse become "_"; leading dots go', () => {
    assert.equal(downloadName('../../etc/passwd'), '_.._etc_passwd');
    assert.equal(downloadName('a\\b:c*d?e"f<g>h|i'), 'a_b_c_d_e_f_g_h_i');
    assert.equal(downloadName('.bashrc'), 'bashrc');
  });

  test('controls are removed, a line break is a space, and bidi overrides are shown as markers, so the extension cannot be disguised', () => {
    assert.equal(downloadName('a\u0000b\u0007c\n.txt'), 'abc .txt');
    assert.equal(downloadName('invoice\u202Efdp.exe'), 'invoice⟨U+202E⟩fdp.exe');
  });

  test('a name with nothing left is "file"', () => {
    assert.equal(downloadName(''), 'file');
    assert.equal(downloadName('...'), 'file');
    assert.equal(downloadName('\u0001'), 'file');
  });
});

test('sizes read as people write them', () => {
  assert.equal(formatSize(0), '0 bytes');
  assert.equal(formatSize(1023), '1023 bytes');
  assert.equal(formatSize(200 * 1024), '200 KiB');
  assert.equal(formatSize(3.5 * 1024 * 1024), '3.5 MiB');
  assert.equal(formatSize(4 * 1024 ** 3), '4.0 GiB');
});
