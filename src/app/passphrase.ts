/**
 * Where a passphrase comes from: $SOTTO_PASSPHRASE for unattended nodes,
 * else a prompt on the terminal that does not echo what is typed. Without
 * either, commands that need one fail with PassphraseRequiredError.
 */
import { PassphraseRequiredError } from '../node/store/at-rest.ts';
import { SottoError } from '../crypto/errors.ts';

/** Environment variable read for the passphrase of unattended nodes. */
export const PASSPHRASE_ENV = 'SOTTO_PASSPHRASE';
/** Environment variable read for the new passphrase by `sotto passphrase`. */
export const NEW_PASSPHRASE_ENV = 'SOTTO_NEW_PASSPHRASE';
/** Shortest passphrase accepted for a new one. */
export const MIN_PASSPHRASE_LENGTH = 8;
const CTRL_C = '\u0003';
const BACKSPACE = ['\u007f', '\b'];

/** A new passphrase is too short, or its confirmation differs. */
export class WeakPassphraseError extends SottoError {
  override readonly name = 'WeakPassphraseError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) return Promise.reject(new PassphraseRequiredError());
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === CTRL_C) return done(new Error('cancelled'));
        if (BACKSPACE.includes(ch)) typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** The passphrase of this home: from the environment, else asked once (and then remembered). */
export function existingPassphrase(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  let asked: Promise<string> | undefined;
  return () => {
    const fromEnv = env[PASSPHRASE_ENV];
    if (fromEnv !== undefined) return Promise.resolve(fromEnv);
    asked ??= promptHidden('passphrase: ');
    return asked;
  };
}

/** A new passphrase: from `envName`, else typed twice. Throws WeakPassphraseError. */
export function newPassphrase(envName: string, env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  return async () => {
    const fromEnv = env[envName];
    const chosen = fromEnv ?? (await promptHidden('new passphrase: '));
    if (fromEnv === undefined && (await promptHidden('repeat it: ')) !== chosen) throw new WeakPassphraseError('the two passphrases differ');
    if ([...chosen].length < MIN_PASSPHRASE_LENGTH) throw new WeakPassphraseError(`a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`);
    return chosen;
  };
}
