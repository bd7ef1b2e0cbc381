/**
 * A visible one-line question on the terminal (for a name at first run).
 * Passphrases are asked without echo by ./passphrase.ts instead.
 */
import { createInterface } from 'node:readline/promises';

/** Asks `question` on stderr and reads a line; `fallback` when the answer is empty. */
export async function promptLine(question: string, fallback: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(fallback ? `${question} [${fallback}] ` : `${question} `)).trim();
    return answer || fallback;
  } finally {
    rl.close();
  }
}
