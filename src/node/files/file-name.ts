/**
 * File names and media types as a sender takes them from a path
 * (docs/FILES.md, "Names and types"; the rules are docs/PROTOCOL.md §25,
 * "File descriptor"): a name without its folder, checked before anything is
 * sealed, and a media type guessed from the extension by a short table (no
 * content sniffing).
 */
import { MAX_FILE_NAME_BYTES } from '../constants.ts';
import { FileNameError } from '../errors.ts';

/** Path separators, bidirectional overrides and isolates (controls: isControl). */
const SEPARATOR = /[/\\]/u;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/u;
/** A lone surrogate: not encodable as UTF-8. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Whether `text` has a C0 control, DEL or a C1 control (U+0000–U+001F, U+007F–U+009F). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** Why `name` is refused as a file name, as the end of "the file name …", or undefined when it is fine. */
export function validateFileName(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (LONE_SURROGATE.test(name)) return 'is not valid Unicode';
  if (new TextEncoder().encode(name).length > MAX_FILE_NAME_BYTES) return `is longer than ${MAX_FILE_NAME_BYTES} bytes`;
  if (hasControl(name)) return 'has a control character';
  if (SEPARATOR.test(name)) return 'has a path separator';
  if (BIDI.test(name)) return 'has a bidirectional control character';
  if (name === '.' || name === '..') return `is "${name}"`;
  return undefined;
}

/** Throws FileNameError unless `name` is a valid file name. */
export function checkFileName(name: string): void {
  const reason = validateFileName(name);
  if (reason !== undefined) throw new FileNameError(name, reason);
}

/** Media types by lower-case extension. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  zip: 'application/zip',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  opus: 'audio/opus',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  json: 'application/json',
  csv: 'text/csv',
};

/** The media type of a file name by its extension, or '' when the table has none. */
export function mediaTypeOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return '';
  return Object.hasOwn(MEDIA_TYPES, fileName.slice(dot + 1).toLowerCase()) ? MEDIA_TYPES[fileName.slice(dot + 1).toLowerCase()]! : '';
}
