/**
 * The skeleton of a string (Unicode Technical Standard #39, "Unicode
 * Security Mechanisms", section 4): two strings that a reader cannot tell
 * apart (Latin "alice" and "аlice" with a Cyrillic а, "rn" and "m", "0" and
 * "O") have the same skeleton. Sotto uses it to flag a contact name that
 * looks like another contact's.
 *
 *   skeleton(X) = NFD(concatenation of prototype(c) for each c in NFD(X)
 *                     that is not Default_Ignorable_Code_Point)
 *
 * prototype(c) comes from Unicode's confusables.txt (the version in
 * ./confusables.json; scripts/confusables.ts builds that table from
 * data/unicode/), and is c itself for a code point the file does not list.
 * A skeleton is for comparing, never for showing: "m" becomes "rn".
 */
import table from './confusables.json' with { type: 'json' };

/** The Unicode version of the confusables data. */
export const CONFUSABLES_UNICODE_VERSION: string = table.version;

/** Code point → prototype, built once from the table (grouped by prototype, as stored). */
const PROTOTYPES: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const [prototype, sources] of Object.entries(table.prototypes as Record<string, string>)) {
    for (const source of sources) map.set(source, prototype);
  }
  return map;
})();

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

/** The UTS #39 skeleton of `text` (see the module comment). */
export function skeleton(text: string): string {
  let out = '';
  for (const c of text.normalize('NFD')) {
    if (DEFAULT_IGNORABLE.test(c)) continue;
    out += PROTOTYPES.get(c) ?? c;
  }
  return out.normalize('NFD');
}

/** True when `a` and `b` look alike: their skeletons are equal (UTS #39 "confusable"). */
export function confusable(a: string, b: string): boolean {
  return skeleton(a) === skeleton(b);
}
