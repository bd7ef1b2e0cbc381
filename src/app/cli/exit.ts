/**
 * The end of a `sotto` process. Node ends a process when nothing holds its
 * event loop; native code can hold it without showing anywhere:
 * node-datachannel (under @libp2p/webrtc) keeps the callbacks of a data
 * channel that closed before it opened, and with them the loop, for ever.
 * A node with such a channel stopped, closed its database and returned,
 * and the process never ended. So once the command is done, the process
 * gets EXIT_AFTER_COMMAND_MS to end by itself, and is then ended with the
 * command's exit status, saying so on `sotto:app:exit`.
 */
import { logger } from '@libp2p/logger';
import { EXIT_AFTER_COMMAND_MS } from '../../node/constants.ts';

const log = logger('sotto:app:exit');

/** What {@link exitWhenDone} acts on: the process, unless a test gives its own. */
export interface ExitTarget {
  /** Ends the process with its exit status (`process.exitCode`, else 0). */
  exit(): void;
  /** What still holds the event loop, for the log line. */
  activeResources(): string[];
}

const processTarget: ExitTarget = {
  exit: () => process.exit(),
  activeResources: () => process.getActiveResourcesInfo(),
};

/**
 * Called once the command is done (its output written, its status in
 * `process.exitCode`): unless the process ends by itself within `graceMs`,
 * logs that something still held it and ends it. The timer does not hold
 * the process itself.
 */
export function exitWhenDone(graceMs: number = EXIT_AFTER_COMMAND_MS, target: ExitTarget = processTarget): void {
  const timer = setTimeout(() => {
    // Native callbacks (WebRTC's) hold the loop without showing among these.
    log('still running %d ms after the command ended (active: %s); exiting', graceMs, target.activeResources().join(', ') || 'nothing visible');
    target.exit();
  }, graceMs);
  timer.unref();
}
