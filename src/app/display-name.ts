/**
 * How a contact's name reads in every view (the chat, the command line,
 * the page): a name is a claim another peer made, so it is shown so that it
 * cannot hide anything, and a name that looks like another contact's says
 * so. New names cannot hold controls or invisible characters
 * (src/node/contacts/names.ts), but a home may hold older ones, and a
 * claimed name may come from anywhere: this is the one place that decides
 * how any of them is drawn.
 */
import { codePointMarker, terminalLine } from './terminal-text.ts';

/** Code points drawn as nothing: format characters and default-ignorable ones (bidi controls are already markers). */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * A name as any view shows it: safe for a terminal (terminalLine), with
 * every invisible code point (zero-width space, joiner, BOM, soft hyphen,
 * …) and bidi control shown as a marker such as "⟨U+200B⟩", so two names
 * that differ only invisibly look different.
 */
export function displayName(name: string): string {
  return terminalLine(name).replace(INVISIBLE, codePointMarker);
}

/** The short note a list puts after a name that looks like `other`'s: `looks like "alice"`. */
export function lookalikeNote(other: string): string {
  return `looks like "${displayName(other)}"`;
}

/** The warning shown when `name` looks like the contact `other`'s, in one line. */
export function lookalikeWarning(name: string, other: string): string {
  return `"${displayName(name)}" looks like your contact "${displayName(other)}": they may not be who the name suggests; compare safety numbers before you trust either`;
}
