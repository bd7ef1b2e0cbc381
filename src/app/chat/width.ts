/**
 * How much room text takes on a terminal, and how it is broken into lines
 * that fit: columns are measured by string-width (the library ink measures
 * with, so what the chat lays out is what ink draws), per grapheme cluster
 * (Intl.Segmenter): a wide CJK character or an emoji takes two columns, an
 * emoji joined by ZWJ (👨‍👩‍👧) is one cluster of two, a combining mark
 * none, and a cluster is never split across lines. Pure.
 */
import stringWidth from 'string-width';

const segmenter = new Intl.Segmenter();
/** Printable ASCII only: one column per character, no segmentation needed. */
const ASCII = /^[\x20-\x7e]*$/;
/** What a cut text ends with. */
const ELLIPSIS = '…';

/** Columns `text` takes on a terminal (one line, no controls: text from terminalText/terminalLine). */
export function textWidth(text: string): number {
  return stringWidth(text);
}

/** The grapheme clusters of `text`, in order. */
export function graphemes(text: string): string[] {
  if (ASCII.test(text)) return [...text];
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/**
 * Splits `text` into lines of at most `width` columns: at its line breaks,
 * then between words (the spaces at a break are dropped), and a word wider
 * than a line between its grapheme clusters. Every cluster is kept; one
 * wider than `width` (a wide character in a one-column line) gets a line
 * of its own.
 */
export function wrapText(text: string, width: number): string[] {
  const room = Math.max(1, width);
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    let used = 0;
    for (const token of paragraph.split(/( +)/)) {
      if (token === '') continue;
      const w = textWidth(token);
      if (used + w <= room) {
        line += token;
        used += w;
        continue;
      }
      if (token.startsWith(' ')) {
        // Spaces at a break are dropped; the next word starts the line.
        out.push(line);
        line = '';
        used = 0;
        continue;
      }
      if (w <= room) {
        out.push(line.trimEnd());
        line = token;
        used = w;
        continue;
      }
      // A word longer than a line: as much of it as fits on each.
      for (const cluster of graphemes(token)) {
        const cw = textWidth(cluster);
        if (used + cw > room && used > 0) {
          out.push(line.trimEnd());
          line = '';
          used = 0;
        }
        line += cluster;
        used += cw;
      }
    }
    out.push(line);
  }
  return out;
}

/** `text` in at most `width` columns (at least one cluster), cut with "…" when it is wider: for names in a list, never for what must be read whole. */
export function fitText(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  const room = Math.max(1, width - 1);
  let out = '';
  let used = 0;
  for (const cluster of graphemes(text)) {
    const w = textWidth(cluster);
    if (used + w > room) break;
    out += cluster;
    used += w;
  }
  return out + ELLIPSIS;
}

/** `text` followed by spaces up to `width` columns. */
export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - textWidth(text)));
}
