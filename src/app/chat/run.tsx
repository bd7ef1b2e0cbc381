/**
 * Opens the interactive chat on the terminal and resolves when the user
 * leaves it (/quit or Ctrl-C).
 */
import { render } from 'ink';
import { ChatController, type ChatBackend } from './controller.ts';
import { ChatApp } from './view.tsx';

/** Runs the chat on `backend` until the user quits. */
export async function runChat(backend: ChatBackend): Promise<void> {
  const self = await backend.api.id();
  const controller = new ChatController(backend, { name: self.name, peerId: self.peerId });
  await controller.start();
  // Ctrl-C is a key the chat reads itself (./terminal-input.ts), like every other.
  const instance = render(<ChatApp controller={controller} />, { exitOnCtrlC: false });
  // A terminal closed or a SIGTERM leaves the chat the same way as /quit.
  const leave = (): void => instance.unmount();
  process.once('SIGTERM', leave);
  process.once('SIGHUP', leave);
  try {
    await instance.waitUntilExit();
  } finally {
    process.off('SIGTERM', leave);
    process.off('SIGHUP', leave);
    controller.stop();
  }
}
