/**
 * Visible questions on the terminal: a line (a name at first run) and a
 * yes/no question. Passphrases are asked without echo by ./passphrase.ts.
 * Ctrl-C or Ctrl-D at any of them is a {@link CancelledError}, so that the
 * caller can leave nothing behind.
 */
import { createInterface } from 'node:readline/promises';
import { SottoError } from '../crypto/errors.ts';

/** The person pressed Ctrl-C (or Ctrl-D) at a prompt; nothing more was asked or written. */
export class CancelledError extends SottoError {
  override readonly name = 'CancelledError';
  constructor() {
    super('cancelled at the prompt');
  }
}

/**
 * Asks `question` on stderr and resolves to the line typed. Throws
 * CancelledError when the person presses Ctrl-C or Ctrl-D instead.
 */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const { promise: cancelled, reject } = Promise.withResolvers<never>();
  // readline turns Ctrl-C into a 'SIGINT' event (and pauses when nobody listens) and Ctrl-D into 'close'.
  rl.on('SIGINT', () => reject(new CancelledError()));
  rl.on('close', () => reject(new CancelledError()));
  try {
    return await Promise.race([rl.question(question), cancelled]);
  } finally {
    rl.removeAllListeners('close');
    rl.close();
    process.stdin.pause();
  }
}

/** Asks `question` on stderr and reads a line; `fallback` when the answer is empty. Throws CancelledError. */
export async function promptLine(question: string, fallback: string): Promise<string> {
  const answer = (await ask(fallback ? `${question} [${fallback}] ` : `${question} `)).trim();
  return answer || fallback;
}

/** Asks a yes/no question (`[y/N]` belongs in `question`); true only for y or yes. Throws CancelledError. */
export async function confirm(question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await ask(question)).trim());
}
