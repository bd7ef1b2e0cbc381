/**
 * A file message in the page's conversation (docs/WEB.md, "Files"): its
 * name and size (`file`), a <progress> while it is pending or partial
 * (`file-progress`), why it failed, and once complete a button that saves
 * it (`file-save`: a Blob built chunk by chunk from the page's file store,
 * offered through an <a download> under downloadName). A complete PNG,
 * JPEG, GIF or WebP whose first bytes match its type, of at most
 * WEB_PREVIEW_MAX_BYTES, is previewed as an <img> from a Blob URL
 * (`file-preview`); nothing else is ever rendered. Every Blob URL is revoked
 * by dispose(), called when the message leaves the DOM.
 */
import type { Bytes } from '../../crypto/bytes.ts';
import { WEB_PREVIEW_MAX_BYTES } from '../../node/constants.ts';
import type { FileState } from '../../node/files/types.ts';
import type { FileLine } from '../file-line.ts';
import { h, messageBody, replaceChildren } from './dom.ts';
import { terminalLine } from '../terminal-text.ts';
import { downloadName, formatSize, isPreviewable, isPreviewType, SIGNATURE_BYTES } from './file-kinds.ts';

/** Where a complete file's plaintext comes from: chunk by chunk, for the message `messageId`. */
export type FileReader = (messageId: string) => Promise<AsyncIterable<Bytes>>;

/** A shown file and how to keep it up to date. */
export interface FileItem {
  readonly element: HTMLElement;
  /** The file got further (a FileService change, or a history read). */
  update(state: FileState): void;
  /** The message left the DOM: Blob URLs revoked, nothing more drawn. */
  dispose(): void;
}

/** The state a history line's file shows. */
export function stateOfLine(file: FileLine): FileState {
  if (file.state === 'partial') return { state: 'partial', received: file.received ?? 0 };
  if (file.state === 'failed') return { state: 'failed', reason: file.reason ?? '' };
  return { state: file.state };
}

/** The whole plaintext of a file as a Blob of media type `type`, built from its chunks in order. */
export async function fileBlob(chunks: AsyncIterable<Bytes>, type: string): Promise<Blob> {
  const parts: BlobPart[] = [];
  // Each chunk becomes its own small Blob: the browser may keep them out of the JavaScript heap.
  for await (const chunk of chunks) parts.push(new Blob([chunk as Uint8Array<ArrayBuffer>]));
  return new Blob(parts, { type });
}

/**
 * Draws the file of message `messageId` (`file`, from its history line); `read` gives its plaintext; `failed` hears about a save that went wrong.
 * `own`: this page sent it, so it holds the file whole from the start (saved and previewed at once) and the progress is the contact's fetch.
 */
export function fileView(messageId: string, file: FileLine, read: FileReader, failed: (err: unknown) => void, own = false): FileItem {
  const progress = h('progress', { 'data-testid': 'file-progress', max: file.size });
  const note = h('span', { class: 'file-note', 'data-testid': 'file-note' });
  const save = h('button', { type: 'button', class: 'secondary', 'data-testid': 'file-save', hidden: true, onclick: () => void download() }, 'Save');
  const preview = h('span', { class: 'file-preview' });
  const element = h(
    'div',
    { class: 'file', 'data-testid': 'file', 'data-file-state': file.state },
    messageBody('span', { class: 'file-name', 'data-testid': 'file-name' }, file.name),
    ' ',
    h('span', { class: 'file-size', 'data-testid': 'file-size' }, formatSize(file.size)),
    progress,
    note,
    save,
    preview,
  );
  let disposed = false;
  let complete = false;
  /** The Blob of the complete file, built once (the preview and the save share it). */
  let blob: Promise<Blob> | undefined;
  const urls: string[] = [];
  const urlOf = (b: Blob): string => {
    const url = URL.createObjectURL(b);
    if (disposed) URL.revokeObjectURL(url);
    else urls.push(url);
    return url;
  };
  const whole = (): Promise<Blob> => (blob ??= read(messageId).then((chunks) => fileBlob(chunks, file.type)));

  async function download(): Promise<void> {
    save.disabled = true;
    try {
      const link = h('a', { href: urlOf(await whole()), download: downloadName(file.name), hidden: true });
      element.append(link);
      link.click();
      link.remove();
    } catch (err) {
      blob = undefined;
      failed(err);
    } finally {
      save.disabled = false;
    }
  }

  async function showPreview(): Promise<void> {
    if (file.size > WEB_PREVIEW_MAX_BYTES || !isPreviewType(file.type)) return;
    try {
      const b = await whole();
      const head = new Uint8Array(await b.slice(0, SIGNATURE_BYTES).arrayBuffer());
      if (disposed || !isPreviewable(file.type, head)) return;
      replaceChildren(preview, h('img', { src: urlOf(b), alt: terminalLine(file.name), decoding: 'async', 'data-testid': 'file-preview' }));
    } catch {
      // No preview: the file is still offered to save, which says what went wrong.
      blob = undefined;
    }
  }

  /** Offers the save button and the preview, once: the file is whole here. */
  let offered = false;
  function offer(): void {
    if (offered) return;
    offered = true;
    save.hidden = false;
    void showPreview();
  }

  function update(state: FileState): void {
    if (disposed || complete) return;
    element.dataset['fileState'] = state.state;
    progress.hidden = state.state !== 'pending' && state.state !== 'partial';
    if (state.state === 'partial') progress.value = state.received;
    else if (state.state === 'pending') progress.removeAttribute('value');
    replaceChildren(note, state.state === 'failed' ? `failed: ${terminalLine(state.reason)}` : state.state === 'partial' ? `${formatSize(state.received)} of ${formatSize(file.size)}` : '');
    if (state.state !== 'complete') return;
    complete = true;
    offer();
  }

  if (own) offer();
  update(stateOfLine(file));
  return {
    element,
    update,
    dispose: () => {
      disposed = true;
      for (const url of urls.splice(0)) URL.revokeObjectURL(url);
    },
  };
}
