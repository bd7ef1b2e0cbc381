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

/** Code points a name never shows as themselves: controls (C0, DEL, C1), line and paragraph separators, format characters (bidi controls among them) and default-ignorable ones. */
const HIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * A name as any view shows it: every control, bidi control and invisible
 * code point (zero-width space, joiner, BOM, soft hyphen, …) as a marker
 * such as "⟨U+200B⟩", so two names that differ only in what cannot be seen
 * look different, and nothing in a name can act on a terminal (what is left
 * goes through terminalLine too). A name stored under earlier rules may hold
 * such code points; a valid name holds none and shows as it is.
 */
export function displayName(name: string): string {
  return terminalLine(name.replace(HIDDEN, codePointMarker));
}

/** The short note a list puts after a name that looks like `other`'s: `looks like "alice"`. */
export function lookalikeNote(other: string): string {
  return `looks like "${displayName(other)}"`;
}

/** The warning shown when `name` looks like the contact `other`'s, in one line. */
export function lookalikeWarning(name: string, other: string): string {
  return `"${displayName(name)}" looks like your contact "${displayName(other)}": they may not be who the name suggests; compare safety numbers before you trust either`;
}
