/**
 * Where a passphrase comes from: $SOTTO_PASSPHRASE for unattended nodes,
 * else a prompt on the terminal that does not echo what is typed. Without
 * either, commands that need one fail with PassphraseRequiredError.
 *
 * A person at the prompt gets another try after a mistake: a new passphrase
 * that is too short or typed differently the second time is asked again
 * (newPassphrase), and so is a wrong passphrase for an existing home
 * (retryWrongPassphrase), each up to PASSPHRASE_ATTEMPTS times. A passphrase
 * from the environment is never asked again: a script gets the error at once.
 */
import { PassphraseRequiredError } from '../node/store/at-rest.ts';
import { SottoError } from '../crypto/errors.ts';
import { CancelledError } from './prompt.ts';

/** Environment variable read for the passphrase of unattended nodes. */
export const PASSPHRASE_ENV = 'SOTTO_PASSPHRASE';
/** Environment variable read for the new passphrase by `sotto passphrase`. */
export const NEW_PASSPHRASE_ENV = 'SOTTO_NEW_PASSPHRASE';
/** Shortest passphrase accepted for a new one. */
export const MIN_PASSPHRASE_LENGTH = 8;
/**
 * Tries a person gets at a passphrase prompt before the command gives up:
 * enough for a typo or two, few enough that a script stuck on a terminal
 * (or someone guessing) does not loop. Each wrong try of an existing home's
 * passphrase also costs an Argon2id derivation.
 */
export const PASSPHRASE_ATTEMPTS = 3;
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = ['\u007f', '\b'];

/** A new passphrase is too short. */
export class WeakPassphraseError extends SottoError {
  override readonly name = 'WeakPassphraseError';
  constructor(readonly reason: string = `a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`) {
    super(reason);
  }
}

/** A new passphrase was typed differently the second time. */
export class PassphraseMismatchError extends SottoError {
  override readonly name = 'PassphraseMismatchError';
  constructor() {
    super('the two passphrases differ');
  }
}

/** Reads a line from the terminal without echoing it. Throws PassphraseRequiredError (no terminal), CancelledError (Ctrl-C, or Ctrl-D on an empty line). */
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
        if (ch === CTRL_C || (ch === CTRL_D && typed === '')) return done(new CancelledError());
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

/** Why a new passphrase is refused, or undefined when it is fine. */
function newPassphraseProblem(chosen: string): WeakPassphraseError | undefined {
  return [...chosen].length < MIN_PASSPHRASE_LENGTH ? new WeakPassphraseError() : undefined;
}

/** What the prompt says after a refused new passphrase, before asking again. */
const RETRY_ADVICE: Record<string, string> = {
  WeakPassphraseError: `choose one of at least ${MIN_PASSPHRASE_LENGTH} characters`,
  PassphraseMismatchError: 'type the same passphrase both times',
};

/**
 * A new passphrase: from `envName`, else typed twice at a hidden prompt
 * labelled `label` (a mistake is said, with what to do, and asked again, up
 * to PASSPHRASE_ATTEMPTS times). Throws WeakPassphraseError (too short),
 * PassphraseMismatchError, PassphraseRequiredError (no terminal),
 * CancelledError.
 */
export function newPassphrase(envName: string, env: NodeJS.ProcessEnv = process.env, label = 'new passphrase'): () => Promise<string> {
  return async () => {
    const fromEnv = env[envName];
    if (fromEnv !== undefined) {
      const problem = newPassphraseProblem(fromEnv);
      if (problem) throw problem;
      return fromEnv;
    }
    for (let attempt = 1; ; attempt++) {
      const chosen = await promptHidden(`${label}: `);
      const problem = newPassphraseProblem(chosen) ?? ((await promptHidden('repeat it: ')) === chosen ? undefined : new PassphraseMismatchError());
      if (!problem) return chosen;
      if (attempt >= PASSPHRASE_ATTEMPTS) throw problem;
      process.stderr.write(`${problem.message}: ${RETRY_ADVICE[problem.name]}\n`);
    }
  };
}

/**
 * Runs `attempt` with the passphrase of an existing home
 * (existingPassphrase); when it fails with WrongPassphraseError and the
 * passphrase was typed at the prompt, says so and runs it again with a new
 * prompt, up to PASSPHRASE_ATTEMPTS times, telling `say` how many tries
 * are left (default: a line on stderr). `attempt` must change nothing when
 * the passphrase is wrong (opening a store does not). A passphrase from the
 * environment is tried once. Throws what `attempt` throws.
 */
export async function retryWrongPassphrase<T>(
  attempt: (passphrase: () => Promise<string>) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(existingPassphrase(env));
    } catch (err) {
      const typed = env[PASSPHRASE_ENV] === undefined;
      if (!(err instanceof Error) || err.name !== 'WrongPassphraseError' || !typed || tries >= PASSPHRASE_ATTEMPTS) throw err;
      const left = PASSPHRASE_ATTEMPTS - tries;
      say(`sotto: wrong passphrase; try again (${left} more attempt${left === 1 ? '' : 's'})`);
    }
  }
}
