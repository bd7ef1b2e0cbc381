/**
 * The text of `sotto send NAME -` (or `sotto send NAME` with stdin not a
 * terminal), read from stdin: a message too long for a shell argument, or
 * one a script writes. More than a message holds is refused as soon as it
 * arrives, before the rest is read. One line ending at the end (what echo
 * and a here-document add) is not part of the message.
 */
import type { Readable } from 'node:stream';
import { MAX_TEXT_BYTES } from '../../node/constants.ts';
import { InvalidMessageError } from '../../node/errors.ts';

/** Bytes a final line ending ("\r\n") may add to the text without counting against the limit. */
const FINAL_LINE_END_BYTES = 2;
const FINAL_LINE_END = /\r?\n$/;

/**
 * Reads UTF-8 text from `input` to its end, at most `limit` bytes of it
 * (plus a final line ending, which is dropped). Throws InvalidMessageError
 * as soon as more arrives (the stream is destroyed, the rest never read),
 * or when the text is not UTF-8.
 */
export async function readMessageText(input: Readable, limit = MAX_TEXT_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit + FINAL_LINE_END_BYTES) {
      input.destroy();
      throw new InvalidMessageError(`the text on stdin is longer than ${limit} bytes, the most a message holds`);
    }
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new InvalidMessageError('the text on stdin is not UTF-8');
  }
  return text.replace(FINAL_LINE_END, '');
}
