/**
 * The page's composer, with one draft per conversation: what is typed for
 * one contact stays theirs when another conversation is opened, and comes
 * back when theirs is opened again.
 *
 * A send takes the text and empties the composer at once, before anything
 * is awaited: a second Enter right after the first finds it empty and sends
 * nothing, and what is typed while the message is being queued is kept.
 * Only a send that fails gives its text back (to the draft of the
 * conversation it was for, before anything typed since).
 *
 * Keyboard: Enter sends, Shift+Enter starts a new line.
 *
 * Beside the text, a file input (`attach`) sends the file chosen to the
 * conversation at once; a send that fails says why under the composer.
 */
import { terminalLine } from '../terminal-text.ts';
import { h, messageBody, nameNode, replaceChildren } from './dom.ts';
import { formatSize } from './file-kinds.ts';

/** What the composer asks of the page. */
export interface ComposerHooks {
  /** Sends `text` to the conversation `to` (its key: a contact's name, or a group's key); rejects when it was not sent. */
  send(to: string, text: string): Promise<void>;
  /** Sends the file `file` to the conversation `to`; rejects when it was not sent. */
  attach(to: string, file: File): Promise<void>;
}

/** The composer's elements and how to point it at a conversation. */
export interface Composer {
  /** The form: text area and send button. */
  readonly element: HTMLFormElement;
  /** Where a failed send says why. */
  readonly error: HTMLElement;
  /** Where a file being attached is named until its message is sent. */
  readonly attaching: HTMLElement;
  /** Shows the draft of the conversation `name` (undefined: none; the composer is disabled), keeping the draft of the one left; `label` names it in errors (default: `name`). */
  open(name: string | undefined, label?: string): void;
  focus(): void;
}

/** Builds the composer. */
export function composer(hooks: ComposerHooks): Composer {
  /** Drafts of the conversations not shown, by contact name. */
  const drafts = new Map<string, string>();
  let current: string | undefined;
  /** How each conversation is named in an error, by key. */
  const labels = new Map<string, string>();
  const text = h('textarea', { 'data-testid': 'composer', rows: 1, placeholder: 'Message', 'aria-label': 'message', disabled: true });
  const button = h('button', { type: 'submit', 'data-testid': 'send', disabled: true }, 'Send');
  const error = h('p', { class: 'error', 'data-testid': 'send-error', role: 'alert' });
  const attach = h('input', { type: 'file', 'data-testid': 'attach', class: 'visually-hidden', id: 'attach', disabled: true, onchange: () => void attachChosen() });
  /** What is being attached: sealing a large file takes a while before its message shows. */
  const attaching = h('p', { class: 'attaching', 'data-testid': 'attach-status', role: 'status' });
  const attachLabel = h('label', { for: 'attach', class: 'attach button secondary', title: 'Send a file' }, 'Attach');

  /** The draft of `name`, wherever it is kept now. */
  const draftOf = (name: string): string => (name === current ? text.value : (drafts.get(name) ?? ''));
  function setDraft(name: string, value: string): void {
    if (name === current) text.value = value;
    else if (value === '') drafts.delete(name);
    else drafts.set(name, value);
  }

  function submit(): void {
    const to = current;
    const message = text.value;
    if (to === undefined || message.trim() === '') return;
    // Emptied before anything is awaited: the next Enter finds nothing to send, and new typing is kept.
    text.value = '';
    replaceChildren(error);
    hooks.send(to, message).catch((err: unknown) => {
      const typed = draftOf(to);
      setDraft(to, typed === '' ? message : `${message}\n${typed}`);
      replaceChildren(error, 'Not sent to ', nameNode(labels.get(to) ?? to), `: ${terminalLine(err instanceof Error ? err.message : String(err))}. The text is back in the composer.`);
    });
  }

  /** Sends the file chosen; the input is emptied at once, so the same file can be chosen again. */
  async function attachChosen(): Promise<void> {
    const to = current;
    const file = attach.files?.[0];
    attach.value = '';
    if (to === undefined || !file) return;
    replaceChildren(error);
    replaceChildren(attaching, 'Preparing ', messageBody('span', {}, file.name), ` (${formatSize(file.size)})…`);
    await hooks
      .attach(to, file)
      .catch((err: unknown) => {
        replaceChildren(error, 'File not sent to ', nameNode(labels.get(to) ?? to), `: ${terminalLine(err instanceof Error ? err.message : String(err))}.`);
      })
      .finally(() => replaceChildren(attaching));
  }

  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  const element = h(
    'form',
    {
      class: 'composer',
      onsubmit: (event) => {
        event.preventDefault();
        submit();
      },
    },
    attach,
    attachLabel,
    text,
    button,
  );

  function open(name: string | undefined, label?: string): void {
    if (name !== undefined && label !== undefined) labels.set(name, label);
    if (name === current) return;
    if (current !== undefined && text.value !== '') drafts.set(current, text.value);
    current = name;
    text.value = name === undefined ? '' : (drafts.get(name) ?? '');
    if (name !== undefined) drafts.delete(name);
    text.disabled = name === undefined;
    button.disabled = name === undefined;
    attach.disabled = name === undefined;
    attachLabel.classList.toggle('disabled', name === undefined);
  }

  return { element, error, attaching, open, focus: () => text.focus() };
}
