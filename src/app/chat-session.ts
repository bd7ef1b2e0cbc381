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
import { startWithSettings } from './node-settings.ts';
import { isLoopbackAddress, startHome, type RunningHome, type StartOptions } from './run-node.ts';
import type { NodeFlags } from './settings.ts';

/** Options of the chat's node when the chat starts it: the flags of the command line, over the home's settings. */
export interface ChatNodeOptions {
  readonly flags: NodeFlags;
  readonly clock: () => number;
  /** Where the passphrase comes from (default: $SOTTO_PASSPHRASE, else a prompt asked again after a wrong answer). */
  readonly passphrase?: () => Promise<string>;
}

/**
 * Starts the node on `home`. When the passphrase is typed at the prompt
 * (none given, none in $SOTTO_PASSPHRASE), a wrong one is asked again
 * (retryWrongPassphrase); then, and for a given passphrase at once,
 * WrongPassphraseError is thrown like startHome's other errors.
 */
export async function startAsking(home: HomePaths, options: StartOptions, say: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<RunningHome> {
  if (options.passphrase !== undefined) return startHome(home, options);
  return retryWrongPassphrase((passphrase) => startHome(home, { ...options, passphrase }), env, say);
}

/**
 * Opens the chat on `home` (attaching to its running node, else starting
 * one here with the home's settings and the flags, which are remembered).
 */
export async function openChat(home: HomePaths, options: ChatNodeOptions, say: (line: string) => void): Promise<void> {
  const { runChat } = await import('./chat/run.tsx');
  const { inProcessBackend, remoteBackend } = await import('./chat/backends.ts');
  if (await nodeIsRunning(home.socket)) {
    say('sotto: a node runs on this home; the chat attaches to it');
    return runChat(remoteBackend(controlClient(home.socket)));
  }
  const running = await startWithSettings(home, options.flags, (settled) => {
    const lan = settled.mdns ?? !(settled.listen.length > 0 && settled.listen.every(isLoopbackAddress));
    say(`sotto: starting the node${lan ? ' (looking for peers on the local network)' : ''}…`);
    return startAsking(home, { ...settled, clock: options.clock, ...(options.passphrase ? { passphrase: options.passphrase } : {}) }, say);
  });
  try {
    await runChat(inProcessBackend(running));
  } finally {
    say('sotto: stopping the node…');
    await running.stop();
  }
}
