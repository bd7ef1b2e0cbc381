/**
 * `sotto chat` (and the first run's chat, ./first-run.ts): start the node
 * (or attach to the node already running on the home) and open the chat.
 * When the chat started the node, leaving the chat stops it. A wrong
 * passphrase typed at the prompt is asked again (PASSPHRASE_ATTEMPTS times
 * in all) rather than ending the chat before it opens.
 */
import { controlClient, nodeIsRunning } from './control/client.ts';
import type { HomePaths } from './home.ts';
import { retryWrongPassphrase } from './passphrase.ts';
import { startHome, type RunningHome, type StartOptions } from './run-node.ts';

/** Options of the chat's node when the chat starts it. */
export type ChatNodeOptions = StartOptions;

/**
 * Starts the node on `home`. When the passphrase is typed at the prompt
 * (none given, none in $SOTTO_PASSPHRASE), a wrong one is asked again
 * (retryWrongPassphrase); then, and for a given passphrase at once,
 * WrongPassphraseError is thrown like startHome's other errors.
 */
export async function startAsking(home: HomePaths, options: ChatNodeOptions, say: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<RunningHome> {
  if (options.passphrase !== undefined) return startHome(home, options);
  return retryWrongPassphrase((passphrase) => startHome(home, { ...options, passphrase }), env, say);
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
