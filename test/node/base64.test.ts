/**
 * Base64 inside JSON records: the same text as Node's Buffer for every
 * length and byte value, back to the same bytes, and a TypeError for text
 * that is not base64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBase64, toBase64 } from '../../src/node/encoding/base64.ts';
import { seededRandom } from '../helpers/context.ts';

test('toBase64 gives Buffer\'s standard padded base64 and fromBase64 the bytes back, for lengths 0–300 and every byte value', () => {
  const random = seededRandom('base64');
  const inputs = [Uint8Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 301 }, (_, n) => random(n))];
  for (const bytes of inputs) {
    const text = toBase64(bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64'), `length ${bytes.length}`);
    const back = fromBase64(text);
    assert.deepEqual(back, bytes, `length ${bytes.length}`);
    assert.equal(Object.getPrototypeOf(back), Uint8Array.prototype);
  }
});

test('fromBase64 refuses text that is not base64 with a TypeError', () => {
  for (const bad of ['a', 'ab!=', 'abc=d', '====', 'é']) assert.throws(() => fromBase64(bad), TypeError, JSON.stringify(bad));
});
