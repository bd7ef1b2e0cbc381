/**
 * The chat's keyboard: a React hook that reads the terminal ink was given
 * (useStdin, useStdout) through the chat's own reader (./keys.ts) instead
 * of ink's useInput, which splits a paste into pieces with no boundaries.
 * While the chat is on screen the terminal is in raw mode with bracketed
 * paste on (ESC[?2004h), so a paste arrives as one piece; both are undone
 * when it leaves. Nothing in it uses ink's own raw-mode switch, so ink
 * never reads stdin beside it: Ctrl-C is a key the chat handles.
 */
import { useStdin, useStdout } from 'ink';
import { useEffect, useRef } from 'react';
import { KeyReader, type TerminalInput } from './keys.ts';

/** Turns bracketed paste on (xterm's private mode 2004, which every common terminal and tmux follow). */
export const BRACKETED_PASTE_ON = '\x1b[?2004h';
/** Turns it off again. */
export const BRACKETED_PASTE_OFF = '\x1b[?2004l';
/** How long a lone ESC waits for the rest of an escape sequence before it is the Escape key, ms (a sequence's bytes arrive together). */
export const ESCAPE_WAIT_MS = 30;

/**
 * Calls `onInput` with each key, typed text and paste from the terminal.
 * Pastes keep at most `pasteLimitBytes` (more is counted, not kept).
 */
export function useTerminalInput(onInput: (input: TerminalInput) => void, pasteLimitBytes: number): void {
  const { stdin } = useStdin();
  const { stdout } = useStdout();
  const handler = useRef(onInput);
  handler.current = onInput;
  useEffect(() => {
    const reader = new KeyReader(pasteLimitBytes);
    let escape: NodeJS.Timeout | undefined;
    const deliver = (inputs: readonly TerminalInput[]): void => {
      for (const input of inputs) handler.current(input);
    };
    const onData = (chunk: string | Buffer): void => {
      clearTimeout(escape);
      deliver(reader.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
      if (reader.waiting) escape = setTimeout(() => deliver(reader.flush()), ESCAPE_WAIT_MS);
    };
    const raw = stdin.isTTY === true;
    if (raw) stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
    stdout.write(BRACKETED_PASTE_ON);
    return () => {
      clearTimeout(escape);
      stdout.write(BRACKETED_PASTE_OFF);
      stdin.off('data', onData);
      stdin.pause();
      if (raw) stdin.setRawMode(false);
    };
  }, [stdin, stdout, pasteLimitBytes]);
}
