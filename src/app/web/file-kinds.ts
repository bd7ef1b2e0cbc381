/**
 * What the page may do with a received file, decided from its bytes and
 * name alone (docs/FILES.md, "Names and types"): whether it is a picture to
 * preview — PNG, JPEG, GIF or WebP, and only when its first bytes are that
 * format's signature, so a file that claims image/png and holds HTML or SVG
 * is never shown — and the name a download is offered under.
 */
import { terminalLine } from '../terminal-text.ts';

/** Bytes of a file's start {@link isPreviewable} reads: enough for every signature below. */
export const SIGNATURE_BYTES = 12;

/** A signature: bytes at an offset of the file's start. */
type Signature = readonly (readonly [offset: number, bytes: readonly number[]])[];

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** The picture types the page previews and their signatures (any one of them matches). */
const PREVIEW_SIGNATURES: Readonly<Record<string, readonly Signature[]>> = {
  'image/png': [[[0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]]]],
  'image/jpeg': [[[0, [0xff, 0xd8, 0xff]]]],
  'image/gif': [[[0, ascii('GIF87a')]], [[0, ascii('GIF89a')]]],
  'image/webp': [[[0, ascii('RIFF')], [8, ascii('WEBP')]]],
};

/** Whether `type` is one of the picture types the page previews (its bytes are checked still: {@link isPreviewable}). */
export function isPreviewType(type: string): boolean {
  return Object.hasOwn(PREVIEW_SIGNATURES, type);
}

/**
 * Whether a file of media type `type` starting with `head` (its first
 * SIGNATURE_BYTES bytes, fewer for a shorter file) may be shown as an
 * <img>: the type is one of the four pictures and the bytes match its
 * signature. Everything else (SVG, HTML, a type that lies) is not.
 */
export function isPreviewable(type: string, head: Uint8Array): boolean {
  const signatures = isPreviewType(type) ? PREVIEW_SIGNATURES[type]! : [];
  return signatures.some((signature) => signature.every(([offset, bytes]) => bytes.every((b, i) => head[offset + i] === b)));
}

/** Stands in for a name with nothing left to download under. */
const FALLBACK_NAME = 'file';

/**
 * The name a download is offered under: `name` as one line of printable
 * text (controls removed, bidi controls shown as markers: terminalLine),
 * path separators and characters file systems refuse replaced with "_",
 * no leading dots; "file" when nothing is left. A received name was checked
 * already (PROTOCOL.md §25); this holds the browser to it whatever came.
 */
export function downloadName(name: string): string {
  const clean = terminalLine(name)
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  return clean === '' ? FALLBACK_NAME : clean;
}

/** Units of {@link formatSize}, each 1024 times the one before. */
const SIZE_UNITS = ['bytes', 'KiB', 'MiB', 'GiB'] as const;

/** A size for people: "512 bytes", "200 KiB", "3.5 MiB". */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${SIZE_UNITS[unit]}`;
}
