/**
 * The first run (`sotto` with no command on a terminal, `npm start`): when
 * the home has no identity, ask for a name and a passphrase and create it,
 * then open the chat with LAN discovery on. A mistake at a prompt is said
 * and asked again; Ctrl-C at any prompt leaves nothing behind, since
 * nothing is created before the last answer and the home is then made
 * atomically (./init.ts). A home that an older Sotto left half-made is
 * named and, when the person agrees, started over.
 */
import { userInfo } from 'node:os';
import { checkContactName } from '../node/contacts/names.ts';
import { openChat, type ChatNodeOptions } from './chat-session.ts';
import { nodeIsRunning } from './control/client.ts';
import type { HomePaths } from './home.ts';
import { HalfMadeHomeError, homeState, UnknownHomeDatabaseError } from './home-state.ts';
import { initHome } from './init.ts';
import { newPassphrase, PASSPHRASE_ATTEMPTS, PASSPHRASE_ENV } from './passphrase.ts';
import { confirm, promptLine } from './prompt.ts';

/** The name offered at first run: the login name, when there is one. */
function defaultName(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** Asks for the name contacts will see until it is a valid one (or empty), up to PASSPHRASE_ATTEMPTS times. Throws InvalidContactNameError, CancelledError. */
async function askName(say: (line: string) => void): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const name = await promptLine('Your name, as contacts will see it:', defaultName());
    try {
      return name === '' ? name : checkContactName(name);
    } catch (err) {
      if (attempt >= PASSPHRASE_ATTEMPTS || !(err instanceof Error)) throw err;
      say(`sotto: ${err.message}; try another`);
    }
  }
}

/**
 * Asks whether to start over in a home whose database an interrupted first
 * run left half-made (it holds no identity); true when the person agrees.
 * Nothing is deleted here: only once the new identity is ready to take its
 * place. Throws CancelledError.
 */
export function askToStartOver(home: HomePaths, say: (line: string) => void): Promise<boolean> {
  say(`sotto: ${new HalfMadeHomeError(home.database).message}.`);
  return confirm('Delete it and create a new identity there? [y/N] ');
}

/**
 * The first run on `home`: creates its identity when it has none (asking
 * for a name and a passphrase), then opens the chat; on a home with an
 * identity (or a running node) it opens the chat at once. Throws
 * UnknownHomeDatabaseError, HalfMadeHomeError (declined), CancelledError,
 * WeakPassphraseError / PassphraseMismatchError / InvalidContactNameError
 * after the last try, and the chat's errors.
 */
export async function firstRun(home: HomePaths, options: ChatNodeOptions, say: (line: string) => void): Promise<void> {
  if (await nodeIsRunning(home.socket)) return openChat(home, options, say);
  const state = await homeState(home);
  if (state.kind === 'identity') return openChat(home, options, say);
  if (state.kind === 'unknown') throw new UnknownHomeDatabaseError(home.database);
  if (state.kind === 'half-made' && !(await askToStartOver(home, say))) throw new HalfMadeHomeError(home.database);
  say(`Welcome to Sotto. This creates your identity in ${home.root}.`);
  const name = await askName(say);
  say('Choose a passphrase: it encrypts everything Sotto keeps on this disk, and cannot be recovered.');
  // Asked once: the same passphrase then opens the home for the node.
  const chosen = await newPassphrase(PASSPHRASE_ENV)();
  const passphrase = (): Promise<string> => Promise.resolve(chosen);
  const peerId = await initHome(home, name, options.clock, true, passphrase, { startOver: state.kind === 'half-made' });
  say(`Your peer id is ${peerId}`);
  return openChat(home, { ...options, passphrase }, say);
}
