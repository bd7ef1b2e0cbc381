/**
 * Real terminals for tests: a network namespace of the test's own (only its
 * loopback is up, so mDNS and every listener stay inside it) and a tmux
 * server in it, whose windows run `sotto` in an 80×24 pseudo-terminal. The
 * test types with send-keys and reads the screen with capture-pane.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** How long a screen may take to show what a test waits for. */
export const SCREEN_TIMEOUT_MS = 30_000;
const POLL_MS = 150;
/**
 * Variables a person's terminal does not have but a CI runner's environment
 * does: with CI set, ink draws nothing until the app exits.
 */
const TERMINAL_UNSET = ['CI', 'CONTINUOUS_INTEGRATION'];

/** A network namespace with its loopback up; `remove` deletes it. */
export async function createNamespace(name: string): Promise<{ name: string; remove: () => Promise<void> }> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return { name, remove: async () => void (await run('ip', ['netns', 'delete', name]).catch(() => {})) };
}

/** A tmux server inside a namespace; each window is one terminal. */
export class Terminals {
  private windows = 0;

  constructor(
    private readonly namespace: string,
    private readonly socket: string,
    private readonly cwd: string,
  ) {}

  /**
   * Opens an 80×24 terminal running `command` (then "exited N" and a pause,
   * so the screen stays readable). Each terminal gets exactly the variables
   * of `env` that it names: windows share the tmux session's environment, so
   * `unset` removes the others' (such as a passphrase).
   */
  async open(command: string, env: Record<string, string>, unset: readonly string[] = []): Promise<string> {
    const target = `:${this.windows}`;
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const clear = [...TERMINAL_UNSET, ...unset].map((name) => `unset ${name}; `).join('');
    const shell = `${clear}cd ${JSON.stringify(this.cwd)} && ${command}; echo "exited $?"; sleep 600`;
    const tmux = ['netns', 'exec', this.namespace, 'tmux', '-L', this.socket];
    if (this.windows === 0) await run('ip', [...tmux, 'new-session', '-d', '-x', '80', '-y', '24', ...envArgs, shell]);
    else await run('ip', [...tmux, 'new-window', '-d', ...envArgs, shell]);
    this.windows++;
    return target;
  }

  /** Types `text` (as literal keys), then presses Enter unless `enter` is false. */
  async type(target: string, text: string, enter = true): Promise<void> {
    if (text) await run('tmux', ['-L', this.socket, 'send-keys', '-t', target, '-l', text]);
    if (enter) await run('tmux', ['-L', this.socket, 'send-keys', '-t', target, 'Enter']);
  }

  /** Presses one key by its tmux name (C-c, Down, …). */
  async key(target: string, key: string): Promise<void> {
    await run('tmux', ['-L', this.socket, 'send-keys', '-t', target, key]);
  }

  /** The screen of `target`, as its 24 lines. */
  async screen(target: string): Promise<string> {
    return (await run('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', target])).stdout;
  }

  /** Waits until the screen of `target` matches `pattern`; resolves to the screen. */
  async waitFor(target: string, pattern: RegExp, timeoutMs = SCREEN_TIMEOUT_MS): Promise<string> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const last = await this.screen(target);
      if (pattern.test(last)) return last;
      if (performance.now() > end) throw new Error(`timed out waiting for ${pattern} on terminal ${target}; the screen was:\n${last}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /**
   * Types `command` in `target` until the screen shows `done`; while it
   * shows `retry` instead (a group's key package still on the way), clears
   * the box and the notice and types it again, for at most
   * SCREEN_TIMEOUT_MS.
   */
  async typeUntil(target: string, command: string, done: RegExp, retry: RegExp): Promise<void> {
    const end = performance.now() + SCREEN_TIMEOUT_MS;
    for (;;) {
      await this.type(target, command);
      const screen = await this.waitFor(target, new RegExp(`${done.source}|${retry.source}`));
      if (done.test(screen)) return;
      if (performance.now() > end) throw new Error(`still ${retry} after ${SCREEN_TIMEOUT_MS} ms; the screen was:\n${screen}`);
      // A refused command comes back to the box, and its notice stays until the next one: clear both before trying again.
      await this.key(target, 'C-u');
      await this.type(target, '/help');
      await this.waitFor(target, /Enter sends the box/);
    }
  }

  /** Stops the tmux server and everything it runs. */
  async close(): Promise<void> {
    await run('tmux', ['-L', this.socket, 'kill-server']).catch(() => {});
  }
}
