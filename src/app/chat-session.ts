/**
 * `sotto chat` and the first run (`sotto` with no command on a terminal):
 * create an identity if the home has none, start the node with LAN discovery
 * (or attach to the node already running on the home), and open the chat.
 * When the chat started the node, leaving the chat stops it. A wrong
 * passphrase typed at the prompt is asked again (CHAT_PASSPHRASE_ATTEMPTS
 * times in all) rather than ending the chat before it opens.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { controlClient, nodeIsRunning } from './control/client.ts';
import { ensureHome, type HomePaths } from './home.ts';
import { initHome } from './init.ts';
import { existingPassphrase, newPassphrase, PASSPHRASE_ENV } from './passphrase.ts';
import { promptLine } from './prompt.ts';
import { startHome, type RunningHome, type StartOptions } from './run-node.ts';

/** Options of the chat's node when the chat starts it. */
export type ChatNodeOptions = StartOptions;

/** Times the chat asks for the passphrase before a wrong one ends it (each wrong try costs the unlock's Argon2id). */
export const CHAT_PASSPHRASE_ATTEMPTS = 3;

/**
 * Starts the node on `home`. When the passphrase is typed at the prompt
 * (none given, none in $SOTTO_PASSPHRASE), a wrong one is asked again, up
 * to CHAT_PASSPHRASE_ATTEMPTS times; then, and for a given passphrase at
 * once, WrongPassphraseError is thrown like startHome's other errors.
 */
export async function startAsking(home: HomePaths, options: ChatNodeOptions, say: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<RunningHome> {
  if (options.passphrase !== undefined || env[PASSPHRASE_ENV] !== undefined) return startHome(home, options);
  for (let attempt = 1; ; attempt++) {
    try {
      // A new prompt for each try: existingPassphrase remembers its answer.
      return await startHome(home, { ...options, passphrase: existingPassphrase(env) });
    } catch (err) {
      if (!(err instanceof Error && err.name === 'WrongPassphraseError') || attempt >= CHAT_PASSPHRASE_ATTEMPTS) throw err;
      const left = CHAT_PASSPHRASE_ATTEMPTS - attempt;
      say(`sotto: wrong passphrase; try again (${left} more attempt${left === 1 ? '' : 's'})`);
    }
  }
}

/** Opens the chat on `home` (attaching to its running node, else starting one here). */
export async function openChat(home: HomePaths, options: ChatNodeOptions, say: (line: string) => void): Promise<void> {
  const { runChat } = await import('./chat/run.tsx');
  const { inProcessBackend, remoteBackend } = await import('./chat/backends.ts');
  if (await nodeIsRunning(home.socket)) {
    say('sotto: a node runs on this home; the chat attaches to it');
    return runChat(remoteBackend(controlClient(home.socket)));
  }
  say(`sotto: starting the node${options.mdns ? ' (looking for peers on the local network)' : ''}…`);
  const running = await startAsking(home, options, say);
  try {
    await runChat(inProcessBackend(running, options.mdns === true || options.bootstrap.length > 0));
  } finally {
    say('sotto: stopping the node…');
    await running.stop();
  }
}

/** The name offered at first run: the login name, when there is one. */
function defaultName(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/**
 * First run: creates an identity in `home` when it has none (asking for a
 * name and a passphrase), then opens the chat with LAN discovery on.
 */
export async function firstRun(home: HomePaths, options: ChatNodeOptions, say: (line: string) => void): Promise<void> {
  if (!existsSync(home.database) && !(await nodeIsRunning(home.socket))) {
    say(`Welcome to Sotto. This creates your identity in ${home.root}.`);
    const name = await promptLine('Your name, as contacts will see it:', defaultName());
    say('Choose a passphrase: it encrypts everything Sotto keeps on this disk, and cannot be recovered.');
    await ensureHome(home);
    // Asked once: the same passphrase then opens the home for the node.
    const chosen = newPassphrase(PASSPHRASE_ENV)();
    const passphrase = (): Promise<string> => chosen;
    const peerId = await initHome(home, name, options.clock, true, passphrase);
    say(`Your peer id is ${peerId}`);
    return openChat(home, { ...options, passphrase }, say);
  }
  await openChat(home, options, say);
}
